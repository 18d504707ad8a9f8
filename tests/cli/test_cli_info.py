"""workspaces, projects, users, types, typedef, allowed."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pyral import Rally


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_workspaces(emu: Any, run: Any) -> None:
    rows = _csv(run("workspaces", "--format", "csv").stdout)
    assert rows == [{"Name": "Default Workspace", "ObjectID": rows[0]["ObjectID"], "Current": "*"}]


def test_projects_flat_and_tree(emu: Any, run: Any, rally: Rally) -> None:
    top = rally.getProject()
    child = rally.create("Project", {"Name": "Child A", "Parent": top.ref})
    rally.create("Project", {"Name": "Grandchild", "Parent": child.ref})
    rally.create("Project", {"Name": "Child B", "Parent": top.ref})
    flat = {r["Name"]: r["Parent"] for r in _csv(run("projects", "--format", "csv").stdout)}
    assert flat == {"Sample Project": "", "Child A": "Sample Project", "Child B": "Sample Project",
                    "Grandchild": "Child A"}
    tree = [(r["Name"], r["Depth"]) for r in _csv(run("projects", "--tree", "--format", "csv").stdout)]
    assert tree == [("Sample Project", "0"), ("Child A", "1"), ("Grandchild", "2"), ("Child B", "1")]
    plain = run("projects", "--tree")
    assert plain.exit_code == 0 and plain.stdout.splitlines()[0] == "Name\tObjectID\tState\tDepth"


def test_users(emu: Any, run: Any) -> None:
    data = json.loads(run("users", "--format", "json").stdout)
    assert data[0]["UserName"] == emu.admin_user and data[0]["SubscriptionAdmin"] is True


def test_types(emu: Any, run: Any) -> None:
    rows = {r["TypePath"]: r for r in _csv(run("types", "--format", "csv").stdout)}
    assert rows["PortfolioItem/Feature"]["IDPrefix"] == "F"
    assert rows["Defect"]["Creatable"] == "true"


def test_typedef(emu: Any, run: Any) -> None:
    result = run("typedef", "defect", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {r["Attribute"]: r for r in _csv(result.stdout)}
    assert rows["Name"]["Required"] == "true" and rows["Name"]["Type"] == "STRING"
    assert rows["FormattedID"]["ReadOnly"] == "true"
    assert rows["Owner"]["Type"] == "OBJECT User"
    assert rows["State"]["AllowedValues"].split(", ") == ["Submitted", "Open", "Fixed", "Closed"]
    assert "Severity" in rows and "Crash/Data Loss" in rows["Severity"]["AllowedValues"]


def test_typedef_unknown_type(emu: Any, run: Any) -> None:
    result = run("typedef", "Bug")
    assert result.exit_code == 2 and "unknown Rally type: Bug" in result.stderr


def test_allowed(emu: Any, run: Any) -> None:
    result = run("allowed", "Defect", "severity", "--format", "jsonl")
    assert [json.loads(line)["Value"] for line in result.stdout.splitlines()] == [
        "None", "Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic"]
    states = run("allowed", "HierarchicalRequirement", "ScheduleState", "--format", "csv").stdout.split()
    assert states[:3] == ["Value", "Defined", "In-Progress"]
    ref = run("allowed", "Defect", "Owner")
    assert ref.exit_code == 0 and "takes references to User" in ref.stderr


def test_allowed_errors(emu: Any, run: Any) -> None:
    field = run("allowed", "Defect", "Colour")
    assert field.exit_code == 2 and field.stderr == "Error: unknown field 'Colour' for Defect (see 'pyral typedef Defect')\n"
    kind = run("allowed", "Nope", "State")
    assert kind.exit_code == 2 and kind.stderr == "Error: unknown Rally type: Nope (see 'pyral types')\n"
