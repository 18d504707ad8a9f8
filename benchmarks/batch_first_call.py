"""The first ``createMultiple``/``updateMultiple`` of a new ``Rally``: now against before, in one run.

Before a batch write read the whole workspace schema first (megabytes the emulator renders and
the client parses); then its one type's TypeDefinition and ``Attributes``; now a batch whose
items name only long-standing built-in attributes exactly (``Name``, ``Notes`` here) reads
nothing first (``pyral.protocol.batch_attributes``).
"before" is reproduced in the same run by making the new instance read the workspace schema
first, as the old code did, inside the timed span.  Raw = one plain httpx ``POST batch`` with
``fetch=FormattedID,Name``.  Usage: ``python benchmarks/batch_first_call.py [--bulk 500] [--reps 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import httpx
from _common import ADMIN_API_KEY, WSAPI, EmulatorProcess

import pyral


def raw_create(server: str, names: list[str]) -> float:
    entries = [{"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT",
                          "Body": {"hierarchicalrequirement": {"Name": n, "Notes": "bulk"}}}} for n in names]
    with httpx.Client(base_url=f"https://{server}", verify=False, timeout=600,
                      headers={"ZSESSIONID": ADMIN_API_KEY}) as c:
        t0 = time.perf_counter()
        reply = c.post(f"{WSAPI}/batch", params={"fetch": "FormattedID,Name"}, json={"Batch": entries})
        took = time.perf_counter() - t0
    reply.raise_for_status()
    return took


def ours_create(server: str, names: list[str], *, whole_schema_first: bool) -> tuple[float, float, int]:
    """(first createMultiple s, then updateMultiple s, items made) on a new instance."""
    rally = pyral.Rally(server, apikey=ADMIN_API_KEY, verify_ssl_cert=False)
    items: list[dict[str, Any]] = [{"Name": n, "Notes": "bulk"} for n in names]
    t0 = time.perf_counter()
    if whole_schema_first:
        rally._schema()  # what every first batch write did before
    made = rally.createMultiple("HierarchicalRequirement", items)
    t1 = time.perf_counter()
    rally.updateMultiple("HierarchicalRequirement", [{"ObjectID": m["ObjectID"], "Notes": "u"} for m in made])
    return t1 - t0, time.perf_counter() - t1, len(made)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bulk", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(var, None)
    runs: dict[str, list[float]] = {"raw": [], "before": [], "now": [], "update before": [], "update now": []}
    with EmulatorProcess(tls=True) as emu:
        raw_create(emu.server, [f"warm {i}" for i in range(args.bulk)])
        for rep in range(args.reps):  # interleaved, so load on the machine hits all alike
            runs["raw"].append(raw_create(emu.server, [f"raw {rep} {i}" for i in range(args.bulk)]))
            for label, whole in (("before", True), ("now", False)):
                made_s, upd_s, n = ours_create(emu.server, [f"{label} {rep} {i}" for i in range(args.bulk)],
                                               whole_schema_first=whole)
                assert n == args.bulk, n
                runs[label].append(made_s)
                runs[f"update {label}"].append(upd_s)
    raw = statistics.median(runs["raw"])
    for label, values in runs.items():
        med = statistics.median(values)
        print(f"{label:14s} median {med:.3f} s  x raw create {med / raw:.2f}  ({len(values)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
