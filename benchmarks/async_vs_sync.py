"""``AsyncRally`` against the sync ``Rally``: same emulator, same data, one run, two round-trip times.

Run:  .venv/bin/python benchmarks/async_vs_sync.py [--stories N] [--rtt-ms 0,50]

One emulator child process (plain HTTP) is loaded through WSAPI batch exactly as
``client_vs_upstream.py`` does: 20,000 stories, 1,000 of them ("TaskStory ...") with 2-3 tasks.
Then, for each round-trip time, both clients run in this process:

* iterate: all 20,000 stories with a 6-field fetch (pagesize 1000; further pages concurrently,
  the same bound for both clients);
* walk:    the 1,000 TaskStories with ``fetch="FormattedID,Name,Tasks"``, loading each story's
  Tasks (sync: reading ``story.Tasks``; async: ``await story.load("Tasks")``) and reading each
  task's Name; both clients load a page's Tasks with one query per 40 stories.

The round-trip time is added per request by an httpx transport wrapper (a sleep before the
request goes out: ``time.sleep`` for the sync client, ``asyncio.sleep`` for the async one).
Requests are counted at the same layer.  Ratios are async / sync, measured in the same run.
Writes ``benchmarks/results/async_vs_sync.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ADMIN_API_KEY, EmulatorProcess, machine, write_result  # noqa: E402
from client_vs_upstream import load  # noqa: E402

from pyral import AsyncRally, Rally  # noqa: E402

SIX = "FormattedID,Name,ScheduleState,PlanEstimate,Owner,Iteration"
TASK_QUERY = '(Name contains "TaskStory")'


class SlowTransport(httpx.HTTPTransport):
    """Adds ``rtt`` seconds to every request and counts them."""

    def __init__(self, rtt: float) -> None:
        super().__init__()
        self.rtt = rtt
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if self.rtt:
            time.sleep(self.rtt)
        return super().handle_request(request)


class SlowAsyncTransport(httpx.AsyncHTTPTransport):
    """The async twin of :class:`SlowTransport`."""

    def __init__(self, rtt: float) -> None:
        super().__init__()
        self.rtt = rtt
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if self.rtt:
            await asyncio.sleep(self.rtt)
        return await super().handle_async_request(request)


def run_sync(url: str, rtt: float) -> dict[str, Any]:
    transport = SlowTransport(rtt)
    out: dict[str, Any] = {}
    with Rally(url, apikey=ADMIN_API_KEY, http_transport=transport) as rally:
        rally.get("Story", fetch="Name", pagesize=1)  # context and schema, outside the timings
        transport.count, t0 = 0, time.perf_counter()
        n = 0
        for story in rally.get("HierarchicalRequirement", fetch=SIX, pagesize=1000):
            for field in SIX.split(","):
                getattr(story, field)
            n += 1
        out["iterate"] = {"s": round(time.perf_counter() - t0, 3), "requests": transport.count, "items": n}
        transport.count, t0 = 0, time.perf_counter()
        stories = tasks = 0
        for story in rally.get("HierarchicalRequirement", fetch="FormattedID,Name,Tasks", query=TASK_QUERY,
                               pagesize=1000):
            stories += 1
            for task in story.Tasks:
                task.Name  # noqa: B018 - touching the attribute is the point
                tasks += 1
        out["walk_tasks"] = {"s": round(time.perf_counter() - t0, 3), "requests": transport.count,
                             "stories": stories, "tasks": tasks}
    return out


async def run_async(url: str, rtt: float) -> dict[str, Any]:
    transport = SlowAsyncTransport(rtt)
    out: dict[str, Any] = {}
    async with AsyncRally(url, apikey=ADMIN_API_KEY, http_transport=transport) as rally:
        await rally.get("Story", fetch="Name", pagesize=1)
        transport.count, t0 = 0, time.perf_counter()
        n = 0
        async for story in await rally.get("HierarchicalRequirement", fetch=SIX, pagesize=1000):
            for field in SIX.split(","):
                getattr(story, field)
            n += 1
        out["iterate"] = {"s": round(time.perf_counter() - t0, 3), "requests": transport.count, "items": n}
        transport.count, t0 = 0, time.perf_counter()
        stories = tasks = 0
        async for story in await rally.get("HierarchicalRequirement", fetch="FormattedID,Name,Tasks",
                                           query=TASK_QUERY, pagesize=1000):
            stories += 1
            await story.load("Tasks")
            for task in story.Tasks:
                task.Name  # noqa: B018
                tasks += 1
        out["walk_tasks"] = {"s": round(time.perf_counter() - t0, 3), "requests": transport.count,
                             "stories": stories, "tasks": tasks}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20_000)
    parser.add_argument("--with-tasks", type=int, default=1_000)
    parser.add_argument("--rtt-ms", default="0,50", help="comma-separated round-trip times in ms")
    args = parser.parse_args()
    rtts = [float(x) / 1000 for x in args.rtt_ms.split(",")]
    report: dict[str, Any] = {"machine": machine(), "runs": []}
    with EmulatorProcess() as emu:
        report["data"] = load(emu, args.stories, args.with_tasks)
        for rtt in rtts:
            sync = run_sync(emu.url, rtt)
            asyn = asyncio.run(run_async(emu.url, rtt))
            row = {"rtt_ms": rtt * 1000, "sync": sync, "async": asyn,
                   "ratio_async_over_sync": {k: round(asyn[k]["s"] / sync[k]["s"], 3) for k in sync}}
            report["runs"].append(row)
            print(f"RTT {rtt * 1000:.0f} ms  iterate: sync {sync['iterate']['s']} s / async {asyn['iterate']['s']} s "
                  f"({sync['iterate']['requests']}/{asyn['iterate']['requests']} requests);  walk: sync "
                  f"{sync['walk_tasks']['s']} s / async {asyn['walk_tasks']['s']} s "
                  f"({sync['walk_tasks']['requests']}/{asyn['walk_tasks']['requests']} requests)", flush=True)
    print(write_result("async_vs_sync", report))


if __name__ == "__main__":
    main()
