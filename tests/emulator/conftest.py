"""Fixtures for the emulator's own HTTP tests.

``wsapi`` is a :class:`wsapi_client.Wsapi` bound to the session's plain emulator (API-key auth),
reset to a clean store before each test that asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wsapi_client import Wsapi

from pyral.emulator import Emulator


@pytest.fixture
def wsapi(emulator: Emulator) -> Iterator[Wsapi]:
    """A client on the session's plain emulator, whose store was just reset."""
    emulator.reset()
    client = Wsapi(emulator)
    yield client
    client.close()


@pytest.fixture
def tls_wsapi(tls_emulator: Emulator) -> Iterator[Wsapi]:
    tls_emulator.reset()
    client = Wsapi(tls_emulator)
    yield client
    client.close()


@pytest.fixture(params=["http", "https"])
def any_wsapi(request: pytest.FixtureRequest) -> Iterator[Wsapi]:
    """The same test over HTTP and over HTTPS (self-signed, ``verify=False``)."""
    emu = request.getfixturevalue("emulator" if request.param == "http" else "tls_emulator")
    emu.reset()
    client = Wsapi(emu)
    yield client
    client.close()
