"""Fixtures for the CLI tests: an isolated environment pointing at the session emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pyral import Rally
from pyral.cli.main import cli

_ENV_VARS = ("RALLY_SERVER", "RALLY_USER", "RALLY_PASSWORD", "APIKEY", "RALLY_WORKSPACE", "RALLY_PROJECT",
             "RALLY_CONFIG")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No Rally settings from the environment, an empty user config dir, cwd in tmp_path."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def emu(emulator: Any, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The session emulator, reset before and after; RALLY_SERVER/APIKEY point at it."""
    emulator.reset()
    monkeypatch.setenv("RALLY_SERVER", emulator.url)
    monkeypatch.setenv("APIKEY", emulator.admin_api_key)
    yield emulator
    emulator.reset()


@pytest.fixture
def rally(emu: Any) -> Iterator[Rally]:
    """A client on the emulator (admin API key)."""
    with Rally(emu.url, apikey=emu.admin_api_key, warn=False) as r:
        yield r


@pytest.fixture
def run() -> Callable[..., Result]:
    """``run("query", "Defect", input=...)`` → click Result (stdout/stderr kept apart)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, **kwargs: Any) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False, **kwargs)
    return invoke
