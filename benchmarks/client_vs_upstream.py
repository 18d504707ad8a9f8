"""Our ``pyral.Rally`` against upstream pyral 1.7.0 and plain httpx, same emulator, same data,
one run, at 0 ms and at a realistic round-trip time.

Run:  .venv/bin/python benchmarks/client_vs_upstream.py [--stories N] [--reps N] [--rtt-ms 0,40]

One HTTPS emulator (``python -m pyral.emulator --tls``; upstream pyral is HTTPS-only) is loaded
once through WSAPI batch with 20,000 stories in the admin's default project, 1,000 of them
("TaskStory ...") with 2-3 tasks each.  ``benchmarks/_client_driver.py`` then runs the same
scenarios under ``.venv/bin/python`` (ours) and ``.venv-upstream/bin/python`` (upstream 1.7.0),
each in its own process, with ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` removed from the
environment (they would override ``verify_ssl_cert=False``):

* connect:  ``Rally(server, apikey=..., verify_ssl_cert=False)`` (time, requests);
* connect_first_get: a fresh ``Rally(...)`` plus a first one-item ``get`` (our client defers
  part of the context discovery to first use, so this is the like-for-like connect cost);
* iterate:  all 20,000 stories with a 6-field fetch, every field read (defaults otherwise:
  pagesize 1000, upstream's automatic threading);
* walk:     the 1,000 TaskStories with ``fetch="FormattedID,Name,Tasks"``, walking
  ``story.Tasks`` and reading each task's Name;
* create_multiple / update_multiple: 1,000 new stories in one call, then those 1,000 updated.

Every scenario runs once per RTT in ``--rtt-ms``: at 0 ms straight to the emulator, otherwise
through ``latency_proxy.LatencyProxy`` (half the RTT each way on every chunk, one RTT per new
connection).  The **raw limit** of a scenario is the same data read or written with the fewest
requests and no client (plain httpx, keep-alive, JSON decoded; follow-up pages 4 at a time):
connect = one ``GET user`` on a new connection; iterate = pages of 2,000; walk = the story query
plus one Task query (``WorkProduct.Name contains``) in pages of 2,000; create/update = one
batch of all the items.
Requests are counted in each client process at its HTTP layer (see the driver).  Figures are
medians of ``--reps`` repetitions; ratios are ours / upstream (target: time ratio <= 0.5).
Writes ``benchmarks/results/client_vs_upstream.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ADMIN_API_KEY, ROOT, WSAPI, EmulatorProcess, write_result  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402

OURS = ROOT / ".venv" / "bin" / "python"
UPSTREAM = ROOT / ".venv-upstream" / "bin" / "python"
DRIVER = ROOT / "benchmarks" / "_client_driver.py"
TARGET_RATIO = 0.5
SIX = "FormattedID,Name,ScheduleState,PlanEstimate,Owner,Iteration"
ALL_QUERY = '(Name contains "Story")'  # the 20,000 loaded stories, not the ones bulk scenarios add
TASK_QUERY = '(Name contains "TaskStory")'
SCENARIOS = ("connect", "connect_first_get", "iterate", "walk_tasks", "create_multiple", "update_multiple")


def check(resp: httpx.Response) -> dict[str, Any]:
    if resp.status_code != 200:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: HTTP {resp.status_code}: {resp.text[:1000]}")
    body = resp.json()
    inner = next(iter(body.values()))
    if inner.get("Errors"):
        raise RuntimeError(f"{resp.request.url}: {inner['Errors']}")
    return body


def batch(client: httpx.Client, type_: str, bodies: list[dict[str, Any]], chunk: int = 500) -> list[int]:
    oids: list[int] = []
    for first in range(0, len(bodies), chunk):
        entries = [{"Entry": {"Path": f"/{type_}/create", "Method": "PUT", "Body": {type_: b}}}
                   for b in bodies[first:first + chunk]]
        results = check(client.post(f"{WSAPI}/batch", params={"fetch": "ObjectID"},
                                    json={"Batch": entries}))["BatchResult"]["Results"]
        errs = [r["Errors"] for r in results if r["Errors"]]
        if errs:
            raise RuntimeError(f"batch {type_} at {first}: {errs[:3]}")
        oids.extend(int(r["Object"]["ObjectID"]) for r in results)
    return oids


def load(emu: EmulatorProcess, stories: int, with_tasks: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    with httpx.Client(base_url=emu.url, verify=False, headers={"ZSESSIONID": ADMIN_API_KEY}, timeout=600) as c:
        project = check(c.get(f"{WSAPI}/project", params={"fetch": "ObjectID,Name"}))["QueryResult"]["Results"][0]
        pref = f"/project/{project['ObjectID']}"
        users = []
        for name in ("alice", "bob", "carol", "dave"):
            body = check(c.put(f"{WSAPI}/user/create", params={"fetch": "ObjectID"}, json={"User": {
                "UserName": f"{name}@example.com", "EmailAddress": f"{name}@example.com",
                "DisplayName": name.title()}}))
            users.append(body["CreateResult"]["Object"]["ObjectID"])
        iterations = []
        for i in range(3):
            body = check(c.put(f"{WSAPI}/iteration/create", params={"fetch": "ObjectID"}, json={"Iteration": {
                "Name": f"Sprint {i + 1}", "Project": pref, "State": "Planning",
                "StartDate": f"2026-0{i + 1}-01", "EndDate": f"2026-0{i + 1}-14"}}))
            iterations.append(body["CreateResult"]["Object"]["ObjectID"])
        states = ["Defined", "In-Progress", "Completed", "Accepted"]
        bodies = [{"Name": f"{'TaskStory' if i < with_tasks else 'Story'} {i}", "Project": pref,
                   "ScheduleState": states[i % 4], "PlanEstimate": [1, 2, 3, 5, 8][i % 5],
                   "Owner": f"/user/{users[i % len(users)]}", "Iteration": f"/iteration/{iterations[i % 3]}"}
                  for i in range(stories)]
        oids = batch(c, "hierarchicalrequirement", bodies)
        tasks = [{"Name": f"Task {j} of {i}", "WorkProduct": f"/hierarchicalrequirement/{oids[i]}", "Project": pref,
                  "State": "Defined", "Estimate": 2}
                 for i in range(with_tasks) for j in range(2 + i % 2)]
        batch(c, "task", tasks)
    return {"stories": stories, "stories_with_tasks": with_tasks, "tasks": len(tasks), "project": project["Name"],
            "load_s": round(time.perf_counter() - t0, 1)}



def _median(values: list[float]) -> float:
    return round(sorted(values)[len(values) // 2], 4)


def _pages(c: httpx.Client, path: str, params: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every result of a query: the first page of 2,000, then the others 4 at a time."""
    first = check(c.get(path, params={**params, "pagesize": "2000", "start": "1"}))["QueryResult"]
    items, total = list(first["Results"]), first["TotalResultCount"]
    starts = list(range(2001, total + 1, 2000))
    with ThreadPoolExecutor(4) as pool:
        for page in pool.map(lambda st: check(c.get(path, params={**params, "pagesize": "2000",
                                                                     "start": str(st)}))["QueryResult"], starts):
            items.extend(page["Results"])
    return items, 1 + len(starts)


def raw_limits(base: str, reps: int, bulk: int, rtt: int) -> dict[str, dict[str, Any]]:
    """Each scenario's data with the fewest requests and no client (plain httpx)."""
    out: dict[str, list[tuple[float, int]]] = {k: [] for k in SCENARIOS}
    opts: dict[str, Any] = {"base_url": base, "verify": False, "headers": {"ZSESSIONID": ADMIN_API_KEY},
                            "timeout": 600, "limits": httpx.Limits(max_connections=12)}
    for _ in range(reps):
        t0 = time.perf_counter()
        with httpx.Client(**opts) as c:  # a new connection, as a new Rally makes
            check(c.get(f"{WSAPI}/user", params={"fetch": "UserName,UserProfile,DefaultWorkspace,DefaultProject"}))
        out["connect"].append((time.perf_counter() - t0, 1))
    with httpx.Client(**opts) as c:
        for rep in range(reps):
            t0 = time.perf_counter()
            items, n = _pages(c, f"{WSAPI}/hierarchicalrequirement", {"fetch": SIX, "query": ALL_QUERY})
            out["iterate"].append((time.perf_counter() - t0, n))
            t0 = time.perf_counter()
            stories, n1 = _pages(c, f"{WSAPI}/hierarchicalrequirement",
                                 {"fetch": "FormattedID,Name,Tasks", "query": TASK_QUERY})
            tasks, n2 = _pages(c, f"{WSAPI}/task", {"fetch": "true", "query": '(WorkProduct.Name contains "TaskStory")'})
            assert stories and len(tasks) >= 2 * len(stories), (len(stories), len(tasks))
            out["walk_tasks"].append((time.perf_counter() - t0, n1 + n2))
            entries = [{"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT",
                                  "Body": {"hierarchicalrequirement": {"Name": f"Bulk raw {rtt} {rep} {i}",
                                                                       "Notes": "bulk"}}}} for i in range(bulk)]
            t0 = time.perf_counter()
            made = check(c.post(f"{WSAPI}/batch", params={"fetch": "FormattedID,Name"},
                                json={"Batch": entries}))["BatchResult"]["Results"]
            out["create_multiple"].append((time.perf_counter() - t0, 1))
            updates = [{"Entry": {"Path": f"/hierarchicalrequirement/{r['Object']['_ref'].rsplit('/', 1)[1]}",
                                  "Method": "POST", "Body": {"hierarchicalrequirement": {"Notes": "updated"}}}}
                       for r in made]
            t0 = time.perf_counter()
            check(c.post(f"{WSAPI}/batch", params={"fetch": "FormattedID,Name"}, json={"Batch": updates}))
            out["update_multiple"].append((time.perf_counter() - t0, 1))
    return {k: {"median_s": _median([s for s, _ in v]), "requests": v[-1][1]} for k, v in out.items() if v}


def run_driver(python: Path, flavour: str, spec: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["PYTHONWARNINGS"] = "ignore"  # urllib3's InsecureRequestWarning per request would drown the output
    proc = subprocess.run([str(python), str(DRIVER), json.dumps({**spec, "flavour": flavour})], capture_output=True,
                          text=True, env=env, cwd=str(ROOT / "benchmarks"), timeout=3600, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"flavour": flavour, "error": (proc.stderr or proc.stdout)[-3000:]}
    return json.loads(lines[-1])


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def measure_at(emu: EmulatorProcess, rtt: int, args: argparse.Namespace) -> dict[str, Any]:
    """Raw limits, ours and upstream, all through the same RTT."""
    def run(port: int) -> dict[str, Any]:
        server = f"127.0.0.1:{port}"
        spec = {"server": server, "apikey": ADMIN_API_KEY, "connect_reps": 2 * args.reps, "rtt_ms": rtt,
                "iterate_reps": args.reps, "walk_reps": args.reps, "all_query": ALL_QUERY, "task_query": TASK_QUERY,
                "bulk_items": args.bulk, "bulk_reps": args.reps}
        print(f"[{rtt} ms] raw limits ...", flush=True)
        raw = raw_limits(f"https://{server}", args.reps, args.bulk, rtt)
        runs = {}
        for flavour, python in (("ours", OURS), ("upstream", UPSTREAM)):
            t0 = time.perf_counter()
            runs[flavour] = run_driver(python, flavour, spec)
            print(f"[{rtt} ms] {flavour} done in {time.perf_counter() - t0:.1f} s", flush=True)
        return {"raw": raw, "runs": runs}

    if rtt == 0:
        got = run(int(emu.server.rsplit(":", 1)[1]))
    else:
        with LatencyProxy(int(emu.server.rsplit(":", 1)[1]), rtt) as proxy:
            got = run(proxy.port)
    rows = []
    ours, up, raw = got["runs"]["ours"], got["runs"]["upstream"], got["raw"]
    for scenario in SCENARIOS:
        o, u, r = ours.get(scenario, {}), up.get(scenario, {}), raw.get(scenario, {})
        rows.append({"rtt_ms": rtt, "scenario": scenario, "ours_s": o.get("median_s"),
                     "upstream_s": u.get("median_s"), "raw_s": r.get("median_s"),
                     "ours_vs_upstream": ratio(o.get("median_s"), u.get("median_s")),
                     "ours_vs_raw": ratio(o.get("median_s"), r.get("median_s")),
                     "ours_requests": o.get("requests"), "upstream_requests": u.get("requests"),
                     "raw_requests": r.get("requests"),
                     "ours_items": o.get("items", o.get("tasks")), "upstream_items": u.get("items", u.get("tasks"))})
    return {"rtt_ms": rtt, "rows": rows, **got}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--stories", type=int, default=20_000)
    ap.add_argument("--with-tasks", type=int, default=1_000)
    ap.add_argument("--bulk", type=int, default=1_000, help="items per createMultiple/updateMultiple")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each scenario (connect: 2x this)")
    ap.add_argument("--rtt-ms", default="0,40", help="comma-separated round-trip times to measure at")
    args = ap.parse_args()
    if not UPSTREAM.exists():
        print(f"missing {UPSTREAM}: run scripts/setup.sh (it creates .venv-upstream with pyral 1.7.0)")
        return 2
    started = time.perf_counter()
    load_before = os.getloadavg()
    with EmulatorProcess(tls=True) as emu:
        print(f"emulator (TLS) at {emu.url}; loading {args.stories} stories, {args.with_tasks} with tasks ...",
              flush=True)
        data = load(emu, args.stories, args.with_tasks)
        print(f"loaded in {data['load_s']} s ({data['tasks']} tasks)", flush=True)
        by_rtt = [measure_at(emu, int(rtt), args) for rtt in args.rtt_ms.split(",")]
        memory = emu.memory()
    rows = [row for got in by_rtt for row in got["rows"]]
    result = {"data": data, "by_rtt": by_rtt, "table": rows, "emulator_memory_mib": memory,
              "loadavg_at_start": [round(x, 2) for x in load_before],
              "runtime_s": round(time.perf_counter() - started, 1)}
    path = write_result("client_vs_upstream", result)

    def fmt(v: Any, spec_: str) -> str:
        return format(v, spec_) if isinstance(v, (int, float)) else "-"

    print("\n=== ours vs upstream pyral 1.7.0 vs raw httpx (same HTTPS emulator, medians) ===")
    print(f"{'rtt':>4} {'scenario':<17}{'ours s':>8}{'up s':>8}{'raw s':>8}{'ours/up':>8}{'ours/raw':>9}"
          f"{'requests ours/up/raw':>22}")
    for r in rows:
        reqs = f"{r['ours_requests']}/{r['upstream_requests']}/{r['raw_requests']}"
        print(f"{r['rtt_ms']:>4} {r['scenario']:<17}{fmt(r['ours_s'], '8.3f')}{fmt(r['upstream_s'], '8.3f')}"
              f"{fmt(r['raw_s'], '8.3f')}{fmt(r['ours_vs_upstream'], '8.2f')}{fmt(r['ours_vs_raw'], '9.2f')}"
              f"{reqs:>22}")
    for got in by_rtt:
        for flavour, run in got["runs"].items():
            if "error" in run:
                print(f"\n[{got['rtt_ms']} ms] {flavour} FAILED:\n{run['error']}")
    print(f"\nload average at start {result['loadavg_at_start']}; runtime {result['runtime_s']} s; written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
