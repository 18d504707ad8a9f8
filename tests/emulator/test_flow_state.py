"""FlowState: the type, the flow states created with each project, and FlowState on artifacts.

Sources (../shared/docs/wsapi-more.md §1): SPEC ``FlowState``/``FlowStateMutation`` for the
attributes; GO (a real 2025 Defect create) for a new artifact's FlowState named after its
ScheduleState and ``FlowStateChangedDate`` equal to ``CreationDate``; KB-145540 for the ignored
``Project`` and the ordering rule with its exact text; kanban clients query flow states by name
and project and set them on tickets (issue 9).
"""

from __future__ import annotations

import pytest
from wsapi_client import Wsapi, oid_of, short

STATES = ["Defined", "In-Progress", "Completed", "Accepted"]


def _project_states(wsapi: Wsapi, project_ref: str) -> list[dict]:
    return wsapi.rows("flowstate", query=f"(Project = {short(project_ref)})", order="OrderIndex",
                      fetch="Name,OrderIndex,ScheduleStateMapping,Project", pagesize=200)


def test_every_project_has_one_flow_state_per_schedule_state(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    states = _project_states(wsapi, project["_ref"])
    assert [(s["Name"], s["OrderIndex"], s["ScheduleStateMapping"]) for s in states] == \
        [(n, i, n) for i, n in enumerate(STATES, start=1)]
    assert {s["Project"]["_ref"] for s in states} == {project["_ref"]}
    new = wsapi.create("project", {"Name": "Team B"})
    assert [s["Name"] for s in _project_states(wsapi, new["_ref"])] == STATES


def test_flow_state_type_is_known_and_shaped_as_rally(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    # real client query: by name and project name
    rows = wsapi.rows("FlowState", query=f'((Name = "Defined") AND (Project.Name = "{project["Name"]}"))',
                      fetch="true")
    assert len(rows) == 1
    fs = rows[0]
    assert fs["_type"] == "FlowState" and fs["_refObjectName"] == "Defined"
    for key in ("Name", "OrderIndex", "ScheduleStateMapping", "WIPLimit", "AgeThreshold", "ExitPolicy",
                "NonValueAdd", "Project", "RevisionHistory", "Workspace", "Subscription", "ObjectID",
                "ObjectUUID", "VersionId", "CreationDate"):
        assert key in fs, key
    assert (fs["WIPLimit"], fs["AgeThreshold"], fs["ExitPolicy"]) == (None, None, None)
    typedef = wsapi.rows("typedefinition", query='(TypePath = "FlowState")', fetch="ElementName,Creatable")
    assert typedef == [typedef[0]] and typedef[0]["Creatable"] is True


def test_new_artifacts_get_the_flow_state_of_their_schedule_state(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    by_name = {s["Name"]: s["_ref"] for s in _project_states(wsapi, project["_ref"])}
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    assert story["FlowState"]["_ref"] == by_name["Defined"]
    assert story["FlowState"]["_type"] == "FlowState" and story["FlowState"]["_refObjectName"] == "Defined"
    assert story["FlowStateChangedDate"] == story["CreationDate"]
    for type_path, fields in (("defect", {"ScheduleState": "Completed"}), ("testset", {}), ("defectsuite", {})):
        obj = wsapi.create(type_path, {"Name": "x", **fields})
        assert obj["FlowState"]["_refObjectName"] == fields.get("ScheduleState", "Defined"), type_path


def test_setting_flow_state_sets_schedule_state_and_back(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    by_name = {s["Name"]: s["_ref"] for s in _project_states(wsapi, project["_ref"])}
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    moved = wsapi.update(story["_ref"], {"FlowState": short(by_name["Completed"])})
    assert moved["ScheduleState"] == "Completed" and moved["InProgressDate"]
    assert moved["FlowStateChangedDate"] >= story["FlowStateChangedDate"]
    back = wsapi.update(story["_ref"], {"ScheduleState": "In-Progress"})
    assert back["FlowState"]["_ref"] == by_name["In-Progress"]
    # create with a FlowState: ScheduleState follows it
    made = wsapi.create("defect", {"Name": "d", "FlowState": by_name["Accepted"]})
    assert made["ScheduleState"] == "Accepted" and made["AcceptedDate"]
    # dotted queries through FlowState (a pyral script's filter)
    rows = wsapi.rows("hierarchicalrequirement", query='(FlowState.ScheduleStateMapping = "In-Progress")',
                      fetch="Name")
    assert [r["Name"] for r in rows] == ["s"]


def test_moving_an_artifact_to_another_project_moves_its_flow_state(wsapi: Wsapi) -> None:
    other = wsapi.create("project", {"Name": "Other"})
    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "ScheduleState": "Completed"})
    moved = wsapi.update(story["_ref"], {"Project": other["_ref"]})
    wanted = [s["_ref"] for s in _project_states(wsapi, other["_ref"]) if s["Name"] == "Completed"]
    assert moved["FlowState"]["_ref"] == wanted[0]


def test_flow_state_of_another_project_is_refused(wsapi: Wsapi) -> None:
    other = wsapi.create("project", {"Name": "Other"})
    foreign = _project_states(wsapi, other["_ref"])[0]["_ref"]
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    before = wsapi.fingerprint()
    result = wsapi.update_raw(story["_ref"], {"HierarchicalRequirement": {"FlowState": foreign}})
    assert result["Errors"] == ["Validation error: HierarchicalRequirement.FlowState must be a flow state of "
                                "the HierarchicalRequirement's project"]
    bad = wsapi.update_raw(story["_ref"], {"HierarchicalRequirement": {"FlowState": story["_ref"]}})
    assert bad["Errors"]
    assert wsapi.fingerprint() == before


def test_create_flow_state_ignores_project_and_keeps_the_board_ordered(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    other = wsapi.create("project", {"Name": "Other"})
    before = wsapi.fingerprint()
    # no OrderIndex: the new column goes last, after Accepted -> Rally's exact text
    refused = wsapi.create_raw("flowstate", {"flowstate": {"Name": "Review", "ScheduleStateMapping": "In-Progress"}})
    assert refused["Errors"] == ["Validation error: FlowState.ScheduleStateMappingMapped schedule state must be "
                                 "greater than or equal to Accepted."]
    assert wsapi.fingerprint() == before
    # inside the In-Progress region: succeeds, the columns from there shift right; Project is ignored
    result = wsapi.create_raw("flowstate", {"flowstate": {"Name": "Review", "ScheduleStateMapping": "In-Progress",
                                                          "OrderIndex": 3, "Project": other["_ref"]}},
                              project=short(project["_ref"]))
    assert result["Errors"] == []
    assert result["Warnings"] == ["Ignored JSON element flowstate.Project during processing of this request."]
    assert result["Object"]["Project"]["_ref"] == project["_ref"]
    names = [(s["Name"], s["OrderIndex"]) for s in _project_states(wsapi, project["_ref"])]
    assert names == [("Defined", 1), ("In-Progress", 2), ("Review", 3), ("Completed", 4), ("Accepted", 5)]
    assert [s["Name"] for s in _project_states(wsapi, other["_ref"])] == STATES


@pytest.mark.parametrize(("fields", "error"), [
    ({"ScheduleStateMapping": "Accepted"}, "Validation error: FlowState.Name should not be null"),
    ({"Name": "x"}, "Validation error: FlowState.ScheduleStateMapping should not be null"),
    ({"Name": "x", "ScheduleStateMapping": "Idea"}, None),
])
def test_flow_state_bad_input(wsapi: Wsapi, fields: dict, error: str | None) -> None:
    before = wsapi.fingerprint()
    result = wsapi.create_raw("flowstate", {"FlowState": fields})
    assert result["Errors"] and "Object" not in result
    if error:
        assert result["Errors"] == [error]
    assert wsapi.fingerprint() == before


def test_deleting_a_flow_state_moves_its_artifacts(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    extra = wsapi.create("flowstate", {"Name": "Ready", "ScheduleStateMapping": "Defined", "OrderIndex": 1},
                         project=short(project["_ref"]))
    assert extra["OrderIndex"] == 1
    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "FlowState": extra["_ref"]})
    assert story["FlowState"]["_ref"] == extra["_ref"]
    wsapi.delete(extra["_ref"])
    after = wsapi.read(story["_ref"], fetch="FlowState,ScheduleState")
    assert after["FlowState"]["_refObjectName"] == "Defined" and after["ScheduleState"] == "Defined"
    assert oid_of(after["FlowState"]["_ref"]) != oid_of(extra["_ref"])
