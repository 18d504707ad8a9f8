"""The official Rally Node toolkit (npm ``rally``, pinned in package-lock.json), unmodified, against
the emulator over a socket: its whole public API (query with paging/limit/scope/order, the query
builder, get, create, update, del, collection add/remove, ref utilities, callbacks and promises)
with an API key and with a user name and password.

The driver (``node_rally/driver.js``) prints one JSON line per step; these tests assert on them.
Rally facts the toolkit shows: ``GET /user`` answers the caller's User, not a QueryResult (the
toolkit's query hands that object back); collection ``remove`` answers without ``Results``;
single-object reads carry no ``_type``; user/password mode reads with HTTP Basic sent only after
a 401 challenge and writes with the ``/security/authorize`` token as ``key=``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pyral.emulator import Emulator

DRIVER_DIR = Path(__file__).parent / "node_rally"


def run_driver(emu: Emulator, **env: str) -> dict[str, dict[str, Any]]:
    """Run the driver once; the steps by name (a step that is missing fails the caller by name)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the Rally Node toolkit needs it; see scripts/setup.sh)")
    if not (DRIVER_DIR / "node_modules" / "rally").is_dir():
        pytest.fail(f"npm rally is not installed in {DRIVER_DIR}: run bash scripts/setup.sh")
    base = {k: v for k, v in os.environ.items() if not k.startswith("RALLY_")}
    proc = subprocess.run([node, str(DRIVER_DIR / "driver.js")], env={**base, "RALLY_SERVER": emu.url, **env},
                          capture_output=True, text=True, timeout=120, check=False)
    steps = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        steps[row["step"]] = row
    assert proc.returncode == 0 and "driver" not in steps, (proc.returncode, proc.stderr[-2000:], steps.get("driver"))
    return steps


def fingerprint(emu: Emulator) -> tuple[Any, ...]:
    """Counts and versions of everything a write could change."""
    store = emu.backend.store  # type: ignore[union-attr]
    return (*store.execute("SELECT count(*), coalesce(sum(version), 0), coalesce(max(updated), '') FROM objects")[0],
            *store.execute("SELECT count(*) FROM links")[0])


def ok(steps: dict[str, dict[str, Any]], name: str) -> Any:
    row = steps.get(name)
    assert row is not None, f"step {name} did not run"
    assert row["ok"], f"step {name} failed: {row['error']}"
    return row["value"]


def failed(steps: dict[str, dict[str, Any]], name: str) -> list[str]:
    row = steps.get(name)
    assert row is not None, f"step {name} did not run"
    assert not row["ok"], f"step {name} should have been refused, got {row['value']}"
    return list(row["error"])


def assert_whole_api(emu: Emulator, steps: dict[str, dict[str, Any]], tag: str) -> None:
    assert ok(steps, "ref.utils") == {"isRef": [True, False, True], "relative": "/portfolioitem/feature/77",
                                      "type": "portfolioitem/feature", "id": "123u456w1"}
    assert ok(steps, "query.builder") == (f'(((Name contains "{tag} probe") AND (Severity = "Major Problem")) '
                                          f"OR (Name = {tag}-nobody))")
    me = ok(steps, "get.user")
    assert me["userName"] == emu.admin_user and not me["isQueryResult"]
    created = ok(steps, "create")
    assert created["type"] == "Defect" and created["severity"] == "Major Problem"
    assert created["state"] == "Submitted" and created["formattedId"].startswith("DE") and created["errors"] == []
    got = ok(steps, "get")
    # Unset TEXT is "", an unset object is null, a collection is a reference with a Count.
    assert got == {"name": f"{tag} probe defect", "owner": None, "description": "", "tagsCount": 0, "errors": []}
    assert ok(steps, "update") == {"name": f"{tag} probe defect renamed", "state": "Open"}
    assert ok(steps, "create.pages") == [f"{tag} probe page {i}" for i in range(3)]
    assert ok(steps, "query.builder.run") == {"total": 1, "names": [f"{tag} probe defect renamed"]}
    paged = ok(steps, "query.paged")
    assert paged == {"total": 4, "pageSize": 3, "startIndex": 1,
                     "names": [f"{tag} probe defect renamed", f"{tag} probe page 0", f"{tag} probe page 1"]}
    assert ok(steps, "query.callback") == {"rows": 2, "errors": []}
    assert ok(steps, "create.tag")["name"] == f"{tag}-conformance-tag"
    assert ok(steps, "add") == {"names": [f"{tag}-conformance-tag"], "errors": []}
    assert ok(steps, "add.create") == {"names": [f"{tag} task made by add"], "types": ["Task"], "errors": []}
    assert ok(steps, "query.collection") == {"total": 1, "names": [f"{tag}-conformance-tag"]}
    assert ok(steps, "remove") == {"results": None, "errors": []}
    assert ok(steps, "get.after.remove") == {"tagsCount": 0, "tasksCount": 1}
    assert "Not a severity is an invalid value for Severity" in failed(steps, "update.invalid")[0]
    assert failed(steps, "query.unknown.type") == ['Requested type name "nosuchtype" is unknown.']
    assert ok(steps, "del") == {"errors": []}
    assert failed(steps, "get.after.del") == ["Cannot find object to read"]


@pytest.fixture
def demo(demo_emulator: Emulator) -> Emulator:
    demo_emulator.reset()
    return demo_emulator


def test_node_toolkit_with_api_key(demo: Emulator) -> None:
    steps = run_driver(demo, RALLY_API_KEY=demo.admin_api_key, DRIVER_TAG="keyed")
    assert_whole_api(demo, steps, "keyed")


def test_node_toolkit_with_user_and_password(demo: Emulator) -> None:
    steps = run_driver(demo, RALLY_USERNAME=demo.admin_user, RALLY_PASSWORD=demo.admin_password,
                       DRIVER_TAG="basic")
    assert_whole_api(demo, steps, "basic")


def test_node_toolkit_with_a_wrong_api_key_changes_nothing(demo: Emulator) -> None:
    """Bad credentials: every server step is refused with Rally's 401 and nothing is written."""
    before = fingerprint(demo)
    steps = run_driver(demo, RALLY_API_KEY="_not-a-real-key", DRIVER_TAG="intruder")
    assert ok(steps, "ref.utils")["type"] == "portfolioitem/feature"  # pure utilities still work
    for name in ("get.user", "query.workspace", "query.project", "create", "create.pages", "create.tag"):
        assert any(": 401!" in e for e in failed(steps, name)), name
    for name in ("get", "update", "add", "remove", "del"):
        failed(steps, name)  # nothing to act on: each is refused, none crashes the driver
    assert fingerprint(demo) == before
