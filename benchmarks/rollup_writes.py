"""What the test-run, timebox and capacity rollups cost a write, in one run.

Run:  .venv/bin/python benchmarks/rollup_writes.py [--items N] [--rounds R]

Starts an emulator in this process (no socket: its in-process httpx transport) with one
iteration, one release and one UserIterationCapacity in the iteration, then creates ``items``
work items per batch, each a story in both timeboxes with a task owned by the capacity's user, a
test case and a test case result (four WSAPI creates an item): the worst case for
``run_rollups``/``timebox_rollups``, whose every recomputation these writes trigger.  Batches
alternate between the rollups ``on`` and ``off`` (their hooks replaced by no-ops), so both see
the same growing store; reports the totals and the on/off ratio and writes
``benchmarks/results/rollup_writes.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from pyral.emulator import Emulator, run_rollups, timebox_rollups  # noqa: E402

API = "/slm/webservice/v2.0"


def _create(http: httpx.Client, type_path: str, fields: dict[str, Any]) -> dict[str, Any]:
    wrapper = type_path.split("/")[-1]
    body = http.post(f"{API}/{type_path}/create", json={wrapper: fields}).json()["CreateResult"]
    assert body["Errors"] == [], body["Errors"]
    return body["Object"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--items", type=int, default=30, help="work items per batch")
    ap.add_argument("--rounds", type=int, default=4, help="rounds of one 'on' and one 'off' batch")
    args = ap.parse_args()
    hooks = (run_rollups.after_write, timebox_rollups.after_write)

    def noop(*_: Any, **__: Any) -> None:
        return None

    totals = {"on": 0.0, "off": 0.0}
    with Emulator() as emu, httpx.Client(transport=emu.transport(), base_url="http://emulator.test",
                                         headers={"ZSESSIONID": emu.admin_api_key}) as http:
        user = http.get(f"{API}/user").json()["User"]
        project = http.get(f"{API}/project", params={"fetch": "ObjectID"}).json()["QueryResult"]["Results"][0]
        sprint = _create(http, "iteration", {"Name": "S", "StartDate": "2026-11-02T00:00:00.000Z",
                                             "EndDate": "2026-11-13T00:00:00.000Z"})
        release = _create(http, "release", {"Name": "R", "ReleaseStartDate": "2026-10-01T00:00:00.000Z",
                                            "ReleaseDate": "2026-12-31T00:00:00.000Z"})
        _create(http, "useriterationcapacity", {"User": user["_ref"], "Iteration": sprint["_ref"],
                                                "Project": project["_ref"], "Capacity": 30})

        def batch() -> float:
            start = time.perf_counter()
            for i in range(args.items):
                story = _create(http, "hierarchicalrequirement", {
                    "Name": f"s{i}", "Iteration": sprint["_ref"], "Release": release["_ref"], "PlanEstimate": 3})
                _create(http, "task", {"Name": "t", "WorkProduct": story["_ref"], "Owner": user["_ref"], "Estimate": 2})
                case = _create(http, "testcase", {"Name": "tc", "WorkProduct": story["_ref"]})
                _create(http, "testcaseresult", {"TestCase": case["_ref"], "Date": "2026-11-03T00:00:00.000Z",
                                                 "Build": "1", "Verdict": "Pass"})
            return time.perf_counter() - start

        for number in range(args.rounds):
            for mode in ("on", "off") if number % 2 else ("off", "on"):
                run_rollups.after_write, timebox_rollups.after_write = hooks if mode == "on" else (noop, noop)
                totals[mode] += batch()
        run_rollups.after_write, timebox_rollups.after_write = hooks
    ratio = totals["on"] / totals["off"]
    print(f"rollups on: {totals['on']:.2f} s, off: {totals['off']:.2f} s, on/off = {ratio:.3f}"
          f" ({args.rounds * args.items * 4} creates each)")
    write_result("rollup_writes", {"items": args.items, "rounds": args.rounds, "seconds": totals, "ratio": ratio})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
