"""The async transport drives the same sans-I/O requests and parsing against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from pyral import protocol as proto
from pyral.errors import RallyConnectionError
from pyral.transport import AsyncHTTPTransport


class FaultyAsync(httpx.AsyncBaseTransport):
    """Forwards to the real emulator (whose injected faults do the failing); counts in flight."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.method)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


def transport(emu: Any, faults: FaultyAsync, **kwargs: Any) -> AsyncHTTPTransport:
    return AsyncHTTPTransport(emu.url, headers={"ZSESSIONID": emu.admin_api_key}, http_transport=faults,
                              **kwargs)


def test_create_and_query_concurrently(emu: Any) -> None:
    async def scenario() -> tuple[list[str], int]:
        faults = FaultyAsync()
        t = transport(emu, faults, max_in_flight=4)
        try:
            creates = [t.send(proto.create_request("hierarchicalrequirement", "HierarchicalRequirement",
                                                   {"Name": f"async {i}"})) for i in range(10)]
            for http in await asyncio.gather(*creates):
                assert proto.parse_envelope(http.json()).errors == []
            pages = [t.send(proto.query_request("HierarchicalRequirement", fetch="Name", order="Name",
                                                query='(Name contains "async")', pagesize=2, start=s))
                     for s in range(1, 11, 2)]
            names = [item["Name"] for http in await asyncio.gather(*pages)
                     for item in proto.parse_envelope(http.json()).results]
            return names, faults.peak
        finally:
            await t.aclose()

    names, peak = asyncio.run(scenario())
    assert names == sorted(f"async {i}" for i in range(10))
    assert peak <= 4


def test_gets_are_retried_and_a_closed_transport_says_so(emu: Any) -> None:
    async def scenario() -> tuple[int, list[str]]:
        emu.inject("503", method="GET", count=2, retry_after=0)
        faults = FaultyAsync()
        t = transport(emu, faults, backoff=0.0)
        read = await t.send(proto.read_request("user"))
        await t.aclose()
        with pytest.raises(RallyConnectionError, match="closed"):
            await t.send(proto.read_request("user"))
        return read.status_code, faults.sent

    status, sent = asyncio.run(scenario())
    assert status == 200 and sent == ["GET", "GET", "GET"]  # two 503s with Retry-After, then the answer


def test_a_write_answered_503_is_not_retried(emu: Any) -> None:
    async def scenario() -> tuple[int, list[str]]:
        emu.inject("503", method="PUT")
        faults = FaultyAsync()
        t = transport(emu, faults, backoff=0.0)
        try:
            http = await t.send(proto.create_request("defect", "Defect", {"Name": "once"}))
            return http.status_code, faults.sent
        finally:
            await t.aclose()

    status, sent = asyncio.run(scenario())
    assert status == 503 and sent == ["PUT"]
    assert emu.faults() == []
