"""Today's WSAPI (the 2025 OpenAPI description) over HTTP: the types added since the 2015 capture,
their collections, attributes added to known types, and ``POST <type>/<oid>/copy``.

Sources: Rally's 2025 OpenAPI description (types, operations, read-only flags; derived into
``data/rally_openapi.json``); KB-102900 (a copy is validated like a create); the emulator's
choices are in docs/emulator.md ("Conformance with Rally's type descriptions").
"""

from __future__ import annotations

import json
import time
from importlib import resources

from wsapi_client import API, Wsapi, oid_of

from pyral.emulator import catalog_today
from pyral.emulator.catalog import catalog


def test_every_query_and_copy_operation_of_the_description_is_routed(wsapi: Wsapi) -> None:
    """Each type the description queries answers a QueryResult here; its copy operations are routed."""
    facts = json.loads(resources.files("pyral.emulator").joinpath("data/rally_openapi.json").read_text())
    skipped = {"BusinessInitiative", "Investment"}  # a customer's portfolio levels (docs/emulator.md)
    refused = {}
    for t in facts["types"]:
        if "query" in t["Operations"] and t["ElementName"] not in skipped:
            (key, inner), = wsapi.get(t["Path"], pagesize=1).items()
            if inner["Errors"] or (key != "QueryResult" and t["Path"] not in ("user", "subscription")):
                refused[t["Path"]] = (key, inner["Errors"])  # /user, /subscription: the caller's own
    assert not refused
    facts = json.loads(resources.files("pyral.emulator").joinpath("data/rally_openapi.json").read_text())
    copies = {t["ElementName"] for t in facts["types"] if "copy" in t["Operations"]}
    assert len(copies) == 17  # the description's 17 <type>/<oid>/copy operations
    # Routed: all but the customer's own portfolio levels (every level we know copies) and User.
    assert catalog_today.copyable_types() == copies - {"BusinessInitiative", "Investment"}


def test_a_risk_is_a_schedulable_artifact_with_its_own_ids(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "Exposed story"})
    risk = wsapi.create("risk", {"Name": "Vendor may slip", "Probability": "3 - Medium",
                                 "WorkItemsAffected": [story["_ref"]]})
    assert risk["FormattedID"] == "RI1" and risk["ScheduleState"] == "Defined"
    assert risk["WorkItemsAffected"]["Count"] == 1
    assert wsapi.read(story["_ref"], fetch="Risks")["Risks"]["Count"] == 1
    arts = wsapi.rows("artifact", query='(Name = "Vendor may slip")', fetch="FormattedID")
    assert [a["_type"] for a in arts] == ["Risk"]
    bad = wsapi.create_raw("risk", {"Risk": {"Name": "Bad", "ScheduleState": "Sideways"}})
    assert bad["Errors"] == ["Validation error: Sideways is an invalid value for Schedule State. Schedule State is "
                             "invalid.  Valid values are: Defined, In-Progress, Completed, Accepted"]


def test_objectives_own_key_results_and_their_values(wsapi: Wsapi) -> None:
    objective = wsapi.create("objective", {"Name": "Grow", "StartDate": "2026-01-01T00:00:00.000Z",
                                           "TargetDate": "2026-06-30T00:00:00.000Z"})
    assert objective["FormattedID"] == "O1"
    kr = wsapi.create("keyresult", {"Name": "Revenue", "Objective": objective["_ref"], "TargetValue": 10.0})
    wsapi.create("keyresultactualvalue", {"KeyResult": kr["_ref"], "Value": 4.0,
                                          "ValueDate": "2026-02-01T00:00:00.000Z"})
    assert wsapi.read(objective["_ref"], fetch="KeyResults")["KeyResults"]["Count"] == 1
    assert wsapi.read(kr["_ref"], fetch="KeyResultActualValues")["KeyResultActualValues"]["Count"] == 1
    missing = wsapi.create_raw("objective", {"Objective": {"Name": "No dates"}})
    assert missing["Errors"], "StartDate and TargetDate are required (non-nullable in the description)"


def test_attributes_added_since_2015(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    it = wsapi.create("iteration", {"Name": "S1", "StartDate": "2026-01-05T00:00:00.000Z",
                                    "EndDate": "2026-01-16T00:00:00.000Z", "Project": project["_ref"]})
    first = it["LastUpdateDate"]
    assert first and it["CascadedToChildren"] is False and it["WorkProducts"]["Count"] == 0
    time.sleep(0.002)  # LastUpdateDate has millisecond resolution: the update must land a tick later
    wsapi.update(it["_ref"], {"Theme": "Checkout"})
    assert wsapi.read(it["_ref"])["LastUpdateDate"] > first
    story = wsapi.create("hierarchicalrequirement", {"Name": "In S1", "Iteration": it["_ref"]})
    assert wsapi.read(it["_ref"], fetch="WorkProducts")["WorkProducts"]["Count"] == 1
    assert wsapi.read(project["_ref"], fetch="LastUpdatedDate")["LastUpdatedDate"]
    typedef = wsapi.rows("typedefinition", query='(ElementName = "TestSet")', fetch="HierarchyConfigurableType")
    assert typedef[0]["HierarchyConfigurableType"] is False
    testset = wsapi.read(wsapi.create("testset", {"Name": "Regression"})["_ref"])
    assert "TestCaseStatus" in testset and "DefectStatus" in testset
    wsapi.update(story["_ref"], {"Iteration": None})
    assert wsapi.read(it["_ref"], fetch="WorkProducts")["WorkProducts"]["Count"] == 0


def test_tag_usage_and_permission_scopes_are_read_from_the_store(wsapi: Wsapi) -> None:
    tag = wsapi.create("tag", {"Name": "hot"})
    for i in range(2):
        wsapi.create("defect", {"Name": f"Tagged {i}", "Tags": [tag["_ref"]]})
    assert wsapi.read(tag["_ref"])["UsageCount"] == 2
    perm = wsapi.rows("workspacepermission", fetch="Workspace,User")[0]
    assert perm["Workspace"]["_ref"].endswith(f"/workspace/{wsapi.default_workspace()['ObjectID']}")


def test_copy_makes_a_validated_create_from_the_source(wsapi: Wsapi) -> None:
    tag = wsapi.create("tag", {"Name": "copied"})
    story = wsapi.create("hierarchicalrequirement", {"Name": "Original", "Description": "<b>text</b>",
                                                     "PlanEstimate": 3, "Tags": [tag["_ref"]]})
    wsapi.create("task", {"Name": "Not copied", "WorkProduct": story["_ref"]})
    r = wsapi.request("POST", f"hierarchicalrequirement/{oid_of(story['_ref'])}/copy",
                      params={"fetch": "Name,FormattedID,Description,PlanEstimate,Tags,Tasks"})
    body = r.json()
    assert list(body) == ["HierarchicalRequirement"], body
    copy = body["HierarchicalRequirement"]
    assert copy["Errors"] == [] and copy["Name"] == "[Copy of] Original"
    assert copy["FormattedID"] != story["FormattedID"] and copy["Description"] == "<b>text</b>"
    assert copy["PlanEstimate"] == 3 and copy["Tags"]["Count"] == 1 and copy["Tasks"]["Count"] == 0
    assert wsapi.read(story["_ref"])["Name"] == "Original"
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    fcopy = wsapi.request("POST", f"portfolioitem/feature/{oid_of(feature['_ref'])}/copy").json()
    assert fcopy["PortfolioItem/Feature" if "PortfolioItem/Feature" in fcopy else "Feature"]["Name"] == "[Copy of] F"


def test_copy_refuses_what_cannot_be_copied_and_writes_nothing(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    it = wsapi.create("iteration", {"Name": "S", "StartDate": "2026-01-05T00:00:00.000Z",
                                    "EndDate": "2026-01-16T00:00:00.000Z", "Project": project["_ref"]})
    user = wsapi.rows("user", query='(UserName != "nobody")', fetch="ObjectID")[0]
    before = wsapi.fingerprint()
    for path, error in ((f"iteration/{oid_of(it['_ref'])}/copy", "Cannot copy an object of type Iteration"),
                        (f"user/{user['ObjectID']}/copy", "Cannot copy an object of type User"),
                        ("defect/999999999/copy", "Cannot find object to read")):
        answer = wsapi.request("POST", path).json()
        assert answer["OperationResult"]["Errors"] == [error], (path, answer)
    assert wsapi.fingerprint() == before
    # GET on .../copy is not a copy: it is an (unknown) collection read.
    got = wsapi.request("GET", f"{API}/iteration/{oid_of(it['_ref'])}/copy").json()
    assert "QueryResult" in got and got["QueryResult"]["Errors"]
    assert wsapi.fingerprint() == before


def test_catalog_types_added_from_the_description_know_their_parents() -> None:
    cat = catalog()
    risk = cat.get("risk")
    assert risk is not None and cat.is_a(risk, "SchedulableArtifact") and risk.id_prefix == "RI"
    flow_state = cat.get("FlowState")  # emulated (docs/emulator.md): the description does not replace it
    assert flow_state is not None and flow_state.name == "FlowState" and flow_state.type_path == "FlowState"
    assert cat.get("BusinessInitiative") is None  # a customer's portfolio level, not Rally's


def test_timebox_rollups_sum_the_scheduled_work(wsapi: Wsapi) -> None:
    """Iteration/Release PlanEstimate and task totals are sums over their work (0.0 when empty)."""
    project = wsapi.default_project()
    release = wsapi.create("release", {"Name": "R1", "ReleaseStartDate": "2026-01-05T00:00:00.000Z",
                                       "ReleaseDate": "2026-03-27T00:00:00.000Z", "Project": project["_ref"]})
    empty = wsapi.read(release["_ref"])
    assert (empty["PlanEstimate"], empty["Accepted"], empty["TaskEstimateTotal"]) == (0.0, 0.0, 0.0)
    story = wsapi.create("hierarchicalrequirement", {"Name": "A", "PlanEstimate": 3, "Release": release["_ref"]})
    wsapi.create("defect", {"Name": "B", "PlanEstimate": 2, "Release": release["_ref"], "ScheduleState": "Accepted"})
    wsapi.create("task", {"Name": "T", "WorkProduct": story["_ref"], "Estimate": 4, "ToDo": 1})
    got = wsapi.read(release["_ref"], fetch="PlanEstimate,Accepted,TaskEstimateTotal,TaskRemainingTotal")
    assert (got["PlanEstimate"], got["Accepted"], got["TaskEstimateTotal"], got["TaskRemainingTotal"]) == (
        5.0, 2.0, 4.0, 1.0)
    wsapi.delete(story["_ref"])
    assert wsapi.read(release["_ref"], fetch="PlanEstimate")["PlanEstimate"] == 2.0
