"""Shared fixtures: emulators on free loopback ports (HTTP and HTTPS), started in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from pyral.emulator import Emulator

# Property tests judge behaviour, not speed: no per-example deadline on a loaded 2-core machine.
settings.register_profile("pyral", deadline=None)
settings.load_profile("pyral")


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A fresh (non-demo) emulator over HTTP, shared by the session; reset it when you need to."""
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def demo_emulator() -> Iterator[Emulator]:
    """An emulator over HTTP with the demo data set (treat as read-only or reset after writing)."""
    with Emulator(demo=True) as emu:
        yield emu


@pytest.fixture(scope="session")
def tls_emulator() -> Iterator[Emulator]:
    """A fresh emulator over HTTPS with a self-signed certificate."""
    with Emulator(tls=True) as emu:
        yield emu
