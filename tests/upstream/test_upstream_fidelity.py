"""Upstream pyral 1.7.0 against what issue 9's real clients found: FlowState looked up by name and
project and set on a story (kanban tools on pyral), a new TestCase's LastVerdict/LastBuild null
(wsapi-more.md §7), ``create('AttributeDefinition', ...)`` (hydration needs the v2.0 collection
shape of AllowedQueryOperators, else ``KeyError: 'OperatorName'``), and an Attachment created
without User."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.upstream


@pytest.fixture(scope="module")
def result(drive, wsapi, upstream_emulator):
    sample = wsapi.project("Sample Project")
    story = wsapi.create("HierarchicalRequirement", {"Name": "On the board", "Project": sample["_ref"]})
    return drive("fidelity", data={"project": "Sample Project", "story": story["FormattedID"]})


def test_flow_state_lookup_by_name_and_project(result):
    assert result["flow_states_by_name_and_project"] == [["Completed", "Completed", 3, "Sample Project"]]


def test_setting_flow_state_moves_schedule_state(result):
    out = result["set_flow_state_on_a_story"]
    assert out["before"] == ["Defined", "Defined"]
    assert out["after"] == ["Completed", "Completed"] and out["changed_date"] is True


def test_new_test_case_has_null_verdict(result):
    assert result["new_test_case_last_verdict"] == [None, None, ""]


def test_upstream_creates_a_custom_field(result):
    assert result["create_custom_field"] == ["Impact Area", "c_ImpactArea", "STRING", True]


def test_attachment_without_user_gets_the_caller(result, upstream_emulator):
    name, user = result["attachment_user_defaults_to_caller"]
    assert name == "note.txt" and user == upstream_emulator.admin_user
