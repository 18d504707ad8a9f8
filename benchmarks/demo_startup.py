"""Demo data set build time, with and without its Lookback history, in one run.

Run:  .venv/bin/python benchmarks/demo_startup.py [--reps N]

Builds the demo data into a fresh in-memory store ``--reps`` times each way, alternating:
``history`` is what ``Emulator(demo=True)`` does; ``no history`` creates every object in its
final state at once (the demo's sprints are not replayed).  Reports medians and their ratio.
Writes ``benchmarks/results/demo_startup.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from pyral.emulator import demo  # noqa: E402
from pyral.emulator.backend import Backend  # noqa: E402
from pyral.emulator.store import Store  # noqa: E402


def build(history: bool) -> tuple[float, int]:
    slots = demo.HISTORY_SLOTS
    demo.HISTORY_SLOTS = slots if history else ()  # type: ignore[misc]
    try:
        backend = Backend(Store())
        started = time.perf_counter()
        demo.populate(backend)
        took = time.perf_counter() - started
        snapshots = int(backend.store.execute("SELECT count(*) FROM snapshots")[0][0])
        backend.store.close()
        return took, snapshots
    finally:
        demo.HISTORY_SLOTS = slots  # type: ignore[misc]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    times: dict[str, list[float]] = {"history": [], "no history": []}
    counts: dict[str, int] = {}
    for _ in range(args.reps):
        for name, flag in (("history", True), ("no history", False)):
            took, counts[name] = build(flag)
            times[name].append(took)
    medians = {k: round(statistics.median(v), 3) for k, v in times.items()}
    ratio = round(medians["history"] / medians["no history"], 2)
    for name in times:
        print(f"{name:<11} median {medians[name]:6.2f} s   snapshots {counts[name]}")
    print(f"history / no history: {ratio}x")
    path = write_result("demo_startup", {"reps": args.reps, "median_s": medians, "snapshots": counts,
                                         "ratio": ratio, "samples_s": {k: [round(x, 3) for x in v]
                                                                      for k, v in times.items()}})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
