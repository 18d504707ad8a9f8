"""Driver for client_vs_upstream.py: runs the scenarios with whichever ``pyral`` the running
interpreter imports (ours from ``.venv``, upstream 1.7.0 from ``.venv-upstream``).

Reads a JSON spec from argv[1], prints one JSON result line.  Requests are counted at the
lowest HTTP layer of each stack: ``httpx.HTTPTransport.handle_request`` for ours,
``requests.Session.send`` for upstream (every wire request, threaded page fetches included).
Kept compatible with both environments: no imports from the benchmark package.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from typing import Any

import pyral

SIX_FIELDS = "FormattedID,Name,ScheduleState,PlanEstimate,Owner,Iteration"


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def hit(self) -> None:
        with self._lock:
            self.n += 1


COUNT = Counter()


def install_counter(flavour: str) -> None:
    if flavour == "upstream":
        import requests

        real_send = requests.Session.send

        def send(self: Any, request: Any, **kwargs: Any) -> Any:
            COUNT.hit()
            return real_send(self, request, **kwargs)

        requests.Session.send = send  # type: ignore[method-assign]
    else:
        import httpx

        real_handle = httpx.HTTPTransport.handle_request

        def handle(self: Any, request: Any) -> Any:
            COUNT.hit()
            return real_handle(self, request)

        httpx.HTTPTransport.handle_request = handle  # type: ignore[method-assign]


def measure(fn: Any) -> tuple[Any, float, int]:
    before = COUNT.n
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0, COUNT.n - before


def main() -> None:
    spec = json.loads(sys.argv[1])
    flavour = spec["flavour"]
    install_counter(flavour)
    server, apikey = spec["server"], spec["apikey"]

    def connect() -> Any:
        return pyral.Rally(server, apikey=apikey, verify_ssl_cert=False)

    out: dict[str, Any] = {"flavour": flavour, "pyral_version": getattr(pyral, "__version__", "?")}
    connects = []
    rally = None
    for _ in range(spec["connect_reps"]):
        rally, secs, reqs = measure(connect)
        connects.append((secs, reqs))
        if rally is not None and hasattr(rally, "close") and len(connects) < spec["connect_reps"]:
            rally.close()
    out["connect"] = {"median_s": statistics.median(s for s, _ in connects),
                      "min_s": min(s for s, _ in connects), "requests": connects[0][1],
                      "first_s": connects[0][0], "per_rep_s": [s for s, _ in connects],
                      "per_rep_requests": [r for _, r in connects], "reps": len(connects)}
    assert rally is not None

    def connect_and_get() -> int:
        fresh = connect()
        n = sum(1 for _ in fresh.get("HierarchicalRequirement", fetch="FormattedID", pagesize=1, limit=1))
        if hasattr(fresh, "close"):
            fresh.close()
        return n

    firsts = [measure(connect_and_get) for _ in range(spec["connect_reps"])]
    out["connect_first_get"] = {"median_s": statistics.median(s for _, s, _ in firsts),
                                "min_s": min(s for _, s, _ in firsts), "requests": firsts[0][2],
                                "per_rep_requests": [r for _, _, r in firsts], "reps": len(firsts)}

    def iterate() -> int:
        n = 0
        for story in rally.get("HierarchicalRequirement", fetch=SIX_FIELDS, query=spec["all_query"]):
            for field in SIX_FIELDS.split(","):
                getattr(story, field)
            n += 1
        return n

    runs = []
    for _ in range(spec["iterate_reps"]):
        n, secs, reqs = measure(iterate)
        runs.append((secs, reqs, n))
    out["iterate"] = {"median_s": statistics.median(s for s, _, _ in runs), "min_s": min(s for s, _, _ in runs),
                      "requests": runs[-1][1], "items": runs[-1][2], "reps": len(runs)}

    def walk() -> tuple[int, int]:
        stories = tasks = 0
        for story in rally.get("HierarchicalRequirement", fetch="FormattedID,Name,Tasks", query=spec["task_query"]):
            stories += 1
            for task in story.Tasks:
                task.Name  # noqa: B018 - touching the attribute is the point
                tasks += 1
        return stories, tasks

    runs2 = []
    for _ in range(spec["walk_reps"]):
        (stories, tasks), secs, reqs = measure(walk)
        runs2.append((secs, reqs, stories, tasks))
    out["walk_tasks"] = {"median_s": statistics.median(r[0] for r in runs2), "min_s": min(r[0] for r in runs2),
                         "requests": runs2[-1][1], "stories": runs2[-1][2], "tasks": runs2[-1][3],
                         "reps": len(runs2)}
    if spec.get("bulk_items"):
        made_runs: list[tuple[float, int, int]] = []
        update_runs: list[tuple[float, int, int]] = []
        for rep in range(spec["bulk_reps"]):
            items = [{"Name": f"Bulk {flavour} {spec['rtt_ms']} {rep} {i}", "Notes": "bulk"}
                     for i in range(spec["bulk_items"])]
            made, secs, reqs = measure(lambda items=items: rally.createMultiple("HierarchicalRequirement", items))
            made_runs.append((secs, reqs, len(made)))
            changes = [{"ObjectID": m["ObjectID"], "Notes": "updated"} for m in made]
            done, secs, reqs = measure(lambda changes=changes: rally.updateMultiple("HierarchicalRequirement",
                                                                                   changes))
            update_runs.append((secs, reqs, len(done)))
        for name, runs3 in (("create_multiple", made_runs), ("update_multiple", update_runs)):
            out[name] = {"median_s": statistics.median(r[0] for r in runs3), "min_s": min(r[0] for r in runs3),
                         "requests": runs3[-1][1], "items": runs3[-1][2], "reps": len(runs3)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
