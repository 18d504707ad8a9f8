"""``pyral lookback`` and ``pyral chart`` against the emulator (history made with its clock)."""

from __future__ import annotations

import csv
import importlib
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from pyral import Rally

Run = Callable[..., Result]
T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)
DAY = 86400


@pytest.fixture
def sprint(emu: Any, rally: Rally) -> list[int]:
    """Three stories moving through the schedule states over four days (one day per step)."""
    emu.set_clock(T0)
    stories = [rally.put("HierarchicalRequirement", {"Name": f"S{i}", "PlanEstimate": i + 1}) for i in range(3)]
    for state, movers in (("In-Progress", stories), ("Completed", stories[:2]), ("Accepted", stories[:1])):
        emu.advance_clock(DAY)
        for story in movers:
            rally.post("HierarchicalRequirement", {"ObjectID": story.oid, "ScheduleState": state})
    return [int(s.oid) for s in stories]


def test_lookback_as_csv_and_jsonl(run: Run, sprint: list[int]) -> None:
    find = json.dumps({"ObjectID": sprint[0]})
    result = run("lookback", "--find", find, "--fields", "ObjectID,ScheduleState,_ValidFrom",
                 "--hydrate", "ScheduleState", "--sort", '{"_ValidFrom": 1}', "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["ObjectID", "ScheduleState", "_ValidFrom"]
    assert [r[1] for r in rows[1:]] == ["Defined", "In-Progress", "Completed", "Accepted"]
    assert rows[1][2] == "2024-03-01T09:00:00.000Z"
    result = run("lookback", "--find", find, "--hydrate", "ScheduleState", "--limit", "2", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2 and all(r["ObjectID"] == sprint[0] for r in records)
    assert {"_ValidFrom", "_ValidTo"} <= set(records[0])


def test_lookback_table_and_json(run: Run, sprint: list[int]) -> None:
    find = json.dumps({"_TypeHierarchy": "HierarchicalRequirement", "__At": "current"})
    result = run("lookback", "--find", find, "--fields", "ObjectID,ScheduleState", "--hydrate", "ScheduleState")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "ObjectID\tScheduleState"
    assert sorted(lines[1:]) == sorted([f"{sprint[0]}\tAccepted", f"{sprint[1]}\tCompleted",
                                        f"{sprint[2]}\tIn-Progress"])
    out = run("lookback", "--find", find, "--fields", "ObjectID", "--format", "json", "-o", "snaps.json")
    assert out.exit_code == 0 and out.stdout == ""
    records = json.loads(Path("snaps.json").read_text())
    assert sorted(r["ObjectID"] for r in records) == sorted(sprint) and all(len(r) == 1 for r in records)


def test_no_snapshots(run: Run, emu: Any) -> None:
    result = run("lookback", "--find", '{"ObjectID": 1}', "--format", "csv")
    assert result.exit_code == 0 and result.stdout.splitlines() == ["ObjectID,_ValidFrom,_ValidTo"]


def test_rally_refusal_is_a_usage_error(run: Run, emu: Any) -> None:
    result = run("lookback", "--find", '{"ObjectID": {"$where": "1"}}')
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: bad query: ") and "$where" in result.stderr


def test_bad_credentials_exit_3(run: Run, emu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIKEY", "_not_a_key")
    result = run("lookback", "--find", "{}")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: authentication failed: Invalid credentials") and "_not_a_key" not in result.stderr


def _png_size(path: Path) -> tuple[int, int]:
    image = importlib.import_module("PIL.Image")  # setup.sh installs every extra: fail, not skip
    with image.open(path) as img:
        img.verify()
    with image.open(path) as img:
        return img.size


@pytest.mark.parametrize("kind", ["cfd", "burnup", "cycletime"])
def test_chart_png(run: Run, sprint: list[int], kind: str, clean_env: Path) -> None:
    importlib.import_module("matplotlib")  # setup.sh installs every extra: fail, not skip
    result = run("chart", kind, "--from", "2024-03-01", "--to", "2024-03-05")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{kind}.png: {kind} of ") and "5 days" in result.stdout
    assert _png_size(clean_env / f"{kind}.png") == (800, 450)
    assert sorted(p.name for p in clean_env.iterdir() if p.is_file()) == [f"{kind}.png"]


def test_chart_svg_and_count_measure(run: Run, sprint: list[int], clean_env: Path) -> None:
    importlib.import_module("matplotlib")  # setup.sh installs every extra: fail, not skip
    result = run("chart", "burnup", "--from", "2024-03-01", "--to", "2024-03-04", "--measure", "count",
                 "-o", "up.svg")
    assert result.exit_code == 0, result.stderr
    root = ET.parse(clean_env / "up.svg").getroot()
    assert (root.get("width"), root.get("height")) == ("576pt", "324pt")


def test_chart_of_one_iteration(run: Run, emu: Any, rally: Rally, clean_env: Path) -> None:
    importlib.import_module("matplotlib")  # setup.sh installs every extra: fail, not skip
    emu.set_clock(T0)
    sprint = rally.put("Iteration", {"Name": "Sprint 9", "StartDate": "2024-03-01", "EndDate": "2024-03-14",
                                     "State": "Planning"})
    inside = rally.put("HierarchicalRequirement", {"Name": "in", "Iteration": sprint.ref})
    rally.put("HierarchicalRequirement", {"Name": "out"})
    parent = rally.put("HierarchicalRequirement", {"Name": "parent", "Iteration": sprint.ref})
    rally.put("HierarchicalRequirement", {"Name": "child", "Parent": parent.ref})
    emu.advance_clock(DAY)
    rally.post("HierarchicalRequirement", {"ObjectID": inside.oid, "ScheduleState": "In-Progress"})
    result = run("chart", "cfd", "--from", "2024-03-01", "--to", "2024-03-03", "--iteration", "Sprint 9")
    assert result.exit_code == 0, result.stderr
    # the story in it (two snapshots) and the parent while it had no child (its first snapshot)
    assert result.stdout.startswith("cfd.png: cfd of 3 snapshots")
    result = run("chart", "cfd", "--from", "2024-03-01", "--to", "2024-03-03", "--release", "R1")
    assert result.exit_code == 4 and "no release named 'R1'" in result.stderr


def test_chart_of_an_unknown_project_is_not_found(run: Run, emu: Any, clean_env: Path) -> None:
    result = run("chart", "cfd", "--from", "2024-03-01", "--to", "2024-03-04", "--project", "Nowhere")
    assert result.exit_code == 4
    assert list(clean_env.glob("*.png")) == []
