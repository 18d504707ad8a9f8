"""Timebox and capacity rollups: ChildrenPlannedVelocity, Release.ReleaseBacklogItemsCount,
UserIterationCapacity.TaskEstimates and Load (docs/emulator.md, "Test runs, timeboxes, discussion").

Sources: names, types and read-only flags from the schema capture and the 2025 OpenAPI
description; the rules are the emulator's documented choices (Rally's iteration help rolls up
"all projects that have the same iteration name and time box").
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from wsapi_client import API, Wsapi, inner

SPRINT = {"StartDate": "2026-11-02T00:00:00.000Z", "EndDate": "2026-11-13T23:59:59.000Z"}
RELEASE = {"ReleaseStartDate": "2026-10-01T00:00:00.000Z", "ReleaseDate": "2026-12-31T23:59:59.000Z"}


def _value(wsapi: Wsapi, ref: str, attr: str) -> object:
    return wsapi.read(ref, fetch=attr)[attr]


def _restore(wsapi: Wsapi, formatted_id: str) -> None:
    entry = wsapi.rows("recyclebinentry", query=f'(ID = "{formatted_id}")', fetch="ObjectID")[0]
    assert wsapi.request("POST", f"/emulator/recyclebin/{entry['ObjectID']}/restore").status_code == 200


@pytest.fixture
def tree(wsapi: Wsapi) -> dict[str, dict]:
    """root (the default project) -> child -> grandchild; and a separate top-level project."""
    root = wsapi.default_project()
    child = wsapi.create("project", {"Name": "Child", "Parent": root["_ref"]})
    grandchild = wsapi.create("project", {"Name": "Grandchild", "Parent": child["_ref"]})
    other = wsapi.create("project", {"Name": "Other"})
    return {"root": root, "child": child, "grandchild": grandchild, "other": other}


def _sprint(wsapi: Wsapi, project: dict, velocity: float, name: str = "Sprint 1", **dates: str) -> dict:
    return wsapi.create("iteration", {"Name": name, **SPRINT, **dates, "PlannedVelocity": velocity,
                                      "Project": project["_ref"]})


def test_children_planned_velocity_follows_timeboxes_and_the_project_tree(wsapi: Wsapi, tree: dict) -> None:
    top = _sprint(wsapi, tree["root"], 10)
    assert top["ChildrenPlannedVelocity"] == 0.0
    mid = _sprint(wsapi, tree["child"], 5)
    low = _sprint(wsapi, tree["grandchild"], 3)
    _sprint(wsapi, tree["other"], 7)  # not below the root
    _sprint(wsapi, tree["child"], 100, StartDate="2026-11-16T00:00:00.000Z",
            EndDate="2026-11-27T23:59:59.000Z")  # same name, other dates: another timebox
    _sprint(wsapi, tree["grandchild"], 50, name="Sprint 2")
    cpv = "ChildrenPlannedVelocity"
    assert (_value(wsapi, top["_ref"], cpv), _value(wsapi, mid["_ref"], cpv), _value(wsapi, low["_ref"], cpv)) \
        == (8.0, 3.0, 0.0)
    wsapi.update(low["_ref"], {"PlannedVelocity": 4})
    assert (_value(wsapi, top["_ref"], cpv), _value(wsapi, mid["_ref"], cpv)) == (9.0, 4.0)
    wsapi.update(low["_ref"], {"Name": "Renamed"})
    assert (_value(wsapi, top["_ref"], cpv), _value(wsapi, mid["_ref"], cpv)) == (5.0, 0.0)
    wsapi.update(low["_ref"], {"Name": "Sprint 1"})
    assert _value(wsapi, top["_ref"], cpv) == 9.0
    assert wsapi.delete(mid["_ref"])["Errors"] == []
    assert _value(wsapi, top["_ref"], cpv) == 4.0
    wsapi.update(tree["grandchild"]["_ref"], {"Parent": tree["other"]["_ref"]})  # reparented
    assert _value(wsapi, top["_ref"], cpv) == 0.0
    moved_to = wsapi.rows("iteration", query='(Name = "Sprint 1")', fetch=f"{cpv},PlannedVelocity",
                          project=tree["other"]["_ref"], projectScopeDown="false")
    assert [(r["PlannedVelocity"], r[cpv]) for r in moved_to] == [(7.0, 4.0)]


def test_release_children_velocity_is_queryable(wsapi: Wsapi, tree: dict) -> None:
    top = wsapi.create("release", {"Name": "R1", **RELEASE, "PlannedVelocity": 100, "Project": tree["root"]["_ref"]})
    wsapi.create("release", {"Name": "R1", **RELEASE, "PlannedVelocity": 40, "Project": tree["child"]["_ref"]})
    wsapi.create("release", {"Name": "R1", **RELEASE, "PlannedVelocity": 20, "Project": tree["grandchild"]["_ref"]})
    assert _value(wsapi, top["_ref"], "ChildrenPlannedVelocity") == 60.0
    rows = wsapi.rows("release", query="(ChildrenPlannedVelocity > 0)", fetch="Name,ChildrenPlannedVelocity",
                      order="ChildrenPlannedVelocity desc", project=tree["root"]["_ref"], projectScopeDown="true")
    assert [r["ChildrenPlannedVelocity"] for r in rows] == [60.0, 20.0]


def test_release_backlog_counts_the_release_items_no_iteration_holds(wsapi: Wsapi) -> None:
    release = wsapi.create("release", {"Name": "R", **RELEASE})
    sprint = wsapi.create("iteration", {"Name": "S", **SPRINT})
    count = "ReleaseBacklogItemsCount"
    assert release[count] == 0
    story = wsapi.create("hierarchicalrequirement", {"Name": "a", "Release": release["_ref"]})
    defect = wsapi.create("defect", {"Name": "b", "Release": release["_ref"], "Iteration": sprint["_ref"]})
    wsapi.create("hierarchicalrequirement", {"Name": "unplanned"})
    assert _value(wsapi, release["_ref"], count) == 1
    wsapi.update(story["_ref"], {"Iteration": sprint["_ref"]})
    assert _value(wsapi, release["_ref"], count) == 0
    wsapi.update(defect["_ref"], {"Iteration": None})
    assert _value(wsapi, release["_ref"], count) == 1
    assert wsapi.delete(defect["_ref"])["Errors"] == []
    assert _value(wsapi, release["_ref"], count) == 0
    _restore(wsapi, defect["FormattedID"])
    assert _value(wsapi, release["_ref"], count) == 1
    wsapi.update(defect["_ref"], {"Release": None})
    assert _value(wsapi, release["_ref"], count) == 0


def test_capacity_load_follows_the_users_tasks(wsapi: Wsapi) -> None:
    user = wsapi.create("user", {"UserName": "cap@example.com", "EmailAddress": "cap@example.com"})
    admin = wsapi.rows("user", query='(UserName != "cap@example.com")', fetch="UserName")[0]
    sprint = wsapi.create("iteration", {"Name": "S", **SPRINT})
    cap = wsapi.create("useriterationcapacity", {"User": user["_ref"], "Iteration": sprint["_ref"],
                                                 "Project": wsapi.default_project()["_ref"], "Capacity": 20})
    assert (cap["TaskEstimates"], cap["Load"]) == (0.0, 0.0)

    def load() -> tuple[object, object]:
        got = wsapi.read(cap["_ref"], fetch="TaskEstimates,Load")
        return got["TaskEstimates"], got["Load"]

    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "Iteration": sprint["_ref"]})
    wsapi.create("task", {"Name": "t1", "WorkProduct": story["_ref"], "Owner": user["_ref"], "Estimate": 5})
    t2 = wsapi.create("task", {"Name": "t2", "WorkProduct": story["_ref"], "Owner": user["_ref"], "Estimate": 3})
    assert load() == (8.0, 0.4)
    wsapi.update(t2["_ref"], {"Estimate": 7})
    assert load() == (12.0, 0.6)
    wsapi.update(t2["_ref"], {"Owner": admin["_ref"]})
    assert load() == (5.0, 0.25)
    wsapi.update(story["_ref"], {"Iteration": None})  # its tasks follow it out of the sprint
    assert load() == (0.0, 0.0)
    wsapi.update(story["_ref"], {"Iteration": sprint["_ref"]})
    assert load() == (5.0, 0.25)
    elsewhere = wsapi.create("project", {"Name": "Elsewhere"})
    wsapi.update(story["_ref"], {"Project": elsewhere["_ref"]})  # capacity is per project
    assert load() == (0.0, 0.0)
    wsapi.update(story["_ref"], {"Project": wsapi.default_project()["_ref"]})
    assert wsapi.delete(story["_ref"])["Errors"] == []
    assert load() == (0.0, 0.0)
    _restore(wsapi, story["FormattedID"])
    assert load() == (5.0, 0.25)
    wsapi.update(cap["_ref"], {"Capacity": 10})
    assert load() == (5.0, 0.5)
    wsapi.update(cap["_ref"], {"Capacity": 0})
    assert load() == (5.0, None)


@pytest.fixture
def viewer(wsapi: Wsapi) -> Iterator[httpx.Client]:
    """A user who only views the default project."""
    client = wsapi.member("vi@example.com", "Viewer")
    yield client
    client.close()


def test_a_viewer_reads_the_same_rollups_and_cannot_write_them(wsapi: Wsapi, tree: dict,
                                                                viewer: httpx.Client) -> None:
    top = _sprint(wsapi, tree["root"], 10)
    _sprint(wsapi, tree["child"], 6)
    release = wsapi.create("release", {"Name": "R", **RELEASE})
    wsapi.create("hierarchicalrequirement", {"Name": "a", "Release": release["_ref"]})
    seen = inner(viewer.get(f"{API}/iteration/{top['ObjectID']}", params={"fetch": "ChildrenPlannedVelocity"}).json())
    assert seen["Errors"] == [] and seen["ChildrenPlannedVelocity"] == 6.0
    rows = inner(viewer.get(f"{API}/release", params={"fetch": "ReleaseBacklogItemsCount",
                                                      "query": "(ReleaseBacklogItemsCount = 1)"}).json())
    assert rows["Errors"] == [] and [r["ReleaseBacklogItemsCount"] for r in rows["Results"]] == [1]
    before = wsapi.fingerprint()
    refused = inner(viewer.post(f"{API}/iteration/{top['ObjectID']}", json={"Iteration": {"PlannedVelocity": 1}}).json())
    assert refused["Errors"] and refused["Errors"][0].startswith("Not authorized")
    assert wsapi.fingerprint() == before


def test_bad_input_changes_no_rollup(wsapi: Wsapi, tree: dict) -> None:
    top = _sprint(wsapi, tree["root"], 10)
    low = _sprint(wsapi, tree["child"], 6)
    sprint = wsapi.create("iteration", {"Name": "S", **SPRINT})
    echo = wsapi.update_raw(top["_ref"], {"Iteration": {"ChildrenPlannedVelocity": 99}})
    assert echo["Errors"] == [] and any("ChildrenPlannedVelocity" in w for w in echo["Warnings"])
    assert _value(wsapi, top["_ref"], "ChildrenPlannedVelocity") == 6.0
    before = wsapi.fingerprint()
    bad = wsapi.update_raw(low["_ref"], {"Iteration": {"PlannedVelocity": "lots"}})
    assert bad["Errors"] == ['Validation error: Cannot convert "lots" to a number for Iteration.PlannedVelocity']
    bad = wsapi.create_raw("useriterationcapacity", {"UserIterationCapacity": {
        "User": "/user/999999999", "Iteration": sprint["_ref"], "Project": tree["root"]["_ref"], "Capacity": 5}})
    assert bad["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    assert wsapi.fingerprint() == before
    assert _value(wsapi, top["_ref"], "ChildrenPlannedVelocity") == 6.0
