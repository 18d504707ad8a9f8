"""``Rally.lookback``: reading many snapshots page by page vs several pages at once.

Run:  .venv/bin/python benchmarks/lookback_client.py [--stories N] [--pagesize N] [--reps N]

One emulator (``python -m pyral.emulator``, its own process) gets ``--stories`` stories through
WSAPI batch at an emulated time, then two rounds of ScheduleState updates a day apart (the
emulator's clock, ``PUT /emulator/clock``), so each story has three snapshots.  The client then
reads every snapshot (``{"_TypeHierarchy": "HierarchicalRequirement"}``, four fields, one
hydrated) with ``threads=1`` (one page after the other) and with the default (four pages at
once), directly and with a simulated round trip: an httpx transport that waits ``--rtt`` ms
before each request.  Figures are medians of ``--reps`` runs; the ratio is concurrent /
one-by-one.  Writes ``benchmarks/results/lookback_client.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ADMIN_API_KEY, WSAPI, EmulatorProcess, write_result  # noqa: E402

from pyral import Rally  # noqa: E402

FIND = {"_TypeHierarchy": "HierarchicalRequirement"}
FIELDS = ["ObjectID", "ScheduleState", "_ValidFrom", "_ValidTo"]


class DelayedTransport(httpx.HTTPTransport):
    """Waits ``delay`` seconds before each request (a simulated network round trip)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        time.sleep(self.delay)
        return super().handle_request(request)


def check(resp: httpx.Response) -> dict[str, Any]:
    if resp.status_code != 200:
        raise RuntimeError(f"{resp.request.url}: HTTP {resp.status_code}: {resp.text[:500]}")
    body: dict[str, Any] = resp.json()
    return body


def batch(client: httpx.Client, entries: list[dict[str, Any]], chunk: int = 500) -> list[int]:
    oids: list[int] = []
    for first in range(0, len(entries), chunk):
        body = check(client.post(f"{WSAPI}/batch", params={"fetch": "ObjectID"},
                                 json={"Batch": entries[first:first + chunk]}))
        for result in body["BatchResult"]["Results"]:
            if result["Errors"]:
                raise RuntimeError(result["Errors"])
            oids.append(int(result["Object"]["ObjectID"]))
    return oids


def load(url: str, stories: int) -> None:
    with httpx.Client(base_url=url, headers={"ZSESSIONID": ADMIN_API_KEY}, timeout=300) as client:
        check(client.put("/emulator/clock", json={"now": "2024-03-01T09:00:00Z"}))
        oids = batch(client, [{"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT",
                                         "Body": {"HierarchicalRequirement": {"Name": f"Story {i}"}}}}
                              for i in range(stories)])
        for state in ("In-Progress", "Completed"):
            check(client.put("/emulator/clock", json={"advance": 86400}))
            batch(client, [{"Entry": {"Path": f"/hierarchicalrequirement/{oid}", "Method": "POST",
                                      "Body": {"HierarchicalRequirement": {"ScheduleState": state}}}}
                           for oid in oids])


def read(url: str, pagesize: int, threads: int | None, rtt: float) -> tuple[float, int, int]:
    transport = DelayedTransport(rtt)
    with Rally(url, apikey=ADMIN_API_KEY, warn=False, http_transport=transport) as rally:
        before = transport.requests
        started = time.perf_counter()
        result = rally.lookback(FIND, fields=FIELDS, hydrate=["ScheduleState"], pagesize=pagesize,
                                threads=threads)
        count = sum(1 for _ in result)
        return time.perf_counter() - started, count, transport.requests - before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=5000)
    ap.add_argument("--pagesize", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rtt", type=float, default=50.0, help="simulated round trip, ms")
    args = ap.parse_args()
    with EmulatorProcess() as emu:
        print(f"loading {args.stories} stories x 3 snapshots ...", flush=True)
        started = time.perf_counter()
        load(emu.url, args.stories)
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)
        runs: list[dict[str, Any]] = []
        for rtt in (0.0, args.rtt / 1000):
            row: dict[str, Any] = {"rtt_ms": rtt * 1000}
            for label, threads in (("one_by_one", 1), ("concurrent", None)):
                times, counts, requests = [], set(), set()
                for _ in range(args.reps):
                    took, count, sent = read(emu.url, args.pagesize, threads, rtt)
                    times.append(took)
                    counts.add(count)
                    requests.add(sent)
                row[label] = {"median_s": round(statistics.median(times), 3), "snapshots": sorted(counts),
                              "lookback_requests": sorted(requests)}
            row["ratio"] = round(row["concurrent"]["median_s"] / row["one_by_one"]["median_s"], 2)
            runs.append(row)
            print(f"rtt {row['rtt_ms']:.0f} ms: one by one {row['one_by_one']['median_s']} s, "
                  f"concurrent {row['concurrent']['median_s']} s, ratio {row['ratio']} "
                  f"({row['one_by_one']['snapshots']} snapshots, {row['one_by_one']['lookback_requests']} "
                  f"requests)", flush=True)
    write_result("lookback_client", {"args": vars(args), "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
