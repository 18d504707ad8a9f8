"""Upstream pyral 1.7.0 lazy loading against the emulator: shells hydrate on first attribute
access, collections/nested references/RevisionHistory load on demand, getCollection(url)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.upstream


@pytest.fixture(scope="module")
def seeded(wsapi):
    ws = wsapi.workspace()
    sample = wsapi.project("Sample Project")
    wsapi.create("Project", {"Name": "Second Project", "Workspace": ws["_ref"]})
    admin = wsapi.query("user", fetch="ObjectID", query=f'(UserName = "{wsapi.emu.admin_user}")')[0]
    feature = wsapi.create("PortfolioItem/Feature", {"Name": "Lazy feature", "Project": sample["_ref"]})
    story = wsapi.create("HierarchicalRequirement", {
        "Name": "Lazy story", "Description": "loaded later", "PlanEstimate": 5, "ScheduleState": "In-Progress",
        "Owner": admin["_ref"], "Project": sample["_ref"], "PortfolioItem": feature["_ref"]})
    sibling = wsapi.create("HierarchicalRequirement", {"Name": "Sibling story", "Project": sample["_ref"],
                                                       "PortfolioItem": feature["_ref"]})
    for name, state in [("Write tests", "Defined"), ("Fix bugs", "In-Progress"), ("Ship it", "Completed")]:
        wsapi.create("Task", {"Name": name, "State": state, "WorkProduct": story["_ref"], "Project": sample["_ref"]})
    defect = wsapi.create("Defect", {"Name": "Revisited defect", "State": "Submitted", "Project": sample["_ref"]})
    wsapi.update(defect["_ref"], {"State": "Open"})
    wsapi.update(defect["_ref"], {"Priority": "High Attention"})
    return {"ws_oid": ws["ObjectID"], "story": story["FormattedID"], "bare_story": sibling["FormattedID"],
            "stories": sorted([story["FormattedID"], sibling["FormattedID"]]), "defect": defect["FormattedID"],
            "feature": feature["FormattedID"]}


@pytest.fixture(scope="module")
def result(drive, seeded):
    return drive("lazy", data=seeded)


def test_shell_hydrates_on_first_attribute_access(result):
    out = result["shell_hydrates_on_access"]
    assert out["before"] is False
    assert out["name"] == "Lazy story"
    assert out["state"] == "In-Progress"
    assert out["after"] is True
    assert out["description"] == "loaded later"
    assert out["estimate"] == 5


def test_collection_attribute_loads_tasks(result, seeded):
    out = result["collection_attribute"]
    assert out["classes"] == ["Task"]
    assert out["names"] == ["Fix bugs", "Ship it", "Write tests"]
    assert out["work_products"] == [seeded["story"]]
    assert out["states"] == ["Completed", "Defined", "In-Progress"]


def test_fetched_collection_and_empty_collections(result):
    out = result["fetched_collection"]
    assert out["hydrated"] is True
    assert out["tasks"] == ["Fix bugs", "Ship it", "Write tests"]
    assert out["task_class"] == "Task"
    assert result["empty_collection"] == {"tasks": [], "defects": []}


def test_nested_references_hydrate(result, seeded):
    out = result["nested_references"]
    assert out["project"] == "Sample Project"
    assert out["owner"] == "Emulator Admin"
    assert out["owner_default_ws"] == "Default Workspace"
    assert out["workspace"] == "Default Workspace"
    assert out["feature_class"] == "PortfolioItem"
    assert out["feature_type_path"] == "PortfolioItem/Feature"
    assert out["feature_fid"] == seeded["feature"]
    assert out["feature_stories"] == seeded["stories"]


def test_revision_history(result):
    out = result["revision_history"]
    assert out["history_class"] == "RevisionHistory"
    assert out["count"] >= 3
    assert out["last_number"] == 0
    assert out["numbers"] == sorted(out["numbers"], reverse=True)
    assert out["last_description"]
    assert out["last_hydrated"] is True
    assert any("Open" in d for d in out["descriptions"])
    assert "High Attention" in " ".join(out["descriptions"])
    assert out["info"]


def test_get_collection_by_url(result):
    out = result["get_collection_url"]
    assert out["response"] == "RallyRESTResponse"
    assert out["classes"] == ["Project"]
    assert out["names"] == ["Sample Project", "Second Project"]
    assert out["details"] is True


def test_allowed_values_collection(result):
    assert set(result["allowed_values_collection"]) >= {"Crash/Data Loss", "Major Problem", "Minor Problem",
                                                          "Cosmetic"}
