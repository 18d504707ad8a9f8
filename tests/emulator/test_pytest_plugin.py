"""The pytest plugin (registered through the ``pytest11`` entry point) provides the fixtures."""

from __future__ import annotations

from typing import Any

import httpx


def test_rally_emulator_fixture_serves_wsapi(rally_emulator: Any) -> None:
    rally_emulator.reset()
    answer = httpx.get(f"{rally_emulator.wsapi_url}/user", headers={"ZSESSIONID": rally_emulator.admin_api_key})
    assert answer.status_code == 200
    assert answer.json()["User"]["UserName"] == rally_emulator.admin_user


def test_factory_starts_and_stops_its_own(rally_emulator_factory: Any, tmp_path: Any) -> None:
    emu = rally_emulator_factory(tls=True, db=str(tmp_path / "store.db"))
    answer = httpx.get(f"{emu.wsapi_url}/subscription", headers={"ZSESSIONID": emu.admin_api_key}, verify=False)
    assert emu.url.startswith("https://") and answer.json()["Subscription"]["Errors"] == []
    assert (tmp_path / "store.db").exists()
