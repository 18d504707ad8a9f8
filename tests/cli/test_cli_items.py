"""query, show, create, update, delete, attach, attachments against the emulator."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pyral import Rally
from pyral.cli import connect


@pytest.fixture
def defects(rally: Rally) -> list[Any]:
    """Three defects (DE1..DE3) and a story US1 with one task."""
    story = rally.create("HierarchicalRequirement", {"Name": "Login page", "PlanEstimate": 5})
    rally.create("Task", {"Name": "Write the form", "WorkProduct": story.ref, "Estimate": 2})
    made = []
    for name, sev in (("Crash on save", "Crash/Data Loss"), ("Typo, in \"title\"", "Cosmetic"),
                      ("Slow search", "Major Problem")):
        made.append(rally.create("Defect", {"Name": name, "Severity": sev, "Owner": f"user/{rally.user_oid}"}))
    return made


def test_query_plain_text_when_piped(defects: Any, run: Any) -> None:
    result = run("query", "Defect", "--fetch", "FormattedID,Name,Severity,Owner", "--order", "FormattedID")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "FormattedID\tName\tSeverity\tOwner"
    assert lines[1] == "DE1\tCrash on save\tCrash/Data Loss\tadmin@emulator.local"
    assert len(lines) == 4
    assert "┃" not in result.stdout and "│" not in result.stdout


def test_query_formats(defects: Any, run: Any) -> None:
    base = ("query", "Defect", "--fetch", "formattedid,name,severity,owner", "--order", "FormattedID")
    rows = list(csv.reader(io.StringIO(run(*base, "--format", "csv").stdout)))
    assert rows[0] == ["FormattedID", "Name", "Severity", "Owner"]
    assert rows[2] == ["DE2", 'Typo, in "title"', "Cosmetic", "admin@emulator.local"]
    data = json.loads(run(*base, "--format", "json").stdout)
    assert [d["FormattedID"] for d in data] == ["DE1", "DE2", "DE3"]
    assert data[0]["Owner"]["UserName"] == "admin@emulator.local"
    assert data[0]["Owner"]["_ref"].startswith("user/")
    lines = run(*base, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["Name"] for line in lines] == ["Crash on save", 'Typo, in "title"', "Slow search"]


def test_query_where_order_limit_scope(defects: Any, run: Any) -> None:
    result = run("query", "Defect", "--where", 'Severity = "Cosmetic"', "--fetch", "FormattedID", "--format", "csv")
    assert result.stdout.split() == ["FormattedID", "DE2"]
    result = run("query", "Defect", "--order", "Name desc", "--limit", "2", "--fetch", "Name", "--format", "csv",
                 "--scope", "down")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["Name", '"Typo, in ""title"""', "Slow search"]
    empty = run("query", "Defect", "--where", 'Name = "nothing"', "--format", "json")
    assert json.loads(empty.stdout) == []


def test_query_to_file(defects: Any, run: Any, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    result = run("query", "Defect", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text().startswith("FormattedID,Name")
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]


def test_query_unknown_type(emu: Any, run: Any) -> None:
    result = run("query", "Defectt")
    assert result.exit_code == 2
    assert result.stderr == "Error: unknown Rally type: Defectt (see 'pyral types')\n"


@pytest.mark.parametrize("where", ['Name = ', 'Name = "x" AND', 'Bogus = 3', '((Name = "x")'])
def test_query_bad_query(emu: Any, run: Any, where: str) -> None:
    result = run("query", "Defect", "--where", where)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("Error: bad query:")
    assert len(result.stderr.splitlines()) == 1


def test_query_unknown_field(emu: Any, run: Any) -> None:
    result = run("query", "Defect", "--fetch", "Name,Colour")
    assert result.exit_code == 2
    assert "unknown field(s) for Defect: Colour" in result.stderr


@pytest.mark.parametrize("target", ["missing-dir/out.csv", "."] + (["/proc/pyral-cli.csv"] if os.path.isdir("/proc") else []))
def test_query_unwritable_output(emu: Any, run: Any, target: str) -> None:
    result = run("query", "Defect", "-o", target, "--format", "csv")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot write output file")


def test_show_details_and_json(defects: Any, run: Any) -> None:
    result = run("show", "de2")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["FormattedID", "DE2"]
    assert any(line.split()[:2] == ["Severity", "Cosmetic"] for line in lines)
    assert ["Owner", "Emulator", "Admin"] in [line.split() for line in lines]  # a reference shows its _refObjectName
    data = json.loads(run("show", "DE2", "--format", "json").stdout)
    assert data["Name"] == 'Typo, in "title"' and data["_type"] == "Defect"
    by_ref = json.loads(run("show", data["_ref"], "--format", "json").stdout)
    assert by_ref["FormattedID"] == "DE2"
    story = json.loads(run("show", "US1", "--format", "json").stdout)
    assert story["PlanEstimate"] == 5


def test_show_no_such_id(emu: Any, run: Any) -> None:
    for ident in ("DE999", "defect/123456", "ZZ1"):
        result = run("show", ident)
        assert result.exit_code == 4, (ident, result.stderr)
        assert result.stderr.startswith("Error: no")
    result = run("show", "12345")
    assert result.exit_code == 2 and "not an ID" in result.stderr


def test_create_typed_values_and_references(defects: Any, run: Any, rally: Rally) -> None:
    result = run("create", "Story", "Name=Checkout", "PlanEstimate=3", "Blocked=yes", "Owner=Emulator Admin",
                 "Notes=plain")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Created HierarchicalRequirement US2 (hierarchicalrequirement/")
    story = rally.get("Story", fetch=True, query='FormattedID = "US2"', instance=True)
    assert story.PlanEstimate == 3 and story.Blocked is True and story.Owner.oid == rally.user_oid
    result = run("create", "Task", "Name=Pay", "WorkProduct=US2", "Estimate=1.5", "--format", "json")
    assert result.exit_code == 0, result.stderr
    task = json.loads(result.stdout)
    assert task["WorkProduct"]["_refObjectName"] == "Checkout" and task["Estimate"] == 1.5
    result = run("create", "Defect", "Name=By username", f"Owner={rally.user_name}", "Requirement=US1")
    assert result.exit_code == 0, result.stderr


def test_collections_by_name_and_listed(defects: Any, run: Any, rally: Rally) -> None:
    rally.create("Tag", {"Name": "urgent"})
    rally.create("Tag", {"Name": "ui"})
    assert run("update", "DE1", "Tags=urgent, ui").exit_code == 0
    result = run("query", "Defect", "--fetch", "FormattedID,Tags", "--where", 'FormattedID = "DE1"',
                 "--format", "csv")
    assert result.stdout.splitlines()[1] == 'DE1,"urgent, ui"'
    data = json.loads(run("show", "DE1", "--format", "json").stdout)
    assert sorted(t["_refObjectName"] for t in data["Tags"]) == ["ui", "urgent"]
    tasks = run("query", "Story", "--fetch", "Name,Tasks", "--format", "jsonl").stdout
    assert json.loads(tasks)["Tasks"][0]["_refObjectName"] == "Write the form"
    assert run("update", "DE1", "Tags=nosuchtag").exit_code == 4


def test_create_from_json_payload(emu: Any, run: Any, tmp_path: Path) -> None:
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps({"Name": "From JSON", "PlanEstimate": 8, "Ready": True}))
    result = run("create", "HierarchicalRequirement", "--json", str(payload), "Notes=extra")
    assert result.exit_code == 0, result.stderr
    data = json.loads(run("show", "US1", "--format", "json").stdout)
    assert (data["Name"], data["PlanEstimate"], data["Ready"], data["Notes"]) == ("From JSON", 8, True, "extra")
    result = run("create", "Story", "--json", "-", input='{"Name": "stdin"}')
    assert result.exit_code == 0, result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert run("create", "Story", "--json", str(bad)).exit_code == 2


@pytest.mark.parametrize(("args", "code", "text"), [
    (("Defect", "Colour=red", "Name=x"), 2, "unknown field 'Colour' for Defect"),
    (("Defect", "Name=x", "FormattedID=DE5"), 2, "use 'pyral update'"),
    (("Defect", "Name=x", "CreationDate=2020-01-01"), 2, "read-only"),
    (("Story", "Name=x", "PlanEstimate=lots"), 2, "expects a number"),
    (("Story", "Name=x", "Blocked=maybe"), 2, "expects true or false"),
    (("Defect", "Name=x", "Severity=Apocalyptic"), 1, "Apocalyptic is an invalid value for Severity"),
    (("Defect", "Name=x", "Owner=nobody@nowhere"), 4, "no User matches 'nobody@nowhere'"),
    (("Defect", "Name=x", "Requirement=US777"), 4, "no Requirement matches 'US777'"),
    (("Defect", "novalue"), 2, "expected Field=Value"),
    (("Defect",), 2, "nothing to write"),
    (("Nonsense", "Name=x"), 2, "unknown Rally type: Nonsense"),
])
def test_create_errors(emu: Any, run: Any, args: tuple[str, ...], code: int, text: str) -> None:
    result = run("create", *args)
    assert result.exit_code == code, result.stderr
    assert text in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_update(defects: Any, run: Any, rally: Rally) -> None:
    result = run("update", "DE1", "State=Open", "Severity=Minor Problem", "Owner=")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Updated Defect DE1")
    de1 = rally.get("Defect", fetch=True, query='FormattedID = "DE1"', instance=True)
    assert (de1.State, de1.Severity, de1.Owner) == ("Open", "Minor Problem", None)
    assert run("update", "DE99", "State=Open").exit_code == 4
    assert run("update", "DE1", "Nope=1").exit_code == 2
    assert run("update", "DE1", "State=Bogus").exit_code == 1


def test_delete(defects: Any, run: Any, rally: Rally, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = run("delete", "DE1")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    monkeypatch.setattr(connect, "can_prompt", lambda: True)
    declined = run("delete", "DE1", input="n\n")
    assert declined.exit_code == 1 and "Delete Defect DE1" in declined.stderr
    assert run("delete", "DE1", input="y\n").exit_code == 0
    result = run("delete", "DE2", "--yes")
    assert result.exit_code == 0 and result.stdout.startswith("Deleted Defect DE2")
    assert [d.FormattedID for d in rally.get("Defect", fetch="FormattedID")] == ["DE3"]
    assert run("delete", "DE2", "--yes").exit_code == 4


def test_delete_refused_by_rally_says_why(defects: Any, run: Any, rally: Rally) -> None:
    tag = rally.create("Tag", {"Name": "permanent"})
    result = run("delete", f"tag/{tag.oid}", "--yes")
    assert result.exit_code == 1
    assert "Rally did not delete Tag" in result.stderr
    assert "Cannot delete an object of type Tag: it is not deletable" in result.stderr


def test_attach_and_attachments(defects: Any, run: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 40)
    result = run("attach", "DE3", str(notes), str(blob))
    assert result.exit_code == 0, result.stderr
    assert "Attached notes.txt (6 bytes, text/plain) to DE3" in result.stdout
    again = run("attach", "DE3", str(notes))
    assert again.exit_code == 1 and "already attached" in again.stderr
    listing = run("attachments", "DE3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listing.stdout)))
    assert sorted(r["Name"] for r in rows) == ["data.bin", "notes.txt"]
    assert {r["Name"]: r["Size"] for r in rows}["data.bin"] == str(256 * 40)
    target = tmp_path / "down"
    got = run("attachments", "DE3", "--download", str(target))
    assert got.exit_code == 0, got.stderr
    assert (target / "notes.txt").read_text() == "hello\n"
    assert (target / "data.bin").read_bytes() == blob.read_bytes()
    assert run("attach", "DE3", str(tmp_path / "missing.txt")).exit_code == 2
    assert run("attachments", "DE404").exit_code == 4
