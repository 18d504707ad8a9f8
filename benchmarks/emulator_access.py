"""Access checks' cost: page-of-200 queries before and after the owner-chain policy, in one run.

Run:  .venv/bin/python benchmarks/emulator_access.py [--before REF] [--artifacts N] [--reps N]

1. extracts ``src/`` of git ref ``--before`` (default ``main``) into a temporary directory;
2. starts two emulator processes side by side, one on that tree (``PYTHONPATH``) and one on this
   checkout, each with its own ``--db`` file, and loads the same data into both (the data and
   queries of ``emulator_scale.py``, smaller by default);
3. gives a user the Editor role in every project (so the same rows are visible to both callers);
4. times every query as the subscription admin and as that Editor, alternating between the two
   servers request by request (so machine load hits both alike), and reports medians and the
   after/before ratio.

Writes ``benchmarks/results/emulator_access.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ADMIN_API_KEY, WSAPI, EmulatorProcess, summarize, write_result  # noqa: E402
from emulator_scale import FETCH, check, create, load, queries, setup  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EDITOR = "editor@example.com"
EDITOR_KEY = "_benchmarkEditorKey000000000000000001"


def extract(ref: str, into: str) -> str:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return str(Path(into) / "src")


def start(db: str, pythonpath: str | None) -> EmulatorProcess:
    old = os.environ.get("PYTHONPATH")
    if pythonpath:
        os.environ["PYTHONPATH"] = pythonpath
    try:
        return EmulatorProcess(db)
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def prepare(emu: EmulatorProcess, artifacts: int) -> dict[str, Any]:
    with httpx.Client(base_url=emu.url, headers={"ZSESSIONID": ADMIN_API_KEY}, timeout=300) as client:
        ctx = setup(client)
        ctx["artifacts"] = artifacts
        load(client, ctx, artifacts, 500)
        user = create(client, "User", {"UserName": EDITOR, "EmailAddress": EDITOR})
        for project in ctx["projects"]:
            create(client, "ProjectPermission", {"User": f"/user/{user}", "Project": f"/project/{project}",
                                                 "Role": "Editor"})
        answer = client.put(f"/emulator/users/{EDITOR}/credentials", json={"api_key": EDITOR_KEY})
        answer.raise_for_status()
    return ctx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="main", help="git ref of the 'before' emulator (default: main)")
    parser.add_argument("--artifacts", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before_src = extract(args.before, tmp)
        servers = {"before": start(str(Path(tmp) / "before.db"), before_src),
                   "after": start(str(Path(tmp) / "after.db"), None)}
        try:
            ctx = {}
            for label, emu in servers.items():
                t0 = time.perf_counter()
                ctx[label] = prepare(emu, args.artifacts)
                print(f"{label}: loaded {args.artifacts} artifacts in {time.perf_counter() - t0:.1f} s", flush=True)
            rows = run(servers, ctx, args.reps)
        finally:
            for emu in servers.values():
                emu.stop()
    payload = {"before_ref": args.before, "artifacts": args.artifacts, "reps": args.reps, "queries": rows}
    print(f"wrote {write_result('emulator_access', payload)}")


def run(servers: dict[str, EmulatorProcess], ctx: dict[str, dict[str, Any]], reps: int) -> list[dict[str, Any]]:
    clients = {(label, who): httpx.Client(base_url=emu.url, timeout=300,
                                          headers={"ZSESSIONID": ADMIN_API_KEY if who == "admin" else EDITOR_KEY})
               for label, emu in servers.items() for who in ("admin", "editor")}
    out = []
    try:
        specs = {label: queries(c) for label, c in ctx.items()}
        for index, spec in enumerate(specs["after"]):
            for who in ("admin", "editor"):
                samples: dict[str, list[float]] = {"before": [], "after": []}
                totals = {}
                for label in ("before", "after"):
                    q = specs[label][index]
                    params = {"fetch": FETCH, "pagesize": "200", "start": "1", **q["params"]}
                    body = check(clients[(label, who)].get(f"{WSAPI}/{q['type']}", params=params))
                    totals[label] = body["QueryResult"]["TotalResultCount"]
                for _ in range(reps):
                    for label in ("before", "after"):
                        q = specs[label][index]
                        params = {"fetch": FETCH, "pagesize": "200", "start": "1", **q["params"]}
                        t0 = time.perf_counter()
                        clients[(label, who)].get(f"{WSAPI}/{q['type']}", params=params).raise_for_status()
                        samples[label].append(time.perf_counter() - t0)
                stats = {label: summarize(s) for label, s in samples.items()}
                ratio = stats["after"]["median_ms"] / stats["before"]["median_ms"]
                out.append({"query": spec["name"], "caller": who, "total": totals, "before": stats["before"],
                            "after": stats["after"], "ratio": round(ratio, 2)})
                print(f"  {spec['name']:<46} {who:<6} total {totals['after']:>6}  before "
                      f"{stats['before']['median_ms']:6.1f} ms  after {stats['after']['median_ms']:6.1f} ms  "
                      f"x{ratio:.2f}", flush=True)
    finally:
        for client in clients.values():
            client.close()
    return out


if __name__ == "__main__":
    main()
