"""rally-tui 1.2.0 (PyPI), unmodified, on our pyral and on upstream pyral 1.7.0, against the emulator over TLS.

rally-tui has two Rally clients: ``RallyClient`` on pyral and ``AsyncRallyClient`` on raw httpx (its CLI
uses the latter).  ``tui_driver/driver_tui.py`` runs the same scenario (every protocol operation, with
good and bad input) on both, then every CLI command, once per venv (``.venv-thirdparty-tui`` and
``.venv-thirdparty-tui-upstream``, made by scripts/setup.sh), each on the same demo data over HTTPS
(rally-tui only speaks https; the emulator's certificate is trusted through REQUESTS_CA_BUNDLE and
SSL_CERT_FILE).  The two runs must agree step by step (object ids and timestamps masked), except where
listed below with the reason, and ours never sends more requests than upstream where both succeed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pyral.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).parent / "tui_driver" / "driver_tui.py"
VENVS = {"ours": ROOT / ".venv-thirdparty-tui", "upstream": ROOT / ".venv-thirdparty-tui-upstream"}
SALLY_KEY = "_demoSallyKey000000000000000000000000001"

Steps = dict[str, dict[str, Any]]

# Where the two runs differ on purpose.  Anything else that differs fails the comparison.
KNOWN = {
    "versions",
    # Upstream's own query check refuses "(Name = " with an empty message; ours says what is wrong.
    "sync.tickets.bad-query",
    # A stray double quote: upstream sends the query (Rally refuses it, upstream drops the error and
    # rally-tui says "not found"); ours refuses it before sending, with the reason.
    "sync.ticket.bad-id", "sync.users.unknown",
    # rally-tui reads the artifact with fetch="ObjectID,Name" and then asks pyral for its attachments:
    # upstream fails ("no attribute: 'Attachments'"); ours reads the unfetched collection when asked.
    "sync.attachment.upload", "sync.attachments", "sync.attachment.download", "sync.attachment.content",
    # rally-tui imports requests for embedded images without declaring it; upstream pyral brought it,
    # ours does not (docs/migrating.md).  The app catches the error: "Download failed" either way here.
    "sync.embedded-image",
}

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)?")
_OBJECT_ID = re.compile(r"\b1\d{8}\b")  # the emulator's ObjectIDs (creation order differs after a difference)


def masked(row: dict[str, Any]) -> tuple[str, bool, list[str]]:
    text = json.dumps(row["value"], sort_keys=True)
    logs = sorted(_OBJECT_ID.sub("<oid>", _TIMESTAMP.sub("<ts>", line)) for line in row["logs"])
    return _OBJECT_ID.sub("<oid>", _TIMESTAMP.sub("<ts>", text)), row["ok"], logs


def run_driver(emu: Emulator, flavour: str, cert: str, home: Path) -> Steps:
    python = VENVS[flavour] / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run bash scripts/setup.sh")
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("RALLY_", "REQUESTS_CA", "CURL_CA", "SSL_CERT"))}
    env = {**base, "RALLY_SERVER": emu.server, "RALLY_APIKEY": SALLY_KEY, "RALLY_WORKSPACE": "Default Workspace",
           "RALLY_PROJECT": "Online Store", "REQUESTS_CA_BUNDLE": cert, "SSL_CERT_FILE": cert,
           "DRIVER_FLAVOUR": flavour, "PYTHONDONTWRITEBYTECODE": "1",
           # rally-tui's httpx client and CLI do not use pyral: they run in our venv only.
           "DRIVER_PARTS": "app,sync,async,cli" if flavour == "ours" else "app,sync",
           "HOME": str(home)}  # rally-tui keeps its settings and its cache under ~
    proc = subprocess.run([str(python), str(DRIVER)], env=env, capture_output=True, text=True, timeout=300,
                          check=False, cwd=str(DRIVER.parent))  # cwd: rally-tui reads ./.env
    steps = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        steps[row["step"]] = row
    assert proc.returncode == 0, (flavour, proc.returncode, proc.stderr[-3000:])
    return steps


@pytest.fixture(scope="module")
def runs(demo_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Steps]:
    """One TLS emulator on the demo data; each venv runs the driver once on a fresh copy of it."""
    assert demo_emulator.backend is not None
    demo = demo_emulator.backend.store.dump()
    with Emulator(tls=True) as emu:
        assert emu.backend is not None and emu.cert is not None
        out = {}
        for flavour in ("ours", "upstream"):
            emu.backend.store.load(demo)
            emu.backend.reload()
            out[flavour] = run_driver(emu, flavour, emu.cert, tmp_path_factory.mktemp(f"home-{flavour}"))
        return out


def ok(steps: Steps, name: str) -> Any:
    row = steps.get(name)
    assert row is not None, f"step {name} did not run"
    assert row["ok"], f"step {name} raised: {row['error']}"
    return row["value"]


def logs(steps: Steps, name: str) -> str:
    return "\n".join(steps[name]["logs"])


def test_the_drivers_ran_every_step_on_the_right_pyral(runs: dict[str, Steps]) -> None:
    ours, upstream = runs["ours"], runs["upstream"]
    assert ok(ours, "versions") == {"pyral": "2.0.0"} and ok(upstream, "versions") == {"pyral": "1.7.0"}
    assert set(upstream) == {n for n in ours if not n.startswith(("async.", "cli.")) or n == "async.connect"}
    assert len(ours) > 150 and len(upstream) > 75
    for name in ours:
        if name not in ("bad.connect", "sync.embedded-image"):
            ok(ours, name)  # rally-tui reports Rally's errors in its log and returns None/[]/False: no step raises
    assert ours["sync.embedded-image"]["error"] == "ModuleNotFoundError: No module named 'requests'"
    assert ok(upstream, "sync.embedded-image") is False  # the emulator has no embedded-image URLs: a 404


def test_ours_and_upstream_agree_step_by_step(runs: dict[str, Steps]) -> None:
    ours, upstream = runs["ours"], runs["upstream"]
    differ = [name for name in upstream if name not in KNOWN and masked(ours[name]) != masked(upstream[name])]
    assert differ == [], {name: (masked(ours[name]), masked(upstream[name])) for name in differ[:3]}


def test_ours_never_sends_more_requests_than_upstream(runs: dict[str, Steps]) -> None:
    ours, upstream = runs["ours"], runs["upstream"]
    more = {name: (ours[name]["pyral"], upstream[name]["pyral"]) for name in upstream
            if name not in KNOWN and ours[name]["pyral"] > upstream[name]["pyral"]}
    assert more == {}
    # rally-tui's own httpx client does the same work whichever pyral is installed.
    assert {n: r["raw"] for n, r in upstream.items()} == {n: ours[n]["raw"] for n in upstream}
    assert sum(ours[n]["pyral"] for n in upstream) < sum(r["pyral"] for r in upstream.values())
    # rally-tui's httpx client and CLI never reach pyral.
    assert all(r["pyral"] == 0 for n, r in ours.items() if n.startswith(("async.", "cli.")))
    # Connecting: workspace, project, user and sprint resolved.
    assert ours["sync.connect"]["pyral"] <= upstream["sync.connect"]["pyral"]


def test_issue_10_an_absent_portfolio_item_costs_no_request(runs: dict[str, Steps]) -> None:
    ours = runs["ours"]
    assert ok(ours, "sync.issue10.fetch") and ours["sync.issue10.fetch"]["pyral"] == 1
    rows = ok(ours, "sync.issue10.getattr")
    assert rows and all(portfolio is None and has is False for portfolio, has, _ in rows)
    assert ours["sync.issue10.getattr"]["pyral"] == 0
    assert ok(ours, "sync.issue10.getattr") == ok(runs["upstream"], "sync.issue10.getattr")


@pytest.mark.parametrize("side", ["sync", "async"])
def test_the_app_reads_and_writes_what_rally_holds(runs: dict[str, Steps], side: str) -> None:
    ours = runs["ours"]
    assert ok(ours, f"{side}.identity") == {"workspace": "Default Workspace", "project": "Online Store",
                                           "user": "Sally Submitter", "iteration": "Online Store Sprint 4"}
    mine = ok(ours, f"{side}.tickets.default")
    assert mine and all(t["owner"] == "Sally Submitter" and t["iteration"] == "Online Store Sprint 4" for t in mine)
    story = ok(ours, f"{side}.ticket")
    assert story["formatted_id"].startswith("US") and story["object_id"]
    assert ok(ours, f"{side}.ticket.unknown") is None
    assert [d["text"] for d in ok(ours, f"{side}.discussions.after")][-1] == f"{side} comment <b>bold</b>"
    assert ok(ours, f"{side}.points.reread")["points"] == 3.5
    assert ok(ours, f"{side}.state.reread")["state"] == "Completed"
    assert ok(ours, f"{side}.parent.reread")["parent_id"] == ok(ours, f"{side}.features")[0]["formatted_id"]
    assert [u["display_name"] for u in ok(ours, f"{side}.users")] == ["Sally Submitter", "Dave Developer"]
    assert ok(ours, f"{side}.owner")["owner"] == "Dave Developer"
    assert ok(ours, f"{side}.tag.create")["name"] == f"{side}-tui-tag"
    created = ok(ours, f"{side}.create")
    assert (created["name"], created["points"], created["owner"]) == (f"{side} tui story", 2, "Sally Submitter")
    assert ok(ours, f"{side}.create.defect")["formatted_id"].startswith("DE")
    assert ok(ours, f"{side}.delete") is True and ok(ours, f"{side}.delete.reread") is None
    bulk = ok(ours, f"{side}.bulk.points")
    assert bulk["success_count"] == 2 and {t["points"] for t in bulk["updated_tickets"]} == {5}


@pytest.mark.parametrize("side", ["sync", "async"])
def test_bad_input_shows_rallys_error_and_writes_nothing(runs: dict[str, Steps], side: str) -> None:
    ours = runs["ours"]
    assert ok(ours, f"{side}.points.bad") is None
    assert 'Cannot convert "lots" to a number for HierarchicalRequirement.PlanEstimate' in logs(ours, f"{side}.points.bad")
    assert ok(ours, f"{side}.points.reread")["points"] == 3.5  # the refused update changed nothing
    assert ok(ours, f"{side}.create.bad-points") is None
    assert 'Cannot convert "many" to a number' in logs(ours, f"{side}.create.bad-points")
    assert ok(ours, f"{side}.create.bad-points.absent") == []  # nothing half-written
    assert ok(ours, f"{side}.owner.unknown") is None
    assert "Could not read referenced object 999999999" in logs(ours, f"{side}.owner.unknown")
    assert ok(ours, f"{side}.owner.reread")["owner"] == "Dave Developer"
    assert ok(ours, f"{side}.tag.create-again") is None
    assert f"Tag.Name conflicts with {side}-tui-tag" in logs(ours, f"{side}.tag.create-again")
    assert "FlowState not found: No Such State" in logs(ours, f"{side}.state.unknown")
    assert ok(ours, f"{side}.bulk.iteration-unknown")["failed_count"] == 2
    assert ok(ours, f"{side}.delete.unknown") is False
    assert ok(ours, f"{side}.tickets.bad-query") == []
    assert "Invalid query expression syntax" in logs(ours, f"{side}.tickets.bad-query") or \
        "Could not parse: Error parsing expression" in logs(ours, f"{side}.tickets.bad-query")


def test_the_query_differences_are_earlier_and_cheaper_never_different_answers(runs: dict[str, Steps]) -> None:
    ours, upstream = runs["ours"], runs["upstream"]
    for name in ("sync.tickets.bad-query", "sync.ticket.bad-id", "sync.users.unknown"):
        assert ok(ours, name) == ok(upstream, name), name
        assert ours[name]["pyral"] == 0 and "Invalid query expression syntax in:" in logs(ours, name)
    assert "stray double quote" in logs(ours, "sync.ticket.bad-id")


def test_attachments_work_on_ours_where_upstream_cannot_read_the_unfetched_collection(runs: dict[str, Steps]) -> None:
    ours, upstream = runs["ours"], runs["upstream"]
    assert ok(upstream, "sync.attachment.upload") is None
    assert "has no attribute: 'Attachments'" in logs(upstream, "sync.attachment.upload")
    uploaded = ok(ours, "sync.attachment.upload")
    assert (uploaded["name"], uploaded["size"], uploaded["content_type"]) == ("sync-notes.txt", 21, "text/plain")
    assert [a["name"] for a in ok(ours, "sync.attachments")] == ["sync-notes.txt"]


def test_the_cli_commands(runs: dict[str, Steps]) -> None:
    ours = runs["ours"]

    def cli(name: str) -> tuple[int, str]:
        value = ok(ours, f"cli.{name}")
        assert value["exception"] is None, (name, value)
        return value["exit"], value["output"]

    for name in ("tickets", "tickets.query", "tickets.create", "tickets.update", "search", "summary", "iterations",
                 "releases", "features", "features.show", "tags", "tags.create", "tags.add", "tags.remove",
                 "discussions", "comment", "attachments.upload", "attachments.list"):
        code, out = cli(name)
        assert code == 0 and json.loads(out)["success"] is True, (name, out)
    assert json.loads(cli("tickets.update")[1])["data"]["ticket"]["name"] == "cli renamed story"
    assert json.loads(cli("tickets.create")[1])["data"][0]["points"] == 3
    code, out = cli("tickets.update-bad-severity")
    assert code == 1 and "Not a severity is an invalid value for Severity" in out
    for name, message in (("tickets.show-unknown", "Ticket US999999 not found"),
                          ("features.show-unknown", "Feature F999999 not found"),
                          ("comment.unknown", "Ticket US999999 not found"),
                          ("attachments.list-unknown", "Ticket US999999 not found"),
                          ("tags.add-unknown", "Ticket US999999 not found")):
        code, out = cli(name)
        assert code == 1 and message in out, (name, out)
    code, out = cli("tickets.show-bad-id")
    assert code == 2 and "Invalid ticket ID format" in out and ours["cli.tickets.show-bad-id"]["raw"] == 0
    code, out = cli("tickets.bad-query")
    assert "Could not parse: Error parsing expression" in out


def test_the_textual_app_headless(runs: dict[str, Steps]) -> None:
    """The app (``App.run_test``): it lists Sally's tickets of the sprint, opens a story, sets its points
    and state through its screens; bad points never leave the app; a Task's points and state are refused."""
    ours = runs["ours"]
    assert ok(ours, "app.connect") == {"connected": True, "user": "Sally Submitter"}
    listed = ok(ours, "app.list")
    assert listed and any(i.startswith("US") for i in listed) and any(i.startswith("TA") for i in listed)
    story = ok(ours, "app.open")
    assert story["formatted_id"] in listed and story["ticket_type"] == "UserStory"
    assert ok(ours, "app.points") == {"points": 8, "refused": None}
    assert ok(ours, "app.points.bad") == {"points": 8, "refused": "Please enter a valid number"}
    assert ours["app.points.bad"]["pyral"] == 0
    assert ok(ours, "app.state") == "Completed"
    reread = ok(ours, "app.reread")
    assert (reread["formatted_id"], reread["points"], reread["state"]) == (story["formatted_id"], 8, "Completed")
    assert ok(ours, "app.points.task") == {"points": None, "refused": None}
    assert "Error updating points for TA" in logs(ours, "app.points.task")
    assert "Error updating state for TA" in logs(ours, "app.state.task")
    assert ok(ours, "app.reread.task") == ok(ours, "app.open.task")  # nothing half-written


def test_a_wrong_api_key_is_refused(runs: dict[str, Steps]) -> None:
    for flavour in ("ours", "upstream"):
        row = runs[flavour]["bad.connect"]
        assert not row["ok"] and row["pyral"] == 1, (flavour, row)
