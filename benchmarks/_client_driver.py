"""Driver for client_vs_upstream.py: runs one scenario per command with whichever ``pyral`` the
running interpreter imports (ours from ``.venv``, upstream 1.7.0 from ``.venv-upstream``).

Protocol: ``argv[1]`` is a JSON spec (``flavour``, ``server``, ``apikey``, ``all_query``,
``task_query``).  The driver opens one long-lived ``Rally`` (not timed), writes
``{"ready": true, ...}``, then reads one JSON command per stdin line,
``{"scenario": NAME, ...parameters}``, and writes one JSON answer per command on stdout:
``{"scenario", "s" (wall seconds), "cpu_s" (this process's CPU seconds), "requests", "items"}``
or ``{"scenario", "error"}``.  Scenarios: ``connect`` and ``connect_first_get`` (a fresh
``Rally``, closed afterwards), ``iterate``, ``walk_tasks``, ``create_multiple`` (``items``,
``prefix``), ``update_multiple`` (the items of this driver's last ``create_multiple``) and
``warm`` (one small query on the long-lived ``Rally``, so that its connection is alive).
``"profile": PATH`` in a command writes a cProfile of that command to PATH; ``{"scenario":
"quit"}`` (or end of input) ends the driver.  Anything a library prints goes to stderr.

Requests are counted at the lowest HTTP layer of each stack: ``httpx.HTTPTransport.handle_request``
for ours, ``requests.Session.send`` for upstream (every wire request, threaded page fetches
included).  Kept compatible with both environments: no imports from the benchmark package.
"""

from __future__ import annotations

import cProfile
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO

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


class Session:
    """The scenarios, run against one long-lived ``Rally`` (fresh ones for the connect scenarios)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.rally = self.connect()
        self.made: list[Any] = []

    def connect(self) -> Any:
        return pyral.Rally(self.spec["server"], apikey=self.spec["apikey"], verify_ssl_cert=False)

    @staticmethod
    def close(rally: Any) -> None:
        if hasattr(rally, "close"):
            rally.close()

    def s_connect(self, cmd: dict[str, Any]) -> int:
        self.close(self.connect())
        return 1

    def s_connect_first_get(self, cmd: dict[str, Any]) -> int:
        fresh = self.connect()
        n = sum(1 for _ in fresh.get("HierarchicalRequirement", fetch="FormattedID", pagesize=1, limit=1))
        self.close(fresh)
        return n

    def s_warm(self, cmd: dict[str, Any]) -> int:
        """One small query on the long-lived ``Rally`` (untimed by the benchmark: a kept-alive connection)."""
        return sum(1 for _ in self.rally.get("HierarchicalRequirement", fetch="FormattedID", pagesize=1, limit=1))

    def s_iterate(self, cmd: dict[str, Any]) -> int:
        n = 0
        for story in self.rally.get("HierarchicalRequirement", fetch=SIX_FIELDS, query=self.spec["all_query"]):
            for field in SIX_FIELDS.split(","):
                getattr(story, field)
            n += 1
        return n

    def s_walk_tasks(self, cmd: dict[str, Any]) -> int:
        tasks = 0
        for story in self.rally.get("HierarchicalRequirement", fetch="FormattedID,Name,Tasks",
                                    query=self.spec["task_query"]):
            for task in story.Tasks:
                task.Name  # noqa: B018 - touching the attribute is the point
                tasks += 1
        return tasks

    def s_create_multiple(self, cmd: dict[str, Any]) -> int:
        items = [{"Name": f"{cmd['prefix']} {i}", "Notes": "bulk"} for i in range(cmd["items"])]
        self.made = list(self.rally.createMultiple("HierarchicalRequirement", items))
        return len(self.made)

    def s_update_multiple(self, cmd: dict[str, Any]) -> int:
        changes = [{"ObjectID": m["ObjectID"], "Notes": "updated"} for m in self.made]
        return len(self.rally.updateMultiple("HierarchicalRequirement", changes))

    def run(self, cmd: dict[str, Any]) -> dict[str, Any]:
        scenario = cmd["scenario"]
        fn: Callable[[dict[str, Any]], int] | None = getattr(self, f"s_{scenario}", None)
        if fn is None:
            return {"scenario": scenario, "error": f"unknown scenario {scenario!r}"}
        profiler = cProfile.Profile() if cmd.get("profile") else None
        before, cpu0 = COUNT.n, time.process_time()
        t0 = time.perf_counter()
        try:
            if profiler is not None:
                items = profiler.runcall(fn, cmd)
            else:
                items = fn(cmd)
        except Exception:  # noqa: BLE001 - reported to the benchmark, which records it
            return {"scenario": scenario, "error": traceback.format_exc()[-3000:]}
        secs = time.perf_counter() - t0
        answer = {"scenario": scenario, "s": secs, "cpu_s": time.process_time() - cpu0,
                  "requests": COUNT.n - before, "items": items}
        if profiler is not None:
            profiler.dump_stats(cmd["profile"])
        return answer


def serve(spec: dict[str, Any], commands: TextIO, answers: TextIO) -> None:
    """Answer each command line of ``commands`` with one JSON line on ``answers``."""
    def say(payload: dict[str, Any]) -> None:
        answers.write(json.dumps(payload) + "\n")
        answers.flush()

    try:
        session = Session(spec)
    except Exception:  # noqa: BLE001
        say({"ready": False, "error": traceback.format_exc()[-3000:]})
        return
    say({"ready": True, "flavour": spec["flavour"], "pyral_version": getattr(pyral, "__version__", "?")})
    for line in commands:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd.get("scenario") == "quit":
            break
        say(session.run(cmd))
    Session.close(session.rally)


def main() -> None:
    spec = json.loads(sys.argv[1])
    install_counter(spec["flavour"])
    answers, sys.stdout = sys.stdout, sys.stderr  # only answers go to stdout
    serve(spec, sys.stdin, answers)


if __name__ == "__main__":
    main()
