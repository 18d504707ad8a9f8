"""``ordered_pages``: further pages start as soon as a load ends, run at most ``workers`` at a time,
stay at most ``ahead`` beyond the consumer, and come out in order (events, no timings)."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pyral.client.response import AsyncRallyRESTResponse, ordered_pages
from pyral.protocol import parse_envelope, query_request
from pyral.transport import HTTPResponse


class Loads:
    """Page loads that record what ran at once; page ``slow`` waits until released."""

    def __init__(self, slow: int) -> None:
        self.slow = slow
        self.release = threading.Event()
        self.started: list[int] = []
        self.running = 0
        self.most_running = 0
        self.lock = threading.Lock()
        self.all_others_started = threading.Event()
        self.expect_others = 0

    def __call__(self, start: int) -> str:
        with self.lock:
            self.started.append(start)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            if len(self.started) - 1 >= self.expect_others and self.slow in self.started:
                self.all_others_started.set()
        try:
            if start == self.slow:
                assert self.release.wait(30), "never released"
            return f"page {start}"
        finally:
            with self.lock:
                self.running -= 1


def test_a_slow_page_does_not_hold_back_the_loads_after_it() -> None:
    loads = Loads(slow=0)
    loads.expect_others = 6  # the consumer waits on page 0; 6 pages beyond it (ahead=6)
    with ThreadPoolExecutor(8) as pool:
        pages = ordered_pages(pool, loads, list(range(10)), workers=2, ahead=6)
        taker = threading.Thread(target=lambda: out.extend(pages))
        out: list[str] = []
        taker.start()
        # page 0 still loading: the other slot kept loading pages 1, 2, ... up to 6 pages beyond it
        assert loads.all_others_started.wait(30)
        with loads.lock:
            assert sorted(loads.started) == [0, 1, 2, 3, 4, 5, 6] and out == []
        loads.release.set()
        taker.join(30)
    assert out == [f"page {i}" for i in range(10)]  # in order
    assert loads.started[:7] == sorted(loads.started[:7]) and sorted(loads.started) == list(range(10))
    assert loads.most_running <= 2


def test_stopping_early_starts_nothing_more() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def load(start: int) -> int:
        with lock:
            started.append(start)
        return start

    with ThreadPoolExecutor(4) as pool:
        pages = ordered_pages(pool, load, list(range(100)), workers=2)
        assert next(pages) == 0
        pages.close()
    assert len(started) <= 1 + 4  # the page taken, and at most ahead (2 x workers) beyond it
    assert started == sorted(started)


def test_a_failed_load_raises_in_its_place() -> None:
    def load(start: int) -> int:
        if start == 3:
            raise ValueError("page 3 failed")
        return start

    with ThreadPoolExecutor(4) as pool:
        got: list[Any] = []
        with pytest.raises(ValueError, match="page 3 failed"):
            for page in ordered_pages(pool, load, list(range(8)), workers=3):
                got.append(page)
    assert got == [0, 1, 2]


def test_bad_input_a_closed_pool_fails_on_iteration() -> None:
    pool = ThreadPoolExecutor(2)
    pool.shutdown()
    with pytest.raises(RuntimeError):
        list(ordered_pages(pool, lambda start: start, [1, 2, 3], workers=2))
    with ThreadPoolExecutor(2) as live:
        assert list(ordered_pages(live, lambda start: start, [], workers=0)) == []


def _page(start: int, size: int, total: int) -> dict[str, Any]:
    results = [{"_type": "Defect", "_ref": f"https://h/slm/webservice/v2.0/defect/{n}", "Name": str(n)}
               for n in range(start, min(start + size, total + 1))]
    return {"QueryResult": {"TotalResultCount": total, "StartIndex": start, "PageSize": size, "Results": results,
                            "Errors": [], "Warnings": []}}


def test_async_pages_start_as_soon_as_one_arrives() -> None:
    """``AsyncRally``'s window: 2 loading at once, a slow page does not hold back the ones after it."""
    request = query_request("Defect", fetch="Name", pagesize=2)
    reply = HTTPResponse(200, {}, json.dumps(_page(1, 2, 20)).encode(), request)
    started: list[int] = []

    async def scenario() -> list[str]:
        release = asyncio.Event()
        others = asyncio.Event()

        async def fetch_page(req: Any) -> Any:
            start = int(dict(req.params)["start"])
            started.append(start)
            if len(started) == 5:  # page 3 is slow; 4 more pages started meanwhile (2 x 2 ahead)
                others.set()
            if start == 3:
                await release.wait()
            return parse_envelope(_page(start, 2, 20))

        resp = AsyncRallyRESTResponse(None, request, reply, fetch_page=fetch_page, threads=2)
        names: list[str] = []

        async def consume() -> None:
            async for item in resp:
                names.append(item.Name)

        task = asyncio.ensure_future(consume())
        await asyncio.wait_for(others.wait(), 30)
        assert sorted(started) == [3, 5, 7, 9, 11] and names == ["1", "2"]  # waiting on page 3
        release.set()
        await asyncio.wait_for(task, 30)
        return names

    assert asyncio.run(scenario()) == [str(n) for n in range(1, 21)]
    assert started == sorted(started) and len(started) == 9
