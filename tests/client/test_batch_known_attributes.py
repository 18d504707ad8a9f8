"""A batch that names only long-standing built-in attributes is sent alone (no type reads);
anything else is still checked against the type's attributes, refused items reported per item."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pyral.protocol.batch_attributes import WRITABLE_BUILTINS, all_builtin


def _writable(source: str) -> dict[str, set[str]]:
    types = json.loads(resources.files("pyral.emulator").joinpath(f"data/{source}").read_text())["types"]
    return {t["ElementName"]: {a["ElementName"] for a in t["Attributes"] if not a["ReadOnly"]} for t in types}


def test_table_is_what_the_2015_capture_and_the_2025_description_both_say_is_writable() -> None:
    capture, description = _writable("rally_schema.json"), _writable("rally_openapi.json")
    derived = {name: capture[name] & description[name] for name in WRITABLE_BUILTINS}
    assert {name: set(names) for name, names in WRITABLE_BUILTINS.items()} == derived
    assert all_builtin("HierarchicalRequirement", ["Name", "Notes", "PlanEstimate"])
    assert not all_builtin("HierarchicalRequirement", ["name"])  # case differs: the workspace decides
    assert not all_builtin("HierarchicalRequirement", ["FormattedID"])  # read-only
    assert not all_builtin("PortfolioItem/Feature", ["Name"])  # not listed: the workspace decides


def _paths(sent: Any, before: int) -> list[str]:
    return [f"{r.method} {r.url.path.rsplit('/v2.0/', 1)[-1].lower()}" for r in sent.sent[before:]]


def test_exact_builtin_names_send_the_batch_alone(connect: Any) -> None:
    rally, sent = connect()
    before = len(sent.sent)
    made = rally.createMultiple("Story", [{"Name": f"b{i}", "Notes": "n", "PlanEstimate": i} for i in range(20)])
    assert [m["Name"] for m in made] == [f"b{i}" for i in range(20)] and not made.failures
    assert _paths(sent, before) == ["POST batch"]
    batch = sent.sent[before]
    assert batch.url.params["fetch"] == "FormattedID,Name"  # upstream's and the raw batch's fetch
    assert all(m["ObjectID"] == m["_ref"].rsplit("/", 1)[1] and m["FormattedID"].startswith("US") for m in made)
    before = len(sent.sent)
    done = rally.updateMultiple("Story", [{"ObjectID": m["ObjectID"], "ScheduleState": "Completed"} for m in made])
    assert len(done) == 20 and _paths(sent, before) == ["POST batch"]
    story = rally.get("Story", fetch="ScheduleState,PlanEstimate", query=f'FormattedID = {made[7]["FormattedID"]}',
                      instance=True)
    assert (story.ScheduleState, story.PlanEstimate) == ("Completed", 7)


def test_other_names_are_checked_against_the_type_once_per_instance(connect: Any) -> None:
    rally, sent = connect()
    before = len(sent.sent)
    items: list[dict[str, Any]] = [{"Name": f"c{i}", "plan estimate": 2} for i in range(4)]
    items.insert(2, {"Name": "typo", "Noets": "x"})
    made = rally.createMultiple("Story", items)
    assert [m["Name"] for m in made] == [f"c{i}" for i in range(4)]
    assert [(i, errs) for i, _, errs in made.failures] == [(2, ["unknown attribute Noets"])]
    assert _paths(sent, before) == ["GET typedefinition", f"GET {_attributes_path(sent, before)}", "POST batch"]
    typedef_read, attributes_read, batch = sent.sent[before:before + 3]
    assert "fetch=true" not in str(typedef_read.url) and "fetch=true" not in str(attributes_read.url)
    body = json.loads(batch.content)["Batch"]
    assert len(body) == 4  # the refused item was never sent
    assert body[0]["Entry"]["Body"]["hierarchicalrequirement"] == {"Name": "c0", "PlanEstimate": 2}
    before = len(sent.sent)
    again = rally.createMultiple("Story", [{"name": "lower"}, {"Name": "exact"}])
    assert [m["Name"] for m in again] == ["lower", "exact"] and _paths(sent, before) == ["POST batch"]


def _attributes_path(sent: Any, before: int) -> str:
    path = sent.sent[before + 1].url.path.rsplit("/v2.0/", 1)[-1].lower()
    assert path.startswith("typedefinition/") and path.endswith("/attributes"), path
    return path


def test_a_type_not_in_the_table_is_checked(connect: Any) -> None:
    rally, sent = connect()
    before = len(sent.sent)
    made = rally.createMultiple("Feature", [{"Name": "f1"}, {"Name": "f2", "Bogus": True}])
    assert [m["Name"] for m in made] == ["f1"]
    assert [(i, errs) for i, _, errs in made.failures] == [(1, ["unknown attribute Bogus"])]
    assert [p.split()[0] for p in _paths(sent, before)] == ["GET", "GET", "POST"]


def test_rally_still_refuses_bad_values_per_item_without_a_type_read(connect: Any) -> None:
    rally, sent = connect()
    before = len(sent.sent)
    made = rally.createMultiple("Story", [{"Name": "ok"}, {"Name": "bad", "ScheduleState": "Dreaming"},
                                          {"Notes": "no name"}])
    assert _paths(sent, before) == ["POST batch"]
    assert [m["Name"] for m in made] == ["ok"]
    failures = {i: errs for i, _, errs in made.failures}
    assert set(failures) == {1, 2} and "invalid value" in failures[1][0]
    assert failures[2] == ["Validation error: HierarchicalRequirement.Name should not be null"]
