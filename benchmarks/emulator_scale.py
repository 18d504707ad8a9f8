"""Emulator at scale: 100,000 artifacts in one workspace, pages of 200 with filter and order.

Run:  .venv/bin/python benchmarks/emulator_scale.py [--artifacts N] [--reps N] [--chunk N]

1. starts ``python -m pyral.emulator --port 0 --db <tmp file>`` as a separate process;
2. creates 5 users, 4 projects (a parent with two children, and a sibling) and 3 iterations per
   project with single WSAPI creates;
3. loads the artifacts (90 % stories, 10 % defects) through ``POST /batch`` in chunks and times
   the whole import (wall clock, client side);
4. times each query (page of 200, filter + order) ``--reps`` times over one keep-alive httpx
   connection, after 3 warm-up requests, and reports median / p95;
5. exports the store (``GET /emulator/export``) and imports it into a second, fresh emulator
   process (``POST /emulator/import``), timing both and that process's memory (a body over the
   server's 80 MiB cap is refused with 413; the script then sends it gzip-compressed);
6. reads the server's VmRSS / VmHWM from ``/proc/<pid>/status`` throughout.

Targets (issue): query median <= 50 ms, import of the 100k < 60 s, server memory < 1 GiB.
Writes ``benchmarks/results/emulator_scale.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ADMIN_API_KEY,
    ADMIN_PASSWORD,
    ADMIN_USER,
    WSAPI,
    EmulatorProcess,
    RssSampler,
    summarize,
    write_result,
)

TARGET_QUERY_MS = 50.0
TARGET_IMPORT_S = 60.0
TARGET_RSS_MIB = 1024.0

USERS = ["alice", "bob", "carol", "dave", "erin"]
PROJECTS = [("Online Store", None), ("Checkout Team", 0), ("Catalog Team", 0), ("Platform", None)]
STATES = ["Defined"] * 4 + ["In-Progress"] * 3 + ["Completed"] * 2 + ["Accepted"] * 3
ROLES = ["shopper", "admin", "store manager", "guest", "support agent", "developer"]
VERBS = ["search", "filter", "export", "review", "pay for", "share", "archive", "compare", "track", "rate"]
NOUNS = ["orders", "products", "invoices", "the cart", "wishlists", "returns", "coupons", "reports",
         "checkout options", "shipping labels", "reviews", "inventory"]
SEVERITIES = ["Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic"]
PRIORITIES = ["Resolve Immediately", "High Attention", "Normal", "Low"]
DEFECT_STATES = ["Submitted", "Open", "Fixed", "Closed"]
FETCH = "FormattedID,Name,ScheduleState,PlanEstimate,Owner,Project,Iteration"


def check(resp: httpx.Response) -> dict[str, Any]:
    if resp.status_code != 200:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: HTTP {resp.status_code}: {resp.text[:2000]}")
    body = resp.json()
    inner = next(iter(body.values()))
    if inner.get("Errors"):
        raise RuntimeError(f"{resp.request.url}: {inner['Errors']}")
    return body


def create(client: httpx.Client, type_: str, fields: dict[str, Any]) -> int:
    body = check(client.put(f"{WSAPI}/{type_.lower()}/create", params={"fetch": "ObjectID"}, json={type_: fields}))
    return int(body["CreateResult"]["Object"]["ObjectID"])


def setup(client: httpx.Client) -> dict[str, Any]:
    ws = check(client.get(f"{WSAPI}/workspace", params={"fetch": "ObjectID"}))["QueryResult"]["Results"][0]["ObjectID"]
    users = {}
    for u in USERS:
        name = f"{u}@example.com"
        users[name] = create(client, "User", {"UserName": name, "EmailAddress": name, "DisplayName": u.title(),
                                              "FirstName": u.title(), "LastName": "Example"})
    projects: list[int] = []
    for name, parent in PROJECTS:
        fields: dict[str, Any] = {"Name": name, "Workspace": f"/workspace/{ws}"}
        if parent is not None:
            fields["Parent"] = f"/project/{projects[parent]}"
        projects.append(create(client, "Project", fields))
    iterations: dict[int, list[int]] = {}
    for p in projects:
        iterations[p] = [create(client, "Iteration", {
            "Name": f"Sprint {i + 1}", "Project": f"/project/{p}", "State": "Planning",
            "StartDate": f"2026-0{i + 1}-01", "EndDate": f"2026-0{i + 1}-14"}) for i in range(3)]
    return {"workspace": ws, "users": users, "projects": projects, "iterations": iterations}


def artifact(rnd: random.Random, i: int, ctx: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    project = rnd.choice(ctx["projects"])
    owner = rnd.choice(list(ctx["users"].values()) + [None])
    name = f"As a {rnd.choice(ROLES)} I want to {rnd.choice(VERBS)} {rnd.choice(NOUNS)} ({i})"
    fields: dict[str, Any] = {"Name": name, "Project": f"/project/{project}",
                              "Owner": f"/user/{owner}" if owner else None,
                              "ScheduleState": rnd.choice(STATES)}
    if rnd.random() < 0.7:
        fields["Iteration"] = f"/iteration/{rnd.choice(ctx['iterations'][project])}"
    if i % 10 == 9:
        fields.update(Severity=rnd.choice(SEVERITIES), Priority=rnd.choice(PRIORITIES),
                      State=rnd.choice(DEFECT_STATES))
        return "defect", fields
    if rnd.random() < 0.85:
        fields["PlanEstimate"] = rnd.choice([1, 2, 3, 5, 8, 13])
    return "hierarchicalrequirement", fields


def load(client: httpx.Client, ctx: dict[str, Any], n: int, chunk: int) -> dict[str, Any]:
    rnd = random.Random(42)
    batch_times = []
    started = time.perf_counter()
    for first in range(0, n, chunk):
        entries = []
        for i in range(first, min(n, first + chunk)):
            type_, fields = artifact(rnd, i, ctx)
            entries.append({"Entry": {"Path": f"/{type_}/create", "Method": "PUT", "Body": {type_: fields}}})
        t0 = time.perf_counter()
        body = check(client.post(f"{WSAPI}/batch", params={"fetch": "ObjectID"}, json={"Batch": entries}))
        batch_times.append(time.perf_counter() - t0)
        failed = [r["Errors"] for r in body["BatchResult"]["Results"] if r["Errors"]]
        if failed:
            raise RuntimeError(f"batch at {first}: {failed[:3]}")
        if (first // chunk) % 20 == 19:
            done = first + chunk
            print(f"  {done:>7} loaded, {time.perf_counter() - started:6.1f} s", flush=True)
    total = time.perf_counter() - started
    per = summarize(batch_times)
    return {"artifacts": n, "chunk": chunk, "batches": len(batch_times), "wall_s": round(total, 2),
            "artifacts_per_s": round(n / total), "first_batch_ms": round(batch_times[0] * 1000, 1),
            "last_batch_ms": round(batch_times[-1] * 1000, 1), "batch": per}


def queries(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    owner = next(iter(ctx["users"]))
    deep = ctx["artifacts"] // 2 // 200 * 200 + 1
    parent = ctx["projects"][0]
    return [
        {"name": "state, FormattedID desc", "type": "hierarchicalrequirement",
         "params": {"query": '(ScheduleState = "In-Progress")', "order": "FormattedID desc"}},
        {"name": "owner AND estimate, Rank", "type": "hierarchicalrequirement",
         "params": {"query": f'((Owner.UserName = "{owner}") AND (PlanEstimate > 3))', "order": "Rank"}},
        {"name": "Name contains, FormattedID", "type": "hierarchicalrequirement",
         "params": {"query": '(Name contains "shipping labels")', "order": "FormattedID"}},
        {"name": "project scope down, state, PlanEstimate desc", "type": "hierarchicalrequirement",
         "params": {"query": '(ScheduleState = "Defined")', "order": "PlanEstimate desc",
                    "project": f"/project/{parent}", "projectScopeDown": "true"}},
        {"name": "iteration name AND state, Rank", "type": "hierarchicalrequirement",
         "params": {"query": '((Iteration.Name = "Sprint 2") AND (ScheduleState != "Accepted"))', "order": "Rank"}},
        {"name": "defects severity, Priority", "type": "defect",
         "params": {"query": '(Severity = "Major Problem")', "order": "Priority,FormattedID desc",
                    "fetch": "FormattedID,Name,State,Severity,Priority,Owner"}},
        {"name": f"no filter, deep page (start {deep})", "type": "hierarchicalrequirement",
         "params": {"order": "FormattedID", "start": str(deep)}},
    ]


def time_queries(client: httpx.Client, ctx: dict[str, Any], reps: int) -> list[dict[str, Any]]:
    out = []
    for q in queries(ctx):
        params = {"fetch": FETCH, "pagesize": "200", "start": "1", **q["params"]}
        url = f"{WSAPI}/{q['type']}"
        first = check(client.get(url, params=params))["QueryResult"]
        for _ in range(2):
            client.get(url, params=params)
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            resp = client.get(url, params=params)
            samples.append(time.perf_counter() - t0)
            resp.raise_for_status()
        stats = summarize(samples)
        out.append({"name": q["name"], "type": q["type"], "params": q["params"],
                    "total_result_count": first["TotalResultCount"], "page_items": len(first["Results"]),
                    **stats, "meets_target": stats["median_ms"] <= TARGET_QUERY_MS})
        print(f"  {q['name']:<46} total {first['TotalResultCount']:>6}  "
              f"median {stats['median_ms']:7.1f} ms  p95 {stats['p95_ms']:7.1f} ms", flush=True)
    return out


def export_import(client: httpx.Client, tmp: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    resp = client.get("/emulator/export", auth=(ADMIN_USER, ADMIN_PASSWORD))
    resp.raise_for_status()
    export_s = time.perf_counter() - t0
    doc = resp.content
    rows = {k: len(v) for k, v in json.loads(doc)["tables"].items()}
    out: dict[str, Any] = {"export_s": round(export_s, 2), "export_mib": round(len(doc) / 2**20, 1), "rows": rows}
    auth = (ADMIN_USER, ADMIN_PASSWORD)
    with EmulatorProcess(str(Path(tmp) / "imported.db")) as emu2, \
            httpx.Client(base_url=emu2.url, timeout=600) as c2, RssSampler(emu2) as sampler:
        before = emu2.memory()
        t0 = time.perf_counter()
        r = c2.post("/emulator/import", content=doc, auth=auth, headers={"Content-Type": "application/json"})
        out["plain_import_status"] = r.status_code
        if r.status_code == 413:  # the server caps bodies; a gzip body is checked before it is inflated
            t1 = time.perf_counter()
            packed = gzip.compress(doc, compresslevel=6)
            out["gzip_s"] = round(time.perf_counter() - t1, 2)
            out["gzip_mib"] = round(len(packed) / 2**20, 1)
            t0 = time.perf_counter()
            r = c2.post("/emulator/import", content=packed, auth=auth,
                        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        import_s = time.perf_counter() - t0
        if r.status_code != 200:
            out["http_import_error"] = f"HTTP {r.status_code}: {r.text[:300]}"
            out.update(direct_load(doc, tmp))
            return out
        after = emu2.memory()
        check_q = check(c2.get(f"{WSAPI}/hierarchicalrequirement", headers={"ZSESSIONID": ADMIN_API_KEY},
                               params={"pagesize": "1", "fetch": "ObjectID"}))["QueryResult"]["TotalResultCount"]
    out.update({"import_s": round(import_s, 2), "import_rss_before_mib": before.get("VmRSS"),
                "import_rss_after_mib": after.get("VmRSS"), "import_vmhwm_mib": after.get("VmHWM"),
                "import_sampled_peak_mib": sampler.peak, "stories_after_import": check_q,
                "meets_rss_target": after.get("VmHWM", 0) < TARGET_RSS_MIB})
    return out


DIRECT_LOAD = """
import json, resource, sys, time
from pyral.emulator.store import Store
t0 = time.perf_counter()
doc = json.loads(open(sys.argv[1], "rb").read())
parsed = time.perf_counter() - t0
store = Store(sys.argv[2])
t1 = time.perf_counter()
store.load(doc["tables"])
loaded = time.perf_counter() - t1
n = store.count("o.type = 'HierarchicalRequirement' AND o.deleted = 0", [])
print(json.dumps({"parse_s": parsed, "load_s": loaded, "stories": n,
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def direct_load(doc: bytes, tmp: str) -> dict[str, Any]:
    """The import path without HTTP (used when the body is too big for the server): a fresh
    process parses the export and runs ``Store.load`` into a new SQLite file."""
    src = Path(tmp) / "export.json"
    src.write_bytes(doc)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", DIRECT_LOAD, str(src), str(Path(tmp) / "direct.db")],
                          capture_output=True, text=True, check=False, timeout=900)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"direct_load_error": proc.stderr[-500:]}
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"direct_load_wall_s": round(wall, 2), "direct_parse_s": round(got["parse_s"], 2),
            "direct_store_load_s": round(got["load_s"], 2), "direct_maxrss_mib": round(got["maxrss_mib"], 1),
            "stories_after_import": got["stories"], "meets_rss_target": got["maxrss_mib"] < TARGET_RSS_MIB}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--artifacts", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=500, help="batch entries per POST /batch")
    ap.add_argument("--reps", type=int, default=30, help="timed repetitions per query (>= 30)")
    ap.add_argument("--no-export", action="store_true", help="skip the export/import variant")
    ap.add_argument("--db", help="keep the loaded store in this SQLite file (default: a temp file)")
    args = ap.parse_args()
    started = time.perf_counter()
    result: dict[str, Any] = {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "targets": {"query_median_ms": TARGET_QUERY_MS, "import_s": TARGET_IMPORT_S,
                                          "rss_mib": TARGET_RSS_MIB}, "args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="pyral-bench-") as tmp:
        db = Path(args.db).resolve() if args.db else Path(tmp) / "scale.db"
        for stale in db.parent.glob(db.name + "*"):
            stale.unlink()
        with EmulatorProcess(str(db)) as emu, RssSampler(emu) as sampler, \
                httpx.Client(base_url=emu.url, headers={"ZSESSIONID": ADMIN_API_KEY}, timeout=600) as client:
            print(f"emulator pid {emu.pid} at {emu.url}  (start RSS {emu.memory().get('VmRSS')} MiB)")
            ctx = setup(client)
            ctx["artifacts"] = args.artifacts
            print(f"loading {args.artifacts} artifacts in batches of {args.chunk} ...", flush=True)
            result["import"] = imp = load(client, ctx, args.artifacts, args.chunk)
            imp["meets_target"] = imp["wall_s"] < TARGET_IMPORT_S
            result["memory_after_import"] = emu.memory()
            print(f"import: {imp['wall_s']} s ({imp['artifacts_per_s']}/s); memory {result['memory_after_import']}")
            print(f"queries (page of 200, {args.reps} timed reps each, keep-alive):")
            result["queries"] = time_queries(client, ctx, args.reps)
            result["memory_after_queries"] = emu.memory()
            if not args.no_export:
                print("export + import into a fresh emulator ...", flush=True)
                result["export_import"] = ei = export_import(client, tmp)
                print(f"export {ei['export_s']} s ({ei['export_mib']} MiB JSON); plain import HTTP "
                      f"{ei['plain_import_status']}; {ei.get('http_import_error') or 'imported'}")
            mem = emu.memory()
            result["memory_end"] = mem
            result["server_peak_rss_mib"] = max(mem.get("VmHWM", 0.0), sampler.peak)
            result["meets_rss_target"] = result["server_peak_rss_mib"] < TARGET_RSS_MIB
            result["db_mib"] = round(sum(f.stat().st_size for f in db.parent.glob(db.name + "*")) / 1024 / 1024, 1)
    result["runtime_s"] = round(time.perf_counter() - started, 1)
    path = write_result("emulator_scale", result)
    report(result)
    print(f"\nwritten {path}")
    return 0


def report(r: dict[str, Any]) -> None:
    ok = {True: "ok", False: "MISSED"}
    imp = r["import"]
    print("\n=== emulator at scale ===")
    print(f"import of {imp['artifacts']} artifacts via batch ({imp['batches']} x {imp['chunk']}): "
          f"{imp['wall_s']} s  [target < {TARGET_IMPORT_S:.0f} s: {ok[imp['meets_target']]}]")
    print(f"  per batch median {imp['batch']['median_ms']} ms, first {imp['first_batch_ms']} ms, "
          f"last {imp['last_batch_ms']} ms")
    print(f"{'query (page of 200)':<48}{'total':>8}{'median ms':>11}{'p95 ms':>9}  target")
    for q in r["queries"]:
        print(f"{q['name']:<48}{q['total_result_count']:>8}{q['median_ms']:>11.1f}{q['p95_ms']:>9.1f}  "
              f"{ok[q['meets_target']]}")
    print(f"server peak RSS (VmHWM): {r['server_peak_rss_mib']} MiB  [target < {TARGET_RSS_MIB:.0f} MiB: "
          f"{ok[r['meets_rss_target']]}]; sqlite file {r['db_mib']} MiB")
    ei = r.get("export_import")
    if ei:
        print(f"export: {ei['export_s']} s, {ei['export_mib']} MiB JSON")
        if "http_import_error" in ei:
            print(f"POST /emulator/import REFUSED: plain {ei['plain_import_status']}; gzip ({ei.get('gzip_mib')} MiB): "
                  f"{ei['http_import_error'][:80]}")
            if "direct_store_load_s" in ei:
                print(f"  same import without HTTP (fresh process: json parse + Store.load): "
                      f"{ei['direct_load_wall_s']} s (parse {ei['direct_parse_s']} s, load "
                      f"{ei['direct_store_load_s']} s), max RSS {ei['direct_maxrss_mib']} MiB "
                      f"[{ok[ei['meets_rss_target']]}]; stories {ei['stories_after_import']}")
        else:
            how = (f"plain body refused (HTTP {ei['plain_import_status']}), sent gzip ({ei['gzip_mib']} MiB)"
                   if "gzip_mib" in ei else "plain JSON body")
            print(f"POST /emulator/import into a fresh emulator [{how}]: {ei['import_s']} s, its VmHWM "
                  f"{ei['import_vmhwm_mib']} MiB [{ok[ei['meets_rss_target']]}]; stories {ei['stories_after_import']}")
    print(f"runtime {r['runtime_s']} s")


if __name__ == "__main__":
    raise SystemExit(main())
