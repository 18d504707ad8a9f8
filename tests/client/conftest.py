"""Fixtures for the client tests: a reset emulator per test and request-counting Rally instances."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pyral import Rally


class CountingTransport(httpx.HTTPTransport):
    """An ``httpx.HTTPTransport`` that records every request it sends (thread-safe)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.sent.append(request)
        return super().handle_request(request)

    def lines(self) -> list[str]:
        """``METHOD path-after-v2.0`` for each request sent."""
        out = []
        for r in self.sent:
            path = r.url.path
            out.append(f"{r.method} {path.split('/v2.0/', 1)[-1]}")
        return out

    def reset(self) -> None:
        with self.lock:
            self.sent.clear()


@pytest.fixture
def emu(emulator: Any) -> Any:
    """The session's plain HTTP emulator, reset to a fresh store."""
    emulator.reset()
    return emulator


@pytest.fixture
def connect(emu: Any) -> Iterator[Callable[..., tuple[Rally, CountingTransport]]]:
    """``connect(**kwargs)`` → (Rally with the admin API key, its counting transport)."""
    made: list[Rally] = []

    def make(**kwargs: Any) -> tuple[Rally, CountingTransport]:
        transport = CountingTransport()
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
