"""Rally's HTML whitelist: script-like markup in text fields is refused, nothing is written."""

from __future__ import annotations

import httpx
import pytest

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">',
                                  "<a href='javascript:alert(1)'>x</a>"])
def test_script_markup_is_refused(emulator: Emulator, name: str) -> None:
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": emulator.admin_api_key}) as client:
        before = client.get(f"{API}/defect", params={"pagesize": 1}).json()["QueryResult"]["TotalResultCount"]
        body = client.post(f"{API}/defect/create", json={"Defect": {"Name": name}}).json()["CreateResult"]
        assert body["Errors"] == ["Validation error: Defect.Name contained invalid input. Search 'HTML Whitelist' "
                                  "at help.rallydev.com for details."]
        assert "Object" not in body
        after = client.get(f"{API}/defect", params={"pagesize": 1}).json()["QueryResult"]["TotalResultCount"]
        assert after == before


def test_ordinary_markup_and_symbols_are_kept(emulator: Emulator) -> None:
    text = "Special chars:/!@#$%^*-=+[]{};:,.<>? and <b>bold</b>, one = two"
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": emulator.admin_api_key}) as client:
        body = client.post(f"{API}/defect/create", json={"Defect": {"Name": text, "Description": text}}).json()
        assert body["CreateResult"]["Errors"] == []
        assert body["CreateResult"]["Object"]["Name"] == text
