"""The client_vs_upstream benchmark's driver protocol, against a real HTTPS emulator (no timings).

One long-lived driver process per flavour answers one JSON line per command; these tests run a
few cheap commands through it and through the raw side, and check what they did in the store.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
WSAPI = "/slm/webservice/v2.0"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # the benchmark imports its siblings (_common, latency_proxy)
    try:
        spec = importlib.util.spec_from_file_location("client_vs_upstream", BENCHMARKS / "client_vs_upstream.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture
def tls(tls_emulator: Any) -> Any:
    tls_emulator.reset()
    return tls_emulator


def _stories(emu: Any, prefix: str) -> dict[str, str]:
    with httpx.Client(base_url=f"https://{emu.server}", verify=False,
                      headers={"ZSESSIONID": emu.admin_api_key}) as c:
        body = c.get(f"{WSAPI}/hierarchicalrequirement", params={
            "fetch": "Name,Notes", "query": f'(Name contains "{prefix}")', "pagesize": "200"}).json()
    return {r["Name"]: r["Notes"] for r in body["QueryResult"]["Results"]}


def test_ours_driver_answers_one_line_per_command_and_writes_what_it_says(bench: ModuleType, tls: Any) -> None:
    side = bench.DriverSide(Path(sys.executable), "ours", tls.server, tls.admin_api_key)
    try:
        hello = side.ready()
        assert hello["ready"] is True and hello["flavour"] == "ours"
        made = side.run({"scenario": "create_multiple", "items": 3, "prefix": "Bulk t"})
        assert (made["scenario"], made["items"], made["requests"]) == ("create_multiple", 3, 1), made
        assert made["s"] >= 0 and made["cpu_s"] >= 0
        assert _stories(tls, "Bulk t") == {f"Bulk t {i}": "bulk" for i in range(3)}
        wrong = side.run({"scenario": "no_such_scenario"})
        assert "unknown scenario 'no_such_scenario'" in wrong["error"]
        done = side.run({"scenario": "update_multiple"})  # the driver is still there after a bad command
        assert (done["items"], done["requests"]) == (3, 1), done
        assert _stories(tls, "Bulk t") == {f"Bulk t {i}": "updated" for i in range(3)}
        warm = side.run({"scenario": "warm"})
        assert warm["items"] == 1 and warm["requests"] >= 1
    finally:
        side.close()
    assert side.proc.returncode == 0


def test_raw_side_sends_one_batch_per_write(bench: ModuleType, tls: Any) -> None:
    raw = bench.RawSide(f"https://{tls.server}", tls.admin_api_key)
    try:
        made = raw.run({"scenario": "create_multiple", "items": 2, "prefix": "Bulk raw"})
        done = raw.run({"scenario": "update_multiple"})
        assert [(a["items"], a["requests"]) for a in (made, done)] == [(2, 1), (2, 1)]
        assert _stories(tls, "Bulk raw") == {"Bulk raw 0": "updated", "Bulk raw 1": "updated"}
        assert raw.run({"scenario": "connect_first_get"}) == {"scenario": "connect_first_get",
                                                              "skipped": "no raw limit"}
    finally:
        raw.close()


def test_upstream_driver_speaks_the_same_protocol(bench: ModuleType, tls: Any) -> None:
    python = Path(os.environ.get("PYRAL_UPSTREAM_PYTHON") or bench.UPSTREAM)
    if not python.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"upstream interpreter missing: {python}")
        pytest.skip(f"upstream interpreter missing: {python}")
    side = bench.DriverSide(python, "upstream", tls.server, tls.admin_api_key)
    try:
        assert side.ready()["pyral_version"] == [1, 7, 0]  # upstream's __version__ is a tuple
        made = side.run({"scenario": "create_multiple", "items": 2, "prefix": "Bulk up"})
        assert made["items"] == 2 and made["requests"] >= 1, made
        assert _stories(tls, "Bulk up") == {"Bulk up 0": "bulk", "Bulk up 1": "bulk"}
    finally:
        side.close()
    assert side.proc.returncode == 0
