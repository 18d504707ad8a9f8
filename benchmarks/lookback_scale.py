"""Lookback API at scale: 100,000 artifacts with a history, typical snapshot queries timed.

Run:  .venv/bin/python benchmarks/lookback_scale.py [--artifacts N] [--rounds N] [--reps N]

1. starts ``python -m pyral.emulator --port 0 --db <tmp file>`` as a separate process and sets
   its clock to 2026-01-05 (``PUT /emulator/clock``);
2. creates 4 projects (a parent with two children, and a sibling) and 3 iterations each;
3. loads the artifacts (90 % stories, 10 % defects) through ``POST /batch``, one tenth per
   emulated day, then replays ``--rounds`` rounds of ScheduleState/PlanEstimate changes on half
   of them, one round per emulated day (every write records its Lookback snapshot);
4. times each snapshot query ``--reps`` times over one keep-alive connection after 2 warm-ups
   (POST bodies, as clients send them), reporting median / p95 and the result counts;
5. reads the server's peak memory.

Target (issue 12): a page answered in well under a second.  Writes
``benchmarks/results/lookback_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ADMIN_API_KEY, WSAPI, EmulatorProcess, RssSampler, summarize, write_result  # noqa: E402

TARGET_PAGE_MS = 1000.0
START = "2026-01-05T09:00:00.000Z"
DAY = 86400
PROJECTS = [("Online Store", None), ("Checkout Team", 0), ("Catalog Team", 0), ("Platform", None)]
STATES = ["Defined", "In-Progress", "Completed", "Accepted"]


def check(resp: httpx.Response) -> dict[str, Any]:
    if resp.status_code != 200:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: HTTP {resp.status_code}: {resp.text[:2000]}")
    return resp.json()


def create(client: httpx.Client, type_: str, fields: dict[str, Any]) -> int:
    body = check(client.put(f"{WSAPI}/{type_.lower()}/create", params={"fetch": "ObjectID"}, json={type_: fields}))
    if body["CreateResult"]["Errors"]:
        raise RuntimeError(body["CreateResult"]["Errors"])
    return int(body["CreateResult"]["Object"]["ObjectID"])


def batch(client: httpx.Client, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    body = check(client.post(f"{WSAPI}/batch", params={"fetch": "ObjectID"}, json={"Batch": entries}))
    results = body["BatchResult"]["Results"]
    failed = [r["Errors"] for r in results if r["Errors"]]
    if failed:
        raise RuntimeError(f"batch: {failed[:3]}")
    return results


def setup(client: httpx.Client) -> dict[str, Any]:
    ws = check(client.get(f"{WSAPI}/workspace", params={"fetch": "ObjectID"}))["QueryResult"]["Results"][0]["ObjectID"]
    projects: list[int] = []
    for name, parent in PROJECTS:
        fields: dict[str, Any] = {"Name": name, "Workspace": f"/workspace/{ws}"}
        if parent is not None:
            fields["Parent"] = f"/project/{projects[parent]}"
        projects.append(create(client, "Project", fields))
    sprints = [("2026-01-05", "2026-01-18"), ("2026-01-19", "2026-02-01"), ("2026-02-02", "2026-02-15")]
    iterations = {p: [create(client, "Iteration", {
        "Name": f"Sprint {i + 1}", "Project": f"/project/{p}", "State": "Planning",
        "StartDate": start, "EndDate": end}) for i, (start, end) in enumerate(sprints)] for p in projects}
    return {"workspace": ws, "projects": projects, "iterations": iterations}


def load(client: httpx.Client, ctx: dict[str, Any], n: int, chunk: int, rounds: int) -> dict[str, Any]:
    rnd = random.Random(12)
    created: list[tuple[str, int]] = []
    started = time.perf_counter()
    per_day = max(1, n // 10)
    for first in range(0, n, chunk):
        if first and first % per_day < chunk:
            check(client.put("/emulator/clock", json={"advance": DAY}))
        entries = []
        for i in range(first, min(n, first + chunk)):
            project = rnd.choice(ctx["projects"])
            type_ = "defect" if i % 10 == 9 else "hierarchicalrequirement"
            fields: dict[str, Any] = {"Name": f"Item {i}", "Project": f"/project/{project}",
                                      "Iteration": f"/iteration/{rnd.choice(ctx['iterations'][project])}"}
            if type_ == "hierarchicalrequirement":
                fields["PlanEstimate"] = rnd.choice([1, 2, 3, 5, 8])
            entries.append({"Entry": {"Path": f"/{type_}/create", "Method": "PUT", "Body": {type_: fields}}})
        for entry, result in zip(entries, batch(client, entries), strict=True):
            created.append((entry["Entry"]["Path"].split("/")[1], int(result["Object"]["ObjectID"])))
    load_s = time.perf_counter() - started
    print(f"  created {n} in {load_s:.1f} s", flush=True)
    t1 = time.perf_counter()
    updates = 0
    for round_no in range(rounds):
        check(client.put("/emulator/clock", json={"advance": DAY}))
        chosen = rnd.sample(created, len(created) // 2)
        for first in range(0, len(chosen), chunk):
            entries = []
            for type_, oid in chosen[first:first + chunk]:
                body: dict[str, Any] = {"ScheduleState": STATES[min(round_no + 1, 3)]}
                if type_ == "hierarchicalrequirement" and rnd.random() < 0.3:
                    body["PlanEstimate"] = rnd.choice([1, 2, 3, 5, 8, 13])
                entries.append({"Entry": {"Path": f"/{type_}/{oid}", "Method": "POST", "Body": {type_: body}}})
            batch(client, entries)
            updates += len(entries)
        print(f"  round {round_no + 1}: {updates} updates, {time.perf_counter() - t1:.1f} s", flush=True)
    update_s = time.perf_counter() - t1
    return {"artifacts": n, "updates": updates, "create_s": round(load_s, 1), "creates_per_s": round(n / load_s),
            "update_s": round(update_s, 1), "updates_per_s": round(updates / update_s) if update_s else None,
            "oids": [oid for _, oid in created[:: max(1, n // 50)]]}


def queries(ctx: dict[str, Any], sample_oid: int) -> list[dict[str, Any]]:
    root, child = ctx["projects"][0], ctx["projects"][1]
    sprint = ctx["iterations"][child][0]
    middle = "2026-01-10T12:00:00.000Z"
    std = ["ObjectID", "ScheduleState", "PlanEstimate", "_ValidFrom", "_ValidTo"]
    return [
        {"name": "one item's history (fields=true)", "body": {"find": {"ObjectID": sample_oid}, "fields": True}},
        {"name": "stories __At mid-history in a project tree, page 1000",
         "body": {"find": {"_TypeHierarchy": "HierarchicalRequirement", "_ProjectHierarchy": root, "__At": middle},
                  "fields": std, "hydrate": ["ScheduleState"], "pagesize": 1000}},
        {"name": "current state of an iteration, page 1000",
         "body": {"find": {"Iteration": sprint, "__At": "current"}, "fields": ["ObjectID", "FormattedID",
                  "ScheduleState", "PlanEstimate"], "pagesize": 1000}},
        {"name": "iteration burndown window, compress, page 2000",
         "body": {"find": {"Iteration": sprint, "_TypeHierarchy": {"$in": ["HierarchicalRequirement", "Defect"]},
                           "_ValidFrom": {"$lte": "2026-01-18T23:59:59.000Z"},
                           "_ValidTo": {"$gte": "2026-01-05T00:00:00.000Z"}},
                  "fields": std, "compress": True, "pagesize": 2000}},
        {"name": "transitions into Accepted (previous values), page 1000",
         "body": {"find": {"ScheduleState": "Accepted", "_PreviousValues.ScheduleState": {"$exists": True},
                           "_ValidFrom": {"$gte": "2026-01-01"}},
                  "fields": ["ObjectID", "_ValidFrom", "_PreviousValues.ScheduleState"], "pagesize": 1000}},
        {"name": "counts only: In-Progress or later __At current (pagesize 1)",
         "body": {"find": {"ScheduleState": {"$gte": "In-Progress"}, "__At": "current"}, "pagesize": 1}},
        {"name": "deep page: all stories by _ValidFrom, start 100000, page 1000",
         "body": {"find": {"_TypeHierarchy": "HierarchicalRequirement"}, "fields": ["ObjectID", "_ValidFrom"],
                  "start": 100000, "pagesize": 1000}},
    ]


def time_queries(client: httpx.Client, url: str, ctx: dict[str, Any], sample: int, reps: int) -> list[dict[str, Any]]:
    out = []
    for q in queries(ctx, sample):
        first = check(client.post(url, content=json.dumps(q["body"])))
        if first["Errors"]:
            raise RuntimeError(f"{q['name']}: {first['Errors']}")
        client.post(url, content=json.dumps(q["body"]))
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            resp = client.post(url, content=json.dumps(q["body"]))
            samples.append(time.perf_counter() - t0)
            resp.raise_for_status()
        stats = summarize(samples)
        out.append({"name": q["name"], "body": q["body"], "total_result_count": first["TotalResultCount"],
                    "page_items": len(first["Results"]), "server_total_ms": first["Timings"]["TOTAL"], **stats,
                    "meets_target": stats["median_ms"] <= TARGET_PAGE_MS})
        print(f"  {q['name']:<62} total {first['TotalResultCount']:>7}  page {len(first['Results']):>5}  "
              f"median {stats['median_ms']:7.1f} ms  p95 {stats['p95_ms']:7.1f} ms", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--artifacts", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of changes to half of the artifacts")
    ap.add_argument("--chunk", type=int, default=500, help="batch entries per POST /batch")
    ap.add_argument("--reps", type=int, default=15, help="timed repetitions per query")
    args = ap.parse_args()
    started = time.perf_counter()
    result: dict[str, Any] = {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
                              "target_page_ms": TARGET_PAGE_MS, "args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="pyral-lookback-") as tmp:
        db = Path(tmp) / "lookback.db"
        with EmulatorProcess(str(db)) as emu, RssSampler(emu) as sampler, \
                httpx.Client(base_url=emu.url, headers={"ZSESSIONID": ADMIN_API_KEY}, timeout=600) as client:
            print(f"emulator pid {emu.pid} at {emu.url}")
            check(client.put("/emulator/clock", json={"now": START}))
            ctx = setup(client)
            print(f"loading {args.artifacts} artifacts and {args.rounds} rounds of changes ...", flush=True)
            result["load"] = loaded = load(client, ctx, args.artifacts, args.chunk, args.rounds)
            url = f"/analytics/v2.0/service/rally/workspace/{ctx['workspace']}/artifact/snapshot/query.js"
            everything = check(client.post(url, json={"find": {"_TypeHierarchy": "Artifact"}, "pagesize": 1}))
            result["snapshots"] = everything["TotalResultCount"]
            print(f"{result['snapshots']} snapshots; queries ({args.reps} timed reps each, keep-alive):")
            result["queries"] = time_queries(client, url, ctx, loaded.pop("oids")[len(ctx) % 7], args.reps)
            mem = emu.memory()
            result["server_peak_rss_mib"] = max(mem.get("VmHWM", 0.0), sampler.peak)
            result["db_mib"] = round(sum(f.stat().st_size for f in db.parent.glob(db.name + "*")) / 2**20, 1)
    result["all_meet_target"] = all(q["meets_target"] for q in result["queries"])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    path = write_result("lookback_scale", result)
    print(f"wrote {path} ({result['wall_s']} s); every page under {TARGET_PAGE_MS:.0f} ms: {result['all_meet_target']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
