"""Fixtures for the client tests: a reset emulator per test and request-counting Rally instances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from async_portal import Portal, SyncView
from client_helpers import CountingAsyncTransport, CountingTransport

from pyral import AsyncRally, Rally


@pytest.fixture
def emu(emulator: Any) -> Any:
    """The session's plain HTTP emulator, reset to a fresh store."""
    emulator.reset()
    return emulator


@pytest.fixture
def connect(emu: Any) -> Iterator[Callable[..., tuple[Rally, CountingTransport]]]:
    """``connect(transport=None, **kwargs)`` → (Rally with the admin API key, its counting transport)."""
    made: list[Rally] = []

    def make(transport: CountingTransport | None = None, **kwargs: Any) -> tuple[Rally, CountingTransport]:
        transport = transport or CountingTransport()
        if "user" not in kwargs:
            kwargs.setdefault("apikey", emu.admin_api_key)
        rally = Rally(emu.url, http_transport=transport, **kwargs)
        made.append(rally)
        return rally, transport

    yield make
    for rally in made:
        rally.close()


@pytest.fixture
def rally(connect: Callable[..., tuple[Rally, CountingTransport]]) -> Rally:
    """A Rally instance (API key) on a fresh store."""
    return connect()[0]


@pytest.fixture(params=["sync", "async"])
def connect_both(request: Any, emu: Any) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """``connect_both(**kwargs)`` → (client, its counting transport), for ``Rally`` and for ``AsyncRally``.

    The async client is driven through a portal (:mod:`async_portal`), so one behavioural test body
    runs against both clients: every request still goes through the client under test.  The sync
    client talks to the emulator over a socket, the async one through the emulator's in-process
    transport (``tests/client/test_async_rally.py`` covers the async client over sockets).
    """
    closers: list[Callable[[], None]] = []

    def make(**kwargs: Any) -> tuple[Any, Any]:
        if "user" not in kwargs:
            kwargs.setdefault("apikey", emu.admin_api_key)
        if request.param == "sync":
            sync_transport = CountingTransport()
            rally = Rally(emu.url, http_transport=sync_transport, **kwargs)
            closers.append(rally.close)
            return rally, sync_transport
        portal = Portal()
        async_transport = CountingAsyncTransport(inner=emu.async_transport())
        arally = AsyncRally(emu.url, http_transport=async_transport, **kwargs)
        portal.call(arally.__aenter__())
        view = SyncView(portal, arally)
        closers.extend([portal.close, view.close])
        return view, async_transport

    yield make
    for close in reversed(closers):
        close()


@pytest.fixture
def both(connect_both: Callable[..., tuple[Any, Any]]) -> Any:
    """A ``Rally`` or an ``AsyncRally`` (through the portal) with the admin API key on a fresh store."""
    return connect_both()[0]
