"""Our ``pyral.Rally`` against upstream pyral 1.7.0, same emulator, same data, one run.

Run:  .venv/bin/python benchmarks/client_vs_upstream.py [--stories N] [--reps N]

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
  ``story.Tasks`` and reading each task's Name.

A bare-httpx run of the same wire requests gives the server + transport floor.
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
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ADMIN_API_KEY, ROOT, WSAPI, EmulatorProcess, write_result  # noqa: E402

OURS = ROOT / ".venv" / "bin" / "python"
UPSTREAM = ROOT / ".venv-upstream" / "bin" / "python"
DRIVER = ROOT / "benchmarks" / "_client_driver.py"
TARGET_RATIO = 0.5


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


def floor(emu: EmulatorProcess, reps: int) -> dict[str, Any]:
    """The same wire requests made with bare httpx (sequential, keep-alive, JSON decoded):
    the server + transport share of each scenario, which no client can go below."""
    six = "FormattedID,Name,ScheduleState,PlanEstimate,Owner,Iteration"
    out: dict[str, list[float]] = {"iterate": [], "walk_tasks": []}
    with httpx.Client(base_url=emu.url, verify=False, headers={"ZSESSIONID": ADMIN_API_KEY}, timeout=600) as c:
        for _ in range(reps):
            t0 = time.perf_counter()
            start, total = 1, 1
            while start <= total:
                qr = check(c.get(f"{WSAPI}/hierarchicalrequirement",
                                 params={"fetch": six, "pagesize": "1000", "start": str(start)}))["QueryResult"]
                total = qr["TotalResultCount"]
                start += 1000
            out["iterate"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            qr = check(c.get(f"{WSAPI}/hierarchicalrequirement", params={
                "fetch": "FormattedID,Name,Tasks", "pagesize": "1000", "query": '(Name contains "TaskStory")'}))
            for story in qr["QueryResult"]["Results"]:
                check(c.get(story["Tasks"]["_ref"], params={"fetch": "true"}))
            out["walk_tasks"].append(time.perf_counter() - t0)
    return {k: round(sorted(v)[len(v) // 2], 3) for k, v in out.items()}


def run_driver(python: Path, flavour: str, spec: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["PYTHONWARNINGS"] = "ignore"  # urllib3's InsecureRequestWarning per request would drown the output
    proc = subprocess.run([str(python), str(DRIVER), json.dumps({**spec, "flavour": flavour})], capture_output=True,
                          text=True, env=env, cwd=str(ROOT / "benchmarks"), timeout=1800, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"flavour": flavour, "error": (proc.stderr or proc.stdout)[-3000:]}
    return json.loads(lines[-1])


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--stories", type=int, default=20_000)
    ap.add_argument("--with-tasks", type=int, default=1_000)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of iterate and walk (connect: 2x this)")
    args = ap.parse_args()
    if not UPSTREAM.exists():
        print(f"missing {UPSTREAM}: run scripts/setup.sh (it creates .venv-upstream with pyral 1.7.0)")
        return 2
    started = time.perf_counter()
    with EmulatorProcess(tls=True) as emu:
        print(f"emulator (TLS) at {emu.url}; loading {args.stories} stories, {args.with_tasks} with tasks ...",
              flush=True)
        data = load(emu, args.stories, args.with_tasks)
        print(f"loaded in {data['load_s']} s ({data['tasks']} tasks)", flush=True)
        spec = {"server": emu.server, "apikey": ADMIN_API_KEY, "connect_reps": 2 * args.reps,
                "iterate_reps": args.reps, "walk_reps": args.reps, "all_query": None,
                "task_query": '(Name contains "TaskStory")'}
        print("bare-httpx floor ...", flush=True)
        raw = floor(emu, args.reps)
        runs = {}
        for flavour, python in (("ours", OURS), ("upstream", UPSTREAM)):
            print(f"running {flavour} ({python.relative_to(ROOT)}) ...", flush=True)
            t0 = time.perf_counter()
            runs[flavour] = run_driver(python, flavour, spec)
            print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
        memory = emu.memory()
    rows = []
    ours, up = runs["ours"], runs["upstream"]
    for scenario in ("connect", "connect_first_get", "iterate", "walk_tasks"):
        o, u = ours.get(scenario, {}), up.get(scenario, {})
        rows.append({"scenario": scenario,
                     "ours_s": o.get("median_s"), "upstream_s": u.get("median_s"),
                     "time_ratio": ratio(o.get("median_s"), u.get("median_s")),
                     "ours_requests": o.get("requests"), "upstream_requests": u.get("requests"),
                     "request_ratio": ratio(o.get("requests"), u.get("requests")),
                     "ours_items": o.get("items", o.get("tasks")), "upstream_items": u.get("items", u.get("tasks"))})
        tr = rows[-1]["time_ratio"]
        rows[-1]["meets_target"] = tr is not None and tr <= TARGET_RATIO
    for r in rows:
        r["bare_httpx_floor_s"] = raw.get(r["scenario"])
    result = {"data": data, "spec": spec, "runs": runs, "table": rows, "bare_httpx_floor_s": raw, "target_time_ratio": TARGET_RATIO,
              "emulator_memory_mib": memory, "runtime_s": round(time.perf_counter() - started, 1)}
    path = write_result("client_vs_upstream", result)
    print("\n=== ours vs upstream pyral 1.7.0 (same HTTPS emulator, medians) ===")
    print(f"{'scenario':<18}{'ours s':>9}{'upstream s':>12}{'ratio':>8}{'ours req':>10}{'up req':>8}"
          f"{'req ratio':>10}  target <= {TARGET_RATIO}")

    def fmt(v: Any, spec_: str) -> str:
        return format(v, spec_) if isinstance(v, (int, float)) else "-"

    for r in rows:
        print(f"{r['scenario']:<18}{fmt(r['ours_s'], '9.3f')}{fmt(r['upstream_s'], '12.3f')}"
              f"{fmt(r['time_ratio'], '8.2f')}{fmt(r['ours_requests'], '10d')}{fmt(r['upstream_requests'], '8d')}"
              f"{fmt(r['request_ratio'], '10.2f')}  {'ok' if r['meets_target'] else 'MISSED'}")
    for flavour, run in runs.items():
        if "error" in run:
            print(f"\n{flavour} FAILED:\n{run['error']}")
    print(f"bare httpx, same requests, sequential (server + transport floor): iterate {raw['iterate']} s, "
          f"walk_tasks {raw['walk_tasks']} s")
    print(f"\nruntime {result['runtime_s']} s; written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
