"""The seed's sample scripts (examples/) run unchanged against the emulator's demo data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyral.emulator import Emulator
from pyral.emulator.demo import USERS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SALLY = next(u for u in USERS if u.display_name == "Sally Submitter")
PROJECT = "Online Store"


@pytest.fixture(scope="module")
def demo(demo_emulator: Emulator) -> Iterator[Emulator]:
    demo_emulator.reset()
    yield demo_emulator
    demo_emulator.reset()  # crdefect/updefect wrote to it


@pytest.fixture(scope="module")
def wsapi(demo: Emulator) -> Iterator[Any]:
    http = httpx.Client(auth=(demo.admin_user, demo.admin_password), timeout=30)

    def query(type_path: str, **params: str) -> list[dict[str, Any]]:
        reply = http.get(f"{demo.wsapi_url}/{type_path}", params={"project": "null", **params})
        reply.raise_for_status()
        return list(reply.json()["QueryResult"]["Results"])

    yield query
    http.close()


@pytest.fixture(scope="module")
def scope(wsapi: Any) -> dict[str, str]:
    """Query parameters for the samples' project (no scoping up or down)."""
    project = wsapi("project", query=f'(Name = "{PROJECT}")', fetch="ObjectID")[0]
    return {"project": f"/project/{project['ObjectID']}", "projectScopeDown": "false", "order": "FormattedID"}


def run(demo: Emulator, script: str, *args: str) -> str:
    """Run one sample as its own process, the way a user would; returns its stdout."""
    options = [f"--rallyServer={demo.url}", f"--rallyUser={SALLY.username}", f"--rallyPassword={SALLY.password}",
               "--rallyWorkspace=Default Workspace", f"--rallyProject={PROJECT}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RALLY_") and k != "APIKEY"}
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args, *options], capture_output=True,
                          text=True, env=env, cwd=EXAMPLES, timeout=120)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_samples_keep_the_seed_boilerplate() -> None:
    boilerplate = [
        "from pyral import Rally, rallyWorkset",
        "options = [arg for arg in sys.argv[1:] if arg.startswith('--')]",
        "args    = [arg for arg in sys.argv[1:] if arg not in options]",
        "server, user, password, apikey, workspace, project = rallyWorkset(options)",
        "rally = Rally(server, user, password, workspace=workspace, project=project)",
    ]
    for script in ("gettc.py", "wksprj.py", "allusers.py", "crdefect.py", "updefect.py", "showtasks.py"):
        lines = (EXAMPLES / script).read_text().splitlines()
        assert all(line in lines for line in boilerplate), script


def test_gettc(demo: Emulator, wsapi: Any, scope: dict[str, str]) -> None:
    tc = wsapi("testcase", fetch="FormattedID,Name,Type,DefectStatus,LastVerdict", **scope)[0]
    out = run(demo, "gettc.py", tc["FormattedID"])
    assert out.splitlines() == [f"{tc['Name']} {tc['Type']} {tc['DefectStatus']} {tc['LastVerdict']}"]


def test_wksprj(demo: Emulator) -> None:
    lines = run(demo, "wksprj.py").splitlines()
    assert re.fullmatch(r"\d+ Default Workspace", lines[0])
    projects = {line.split(None, 1)[1] for line in lines[1:] if line.startswith("    ")}
    assert {"Sample Project", "Online Store", "Checkout", "Catalog", "Mobile App", "My Project"} <= projects


def test_allusers(demo: Emulator) -> None:
    lines = run(demo, "allusers.py").splitlines()
    assert len(lines) >= 9
    sally = next(line for line in lines if "Sally Submitter" in line)
    assert re.fullmatch(r"\d{12} Sally Submitter +sally@demo\.local +Tester +America/Denver", sally)
    assert any(line.endswith(" default") for line in lines)  # users without a TimeZone


def test_crdefect_then_updefect(demo: Emulator, wsapi: Any) -> None:
    out = run(demo, "crdefect.py", "Coupon field rejects lower case", "Minor Problem", "High Attention",
              "Typing a code in lower case says it is invalid.")
    match = re.fullmatch(r"Defect created, ObjectID: (\d+)  FormattedID: (DE\d+)\n", out)
    assert match, out
    oid, fid = match.groups()
    fetch = "FormattedID,Name,Severity,Priority,State,SubmittedBy,Project,c_Customer,TargetDate,Notes"
    created = wsapi("defect", query=f"(ObjectID = {oid})", fetch=fetch)[0]
    assert created["FormattedID"] == fid and created["Name"] == "Coupon field rejects lower case"
    assert (created["Severity"], created["Priority"], created["State"]) == ("Minor Problem", "High Attention", "Open")
    assert created["SubmittedBy"]["_refObjectName"] == "Sally Submitter"
    assert created["Project"]["_refObjectName"] == PROJECT and not created.get("c_Customer")

    out = run(demo, "updefect.py", fid, "Initech", "2031-01-15T00:00:00Z", "Escalated by the customer.")
    assert out == f"Defect {fid} updated\n"
    updated = wsapi("defect", query=f"(ObjectID = {oid})", fetch=fetch)[0]
    assert updated["c_Customer"] == "Initech"
    assert updated["TargetDate"].startswith("2031-01-15T00:00:00")
    assert updated["Notes"] == "Escalated by the customer."


def test_showtasks(demo: Emulator, wsapi: Any, scope: dict[str, str]) -> None:
    story = wsapi("hierarchicalrequirement", query="(DirectChildrenCount = 0)", fetch="FormattedID,ObjectID",
                  **scope)[0]
    tasks = wsapi("task", query=f"(WorkProduct.ObjectID = {story['ObjectID']})", fetch="Name",
                  order="TaskIndex")
    out = run(demo, "showtasks.py", story["FormattedID"])
    assert tasks and out.splitlines() == [t["Name"] for t in tasks]


def test_run_demo_end_to_end() -> None:
    """What ``bash scripts/demo.sh`` runs: its own emulator, every sample, exit status 0."""
    proc = subprocess.run([sys.executable, str(EXAMPLES / "run_demo.py")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for expected in ("$ python gettc.py TC", "$ python wksprj.py", "Sally Submitter", "Defect created, ObjectID:",
                     "updated", "$ python showtasks.py US", "all samples ran successfully"):
        assert expected in out
