"""pytest plugin (entry point ``rally_emulator``): a session-wide emulator fixture.

    def test_something(rally_emulator):
        rally = Rally(rally_emulator.url, apikey=rally_emulator.admin_api_key)

Call ``rally_emulator.reset()`` for a clean store; use ``rally_emulator_factory`` for your own
(TLS, demo data, a database file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .app import Emulator


@pytest.fixture(scope="session")
def rally_emulator() -> Iterator[Emulator]:
    """A plain emulator (fresh store, HTTP) shared by the session."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def rally_emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with any options; all are stopped after the test."""
    started: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        emulator = Emulator(**options).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
