"""The workspace schema endpoint rendered afresh vs served as kept, in one run.

Run:  .venv/bin/python benchmarks/schema_document.py [--reps N]

Starts an emulator (in this process, listening on loopback) and times
``GET /slm/schema/v2.0/workspace/<oid>`` over one keep-alive httpx connection, with
``Accept-Encoding: identity`` and ``gzip``, alternating two cases: ``fresh`` (a store write of the
workspace just before, so the document is rendered again, as every request was before the
emulator kept it) and ``kept`` (no change since the last read).  Also times the render alone,
in-process.  Reports medians and ratios; writes ``benchmarks/results/schema_document.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from pyral.emulator import Emulator  # noqa: E402
from pyral.emulator.routing import Request  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    samples: dict[str, list[float]] = {}
    with Emulator() as emu:
        assert emu.backend is not None and emu.front is not None
        store, front = emu.backend.store, emu.front
        ws = store.select("o.type = 'Workspace'", [])[0].oid
        path = f"/slm/schema/v2.0/workspace/{ws}"
        req = Request(method="GET", path=path, params={}, body=b"", headers={}, cookies={}, base=emu.url)

        def touch() -> None:  # any write of the workspace changes the document's stamp
            row = store.get(ws)
            assert row is not None
            store.save(row)

        with httpx.Client(base_url=emu.url, headers={"ZSESSIONID": emu.admin_api_key}, timeout=120) as client:
            for encoding in ("identity", "gzip"):
                client.get(path, headers={"Accept-Encoding": encoding}).raise_for_status()  # warm-up
            sizes = {}
            for _ in range(args.reps):
                started = time.perf_counter()
                front.handlers.schema_document(req, ws)
                samples.setdefault("render in-process", []).append(time.perf_counter() - started)
                for encoding in ("identity", "gzip"):
                    for case in ("fresh", "kept"):
                        if case == "fresh":
                            touch()
                        started = time.perf_counter()
                        answer = client.get(path, headers={"Accept-Encoding": encoding})
                        samples.setdefault(f"{case} {encoding}", []).append(time.perf_counter() - started)
                        sizes[encoding] = int(answer.headers["content-length"])
    medians = {k: round(statistics.median(v) * 1000, 1) for k, v in samples.items()}
    ratios = {enc: round(medians[f"fresh {enc}"] / medians[f"kept {enc}"], 1) for enc in ("identity", "gzip")}
    load = os.getloadavg()
    for name, ms in medians.items():
        print(f"{name:<18} median {ms:8.1f} ms")
    print(f"fresh / kept: identity {ratios['identity']}x, gzip {ratios['gzip']}x; bytes on the wire {sizes}; "
          f"load average {load[0]:.1f}")
    out = write_result("schema_document", {"reps": args.reps, "median_ms": medians, "ratio": ratios,
                                           "wire_bytes": sizes, "load_average": [round(x, 2) for x in load],
                                           "samples_ms": {k: [round(x * 1000, 1) for x in v]
                                                          for k, v in samples.items()}})
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
