"""Our ``pyral.Rally`` against upstream pyral 1.7.0 and plain httpx, same emulator, same data,
one run, at 0 ms and at a realistic round-trip time, measured interleaved.

Run:  .venv/bin/python benchmarks/client_vs_upstream.py [--stories N] [--reps N] [--rtt-ms 0,40]
      [--scenarios create_multiple,update_multiple] [--out NAME] [--profile DIR]

One HTTPS emulator (``python -m pyral.emulator --tls``; upstream pyral is HTTPS-only) is loaded
once through WSAPI batch with 20,000 stories in the admin's default project, 1,000 of them
("TaskStory ...") with 2-3 tasks each.  At each RTT three *sides* are opened: **raw** (plain
httpx in this process), **ours** and **upstream**: one long-lived ``benchmarks/_client_driver.py``
process each, under ``.venv/bin/python`` and ``.venv-upstream/bin/python``, with
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` removed from the environment (they would override
``verify_ssl_cert=False``).  A driver keeps one ``Rally`` open and answers one JSON command
per line (scenario + parameters) with one JSON result (time, CPU time, requests, items).

The scenarios run in this order, each for every repetition before the next scenario starts,
and within a repetition on all three sides in turn, the order rotated by one each repetition
(raw/ours/upstream, ours/upstream/raw, ...) so that no side is always first:

* connect (2x ``--reps``):  ``Rally(server, apikey=..., verify_ssl_cert=False)``;
* connect_first_get (2x ``--reps``): a fresh ``Rally(...)`` plus a first one-item ``get`` (our
  client defers part of the context discovery to first use: the like-for-like connect cost);
* iterate:  all 20,000 stories with a 6-field fetch, every field read (defaults otherwise:
  pagesize 1000, upstream's automatic threading);
* walk_tasks: the 1,000 TaskStories with ``fetch="FormattedID,Name,Tasks"``, walking
  ``story.Tasks`` and reading each task's Name;
* create_multiple / update_multiple: 1,000 new stories in one call, then those 1,000 updated
  (each repetition: the create on all sides, then the update on all sides).

The reads run before any write, and written stories are named "Bulk ..." (outside both read
queries), so every side's reads see the same data.  At 0 ms the sides talk straight to the
emulator, otherwise through ``latency_proxy.LatencyProxy`` (half the RTT each way on every
chunk, one RTT per new connection).  The **raw limit** of a scenario is the same data read or
written with the fewest requests and no client (plain httpx, keep-alive, JSON decoded;
follow-up pages 4 at a time): connect = one ``GET user`` on a new connection; iterate = pages
of 2,000; walk = the story query plus one Task query (``WorkProduct.Name contains``) in pages
of 2,000; create/update = one batch of all the items (raw has no connect_first_get).
Requests are counted at each stack's lowest HTTP layer (httpx transport / ``requests.Session.send``
in the drivers, an httpx request hook for raw).  The JSON keeps every repetition's time; the
table shows medians (and the minimum); ratios are ours / upstream and ours / raw, of the
medians, of the minima, and "paired": the median over repetitions of ours / raw within one
repetition (the two measured back to back, so slow drift of the machine cancels out).  Every
answer also carries the client's CPU time, the emulator process's CPU time around the command
and, through the proxy, the number of new connections.  Before each timed command other than
the connect ones, each side sends one small untimed query (``warm``), so that no side pays for a
connection the emulator closed after 5 s idle while the other sides ran.
Writes ``benchmarks/results/<--out>.json`` (default ``client_vs_upstream``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

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
READS = ("connect", "connect_first_get", "iterate", "walk_tasks")
WRITES = ("create_multiple", "update_multiple")
SCENARIOS = READS + WRITES
SIDES = ("raw", "ours", "upstream")


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


class RawSide:
    """The raw limits, one command at a time, in this process (plain httpx, one keep-alive pool)."""

    def __init__(self, base: str, apikey: str = ADMIN_API_KEY) -> None:
        self.base, self.apikey = base, apikey
        self.requests = 0
        self.made: list[str] = []
        self._lock = threading.Lock()
        self.client = httpx.Client(**self._options())

    def _count(self, request: httpx.Request) -> None:
        with self._lock:  # hooks run on the page pool's threads too
            self.requests += 1

    def _options(self) -> dict[str, Any]:
        return {"base_url": self.base, "verify": False, "headers": {"ZSESSIONID": self.apikey}, "timeout": 600,
                "limits": httpx.Limits(max_connections=12), "event_hooks": {"request": [self._count]}}

    def _pages(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every result of a query: the first page of 2,000, then the others 4 at a time."""
        c = self.client
        first = check(c.get(path, params={**params, "pagesize": "2000", "start": "1"}))["QueryResult"]
        items, total = list(first["Results"]), first["TotalResultCount"]
        starts = list(range(2001, total + 1, 2000))
        with ThreadPoolExecutor(4) as pool:
            for page in pool.map(lambda st: check(c.get(path, params={**params, "pagesize": "2000",
                                                                         "start": str(st)}))["QueryResult"], starts):
                items.extend(page["Results"])
        return items

    def _connect(self, cmd: dict[str, Any]) -> int:
        with httpx.Client(**self._options()) as c:  # a new connection, as a new Rally makes
            check(c.get(f"{WSAPI}/user", params={"fetch": "UserName,UserProfile,DefaultWorkspace,DefaultProject"}))
        return 1

    def _iterate(self, cmd: dict[str, Any]) -> int:
        return len(self._pages(f"{WSAPI}/hierarchicalrequirement", {"fetch": SIX, "query": ALL_QUERY}))

    def _warm(self, cmd: dict[str, Any]) -> int:
        check(self.client.get(f"{WSAPI}/hierarchicalrequirement", params={"fetch": "FormattedID", "pagesize": "1"}))
        return 1

    def _walk_tasks(self, cmd: dict[str, Any]) -> int:
        stories = self._pages(f"{WSAPI}/hierarchicalrequirement", {"fetch": "FormattedID,Name,Tasks",
                                                                   "query": TASK_QUERY})
        tasks = self._pages(f"{WSAPI}/task", {"fetch": "true", "query": '(WorkProduct.Name contains "TaskStory")'})
        assert stories and len(tasks) >= 2 * len(stories), (len(stories), len(tasks))
        return len(tasks)

    def _create_multiple(self, cmd: dict[str, Any]) -> int:
        entries = [{"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT",
                              "Body": {"hierarchicalrequirement": {"Name": f"{cmd['prefix']} {i}", "Notes": "bulk"}}}}
                   for i in range(cmd["items"])]
        made = check(self.client.post(f"{WSAPI}/batch", params={"fetch": "FormattedID,Name"},
                                      json={"Batch": entries}))["BatchResult"]["Results"]
        self.made = [r["Object"]["_ref"].rsplit("/", 1)[1] for r in made]
        return len(made)

    def _update_multiple(self, cmd: dict[str, Any]) -> int:
        updates = [{"Entry": {"Path": f"/hierarchicalrequirement/{oid}", "Method": "POST",
                              "Body": {"hierarchicalrequirement": {"Notes": "updated"}}}} for oid in self.made]
        done = check(self.client.post(f"{WSAPI}/batch", params={"fetch": "FormattedID,Name"},
                                      json={"Batch": updates}))["BatchResult"]["Results"]
        return len(done)

    def run(self, cmd: dict[str, Any]) -> dict[str, Any]:
        scenario = cmd["scenario"]
        fn = getattr(self, f"_{scenario}", None)
        if fn is None:
            return {"scenario": scenario, "skipped": "no raw limit"}
        before, cpu0 = self.requests, time.process_time()
        t0 = time.perf_counter()
        try:
            items = fn(cmd)
        except Exception as exc:  # noqa: BLE001 - recorded in the result
            return {"scenario": scenario, "error": repr(exc)[-3000:]}
        return {"scenario": scenario, "s": time.perf_counter() - t0, "cpu_s": time.process_time() - cpu0,
                "requests": self.requests - before, "items": items}

    def close(self) -> None:
        self.client.close()


class DriverSide:
    """One long-lived ``_client_driver.py`` process: a JSON command per line in, one JSON answer out."""

    def __init__(self, python: Path, flavour: str, server: str, apikey: str = ADMIN_API_KEY) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
        env["PYTHONWARNINGS"] = "ignore"  # urllib3's InsecureRequestWarning per request would drown the output
        spec = {"flavour": flavour, "server": server, "apikey": apikey, "all_query": ALL_QUERY,
                "task_query": TASK_QUERY}
        self.flavour = flavour
        self.stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([str(python), str(DRIVER), json.dumps(spec)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env,
                                     cwd=str(ROOT / "benchmarks"))
        self.hello: dict[str, Any] | None = None

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stderr.seek(0)
            return {"error": f"{self.flavour} driver ended: {self.stderr.read()[-3000:]}"}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ready(self) -> dict[str, Any]:
        if self.hello is None:
            self.hello = self._answer()
        return self.hello

    def run(self, cmd: dict[str, Any]) -> dict[str, Any]:
        if not self.ready().get("ready") or self.proc.poll() is not None:
            return {"scenario": cmd["scenario"], "error": f"{self.flavour} driver not running: {self.hello}"}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write('{"scenario": "quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def paired(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    """Median over repetitions of a's time / b's time in the same repetition (measured side by side)."""
    pairs = [x / y for x, y in zip(a.get("per_rep_s", []), b.get("per_rep_s", []), strict=False) if y]
    return round(statistics.median(pairs), 3) if pairs else None


def summary(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """A side's repetitions of one scenario: every time, median, min, requests (last repetition)."""
    ok = [a for a in answers if "s" in a]
    out: dict[str, Any] = {"per_rep_s": [round(a["s"], 4) for a in ok],
                           "per_rep_cpu_s": [round(a["cpu_s"], 4) for a in ok],
                           "per_rep_server_cpu_s": [round(a["server_cpu_s"], 3) for a in ok],
                           "per_rep_requests": [a["requests"] for a in ok]}
    if any("new_connections" in a for a in ok):
        out["per_rep_new_connections"] = [a.get("new_connections") for a in ok]
    if ok:
        out.update(median_s=round(statistics.median(a["s"] for a in ok), 4), min_s=round(min(a["s"] for a in ok), 4),
                   requests=ok[-1]["requests"], items=ok[-1]["items"])
    errors = [a["error"] for a in answers if "error" in a]
    if errors:
        out["errors"] = errors[:2]
    return out


def rotation(rep: int) -> tuple[str, ...]:
    k = rep % len(SIDES)
    return SIDES[k:] + SIDES[:k]


def measure_at(emu: EmulatorProcess, rtt: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every chosen scenario on raw, ours and upstream, interleaved, all through the same RTT."""
    scenarios = [s for s in SCENARIOS if s in args.scenarios]

    def run(port: int, proxy: LatencyProxy | None) -> dict[str, Any]:
        server = f"127.0.0.1:{port}"
        sides: dict[str, Any] = {"ours": DriverSide(OURS, "ours", server),
                                 "upstream": DriverSide(UPSTREAM, "upstream", server)}
        sides["raw"] = RawSide(f"https://{server}")
        answers: dict[str, dict[str, list[dict[str, Any]]]] = {s: {k: [] for k in scenarios} for s in SIDES}
        order: list[str] = []
        try:
            hello = {k: sides[k].ready() for k in ("ours", "upstream")}

            def timed(side: str, scenario: str, rep: int, **params: Any) -> dict[str, Any]:
                """One command on one side; the emulator's CPU and the proxy's new connections around it."""
                if not scenario.startswith("connect"):
                    sides[side].run({"scenario": "warm"})  # untimed: every side starts on a live connection
                cmd: dict[str, Any] = {"scenario": scenario, **params}
                if args.profile and side != "raw":
                    cmd["profile"] = str(Path(args.profile) / f"{side}-{rtt}ms-{scenario}-{rep}.prof")
                cpu0, conns0 = emu.cpu_seconds(), proxy.connections if proxy else 0
                got = sides[side].run(cmd)
                got["server_cpu_s"] = emu.cpu_seconds() - cpu0
                if proxy:
                    got["new_connections"] = proxy.connections - conns0
                return got

            def one(scenario: str, rep: int, **params: Any) -> None:
                for side in rotation(rep):
                    answers[side][scenario].append(timed(side, scenario, rep, **params))
                    order.append(f"{scenario}#{rep}:{side}")

            t0 = time.perf_counter()
            for scenario in (s for s in scenarios if s in READS):
                reps = 2 * args.reps if scenario.startswith("connect") else args.reps
                for rep in range(reps):
                    one(scenario, rep)
                print(f"[{rtt} ms] {scenario} done ({time.perf_counter() - t0:.1f} s)", flush=True)
            writes = [s for s in scenarios if s in WRITES]
            for rep in range(args.reps if writes else 0):
                if "create_multiple" in writes or "update_multiple" in writes:
                    for side in rotation(rep):  # update needs a create on every side; timed only if chosen
                        got = timed(side, "create_multiple", rep, items=args.bulk, prefix=f"Bulk {side} {rtt} {rep}")
                        if "create_multiple" in writes:
                            answers[side]["create_multiple"].append(got)
                            order.append(f"create_multiple#{rep}:{side}")
                if "update_multiple" in writes:
                    one("update_multiple", rep)
            if writes:
                print(f"[{rtt} ms] writes done ({time.perf_counter() - t0:.1f} s)", flush=True)
        finally:
            for side in sides.values():
                side.close()
        return {"drivers": hello, "order": order,
                "sides": {side: {k: summary(v) for k, v in per.items()} for side, per in answers.items()}}

    if rtt == 0:
        got = run(int(emu.server.rsplit(":", 1)[1]), None)
    else:
        with LatencyProxy(int(emu.server.rsplit(":", 1)[1]), rtt) as proxy:
            got = run(proxy.port, proxy)
    rows = []
    for scenario in scenarios:
        o, u, r = (got["sides"][side][scenario] for side in ("ours", "upstream", "raw"))
        rows.append({"rtt_ms": rtt, "scenario": scenario, "ours_s": o.get("median_s"),
                     "upstream_s": u.get("median_s"), "raw_s": r.get("median_s"),
                     "ours_min_s": o.get("min_s"), "upstream_min_s": u.get("min_s"), "raw_min_s": r.get("min_s"),
                     "ours_vs_upstream": ratio(o.get("median_s"), u.get("median_s")),
                     "ours_vs_raw": ratio(o.get("median_s"), r.get("median_s")),
                     "ours_vs_raw_min": ratio(o.get("min_s"), r.get("min_s")),
                     "ours_vs_raw_paired": paired(o, r), "ours_vs_upstream_paired": paired(o, u),
                     "ours_requests": o.get("requests"), "upstream_requests": u.get("requests"),
                     "raw_requests": r.get("requests"), "ours_items": o.get("items"),
                     "upstream_items": u.get("items")})
    return {"rtt_ms": rtt, "rows": rows, **got}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    ap.add_argument("--stories", type=int, default=20_000)
    ap.add_argument("--with-tasks", type=int, default=1_000)
    ap.add_argument("--bulk", type=int, default=1_000, help="items per createMultiple/updateMultiple")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each scenario (connect: 2x this)")
    ap.add_argument("--rtt-ms", default="0,40", help="comma-separated round-trip times to measure at")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}")
    ap.add_argument("--out", default="client_vs_upstream", help="result file name under benchmarks/results")
    ap.add_argument("--profile", default="", help="directory: cProfile every driver command into it")
    args = ap.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        ap.error(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
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
    result = {"method": "interleaved", "reps": args.reps, "bulk": args.bulk, "scenarios": args.scenarios,
              "data": data, "by_rtt": by_rtt, "table": rows, "emulator_memory_mib": memory,
              "loadavg_at_start": [round(x, 2) for x in load_before],
              "runtime_s": round(time.perf_counter() - started, 1)}
    path = write_result(args.out, result)

    def fmt(v: Any, spec_: str) -> str:
        width = int(spec_.split(".")[0] or 0)
        return format(v, spec_) if isinstance(v, (int, float)) else "-".rjust(width)

    print("\n=== ours vs upstream pyral 1.7.0 vs raw httpx (same HTTPS emulator, interleaved; median (min)) ===")
    print(f"{'rtt':>4} {'scenario':<18}{'ours s':>16}{'up s':>16}{'raw s':>16}{'ours/up':>8}{'ours/raw':>9}"
          f"{'(min)':>6}{'paired':>7}{'requests ours/up/raw':>22}")
    for r in rows:
        reqs = f"{r['ours_requests']}/{r['upstream_requests']}/{r['raw_requests']}"
        cells = "".join(f"{fmt(r[f'{k}_s'], '7.3f'):>7} ({fmt(r[f'{k}_min_s'], '.3f')})"
                        for k in ("ours", "upstream", "raw"))
        print(f"{r['rtt_ms']:>4} {r['scenario']:<18}{cells}{fmt(r['ours_vs_upstream'], '8.2f')}"
              f"{fmt(r['ours_vs_raw'], '9.2f')}{fmt(r['ours_vs_raw_min'], '6.2f')}"
              f"{fmt(r['ours_vs_raw_paired'], '7.2f')}{reqs:>22}")
    for got in by_rtt:
        for side, per in got["sides"].items():
            for scenario, summ in per.items():
                for err in summ.get("errors", []):
                    print(f"\n[{got['rtt_ms']} ms] {side} {scenario} FAILED:\n{err}")
    print(f"\nload average at start {result['loadavg_at_start']}, at end {[round(x, 2) for x in os.getloadavg()]}; "
          f"runtime {result['runtime_s']} s; written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
