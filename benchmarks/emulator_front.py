"""The emulator's HTTP front, before (http.server, commit e10961d) and after (Starlette + uvicorn),
in one run, against the physical limit of the same query.

Run:  .venv/bin/python benchmarks/emulator_front.py [--stories N] [--requests N]

1. builds one SQLite store with N stories (default 2,000) through the in-process transport;
2. checks out the old front (``git worktree add --detach <tmp> e10961d``) and starts
   ``python -m pyral.emulator --db <copy>`` from that tree and from this one, side by side;
3. for 1, 4 and 12 concurrent clients (one keep-alive httpx connection each, same API key, so
   Rally's 12-per-user limit is in play on the new front) sends the same page-of-200 query
   (filter + order + a fetch list) to each front in turn, ``--rounds`` alternations, so that
   load from elsewhere on the machine hits both alike; reports throughput and p50/p99 latency;
4. in-process, on the same store, measures the physical limit of that page: the time SQLite
   alone spends on the statements the handler runs (traced, then re-run and fetched on a raw
   connection) and the time to serialise the page (``json.dumps``); and the handler's own time
   (everything but HTTP), so the rest can be named.

Writes ``benchmarks/results/emulator_front.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ADMIN_API_KEY, ADMIN_PASSWORD, ADMIN_USER, ROOT, WSAPI, write_result  # noqa: E402

OLD_COMMIT = "e10961d"
QUERY = {"query": '(ScheduleState != "Accepted")', "order": "FormattedID desc", "pagesize": "200",
         "fetch": "FormattedID,Name,ScheduleState,PlanEstimate,Owner,Project,Description,CreationDate"}
STATES = ["Defined", "In-Progress", "Completed", "Accepted"]


def build_store(path: str, stories: int) -> None:
    from pyral.emulator import Emulator

    emu = Emulator(db=path).open()
    try:
        with httpx.Client(transport=emu.transport(), base_url="http://bench", timeout=120,
                          headers={"ZSESSIONID": ADMIN_API_KEY}) as c:
            for start in range(0, stories, 200):
                batch = [{"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT", "Body": {
                    "HierarchicalRequirement": {"Name": f"Story {i}: shoppers filter orders by date",
                                                "ScheduleState": STATES[i % 4], "PlanEstimate": i % 8,
                                                "Description": f"<p>As a shopper I want #{i}</p>"}}}}
                         for i in range(start, min(stories, start + 200))]
                errors = c.post(f"{WSAPI}/batch", json={"Batch": batch}).json()["BatchResult"]["Errors"]
                assert not errors, errors
    finally:
        emu.stop()


class Served:
    """``python -m pyral.emulator --db`` from a given source tree, in a child process."""

    def __init__(self, src: Path, db: str) -> None:
        env = dict(os.environ, PYTHONPATH=str(src), RALLY_EMULATOR_ADMIN_USER=ADMIN_USER,
                   RALLY_EMULATOR_ADMIN_PASSWORD=ADMIN_PASSWORD, RALLY_EMULATOR_ADMIN_API_KEY=ADMIN_API_KEY)
        self.proc = subprocess.Popen([sys.executable, "-m", "pyral.emulator", "--port", "0", "--db", db],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                                     cwd=tempfile.gettempdir())
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("Rally emulator listening on "):
            self.proc.kill()
            raise RuntimeError(f"emulator from {src} did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[1]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def load(url: str, clients: int, per: int) -> tuple[list[float], float]:
    """``clients`` threads, one keep-alive connection each, ``per`` requests each: latencies, elapsed."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    failures: list[str] = []

    def run() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, timeout=120, headers={"ZSESSIONID": ADMIN_API_KEY}) as c:
            c.get(f"{WSAPI}/hierarchicalrequirement", params=QUERY)  # warm-up: connection, caches
            barrier.wait()
            for _ in range(per):
                t0 = time.perf_counter()
                r = c.get(f"{WSAPI}/hierarchicalrequirement", params=QUERY)
                mine.append(time.perf_counter() - t0)
                if r.status_code != 200 or len(r.json()["QueryResult"]["Results"]) != 200:
                    failures.append(r.text[:200])
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    assert not failures, failures[:2]
    return latencies, elapsed


def compare(urls: dict[str, str], clients: int, total: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Both fronts, interleaved round by round, so a neighbour's load hits both alike."""
    per = max(1, total // clients // rounds)
    got: dict[str, tuple[list[float], float]] = {name: ([], 0.0) for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            latencies, elapsed = load(url, clients, per)
            got[name] = (got[name][0] + latencies, got[name][1] + elapsed)
    return {name: {"clients": clients, "requests": len(lat), "throughput_rps": round(len(lat) / elapsed, 1),
                   "p50_ms": round(percentile(lat, 50) * 1000, 2), "p99_ms": round(percentile(lat, 99) * 1000, 2)}
            for name, (lat, elapsed) in got.items()}


def physical_limit(db: str, reps: int) -> dict[str, Any]:
    """In-process, on the same store: SQLite alone, serialisation alone, and the whole handler."""
    import json

    from pyral.emulator import Emulator
    from pyral.emulator.routing import Request, route

    emu = Emulator(db=db).open()
    try:
        assert emu.front is not None and emu.backend is not None
        front, store = emu.front, emu.backend.store
        query = "&".join(f"{k}={v}" for k, v in QUERY.items())
        req = Request(method="GET", path=f"{WSAPI}/hierarchicalrequirement", params=dict(QUERY), body=b"",
                      headers={"zsessionid": ADMIN_API_KEY}, cookies={}, base="http://bench", query_string=query)
        rt = route("GET", req.path)
        principal, _ = front.authenticate(req)
        assert principal is not None
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        status, body = front.handlers.handle(req, rt, principal)
        store.conn.set_trace_callback(None)
        assert status == 200 and len(body["QueryResult"]["Results"]) == 200
        reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
        raw = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            import sqlean

            raw = sqlean.connect(f"file:{db}?mode=ro", uri=True)  # the same SQLite build as the store
        except ImportError:
            pass
        timings: dict[str, list[float]] = {"sqlite": [], "serialise": [], "handler": [], "answer": []}
        for _ in range(reps):
            t0 = time.perf_counter()
            for sql in reads:
                raw.execute(sql).fetchall()
            timings["sqlite"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            json.dumps(body, separators=(",", ":")).encode()
            timings["serialise"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            front.handlers.handle(req, rt, principal)
            timings["handler"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            front.answer(req, rt, principal)  # handler + serialisation: the server's work minus HTTP and auth
            timings["answer"].append(time.perf_counter() - t0)
        raw.close()
        out: dict[str, Any] = {k: round(statistics.median(v) * 1000, 2) for k, v in timings.items()}
        out["statements"] = len(reads)
        out["page_bytes"] = len(json.dumps(body, separators=(",", ":")))
        out["limit_ms"] = round(out["sqlite"] + out["serialise"], 2)
        return out
    finally:
        emu.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=144, help="timed requests per front and concurrency level")
    parser.add_argument("--rounds", type=int, default=3, help="alternations between the two fronts per level")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pyral-front-bench-"))
    old_tree = work / "old"
    try:
        db = str(work / "store.db")
        build_store(db, args.stories)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old_tree), OLD_COMMIT],
                       check=True)
        results: dict[str, Any] = {"stories": args.stories, "query": QUERY, "rounds": args.rounds, "fronts": {}}
        fronts = {"before (http.server)": old_tree / "src", "after (starlette+uvicorn)": ROOT / "src"}
        served: dict[str, Served] = {}
        try:
            for name, src in fronts.items():
                copy = str(work / f"{name.split()[0]}.db")
                shutil.copyfile(db, copy)
                served[name] = Served(src, copy)
            urls = {name: s.url for name, s in served.items()}
            for clients in (1, 4, 12):
                for name, row in compare(urls, clients, args.requests, args.rounds).items():
                    results["fronts"].setdefault(name, []).append(row)
                    print(f"{name:28} {row['clients']:>2} clients  {row['throughput_rps']:>7} req/s  "
                          f"p50 {row['p50_ms']:>8} ms  p99 {row['p99_ms']:>8} ms", flush=True)
        finally:
            for s in served.values():
                s.stop()
        limit = physical_limit(db, reps=30)
        results["physical_limit_ms"] = limit
        print(f"physical limit of the page: SQLite {limit['sqlite']} ms ({limit['statements']} statements) + "
              f"serialise {limit['serialise']} ms = {limit['limit_ms']} ms; handler {limit['handler']} ms, "
              f"handler+serialise {limit['answer']} ms; page {limit['page_bytes']} bytes")
        path = write_result("emulator_front", results)
        print(f"wrote {path}")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)],
                       check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
