"""Fixtures for the client tests: a reset emulator per test and request-counting Rally instances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from client_helpers import CountingTransport

from pyral import Rally


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
