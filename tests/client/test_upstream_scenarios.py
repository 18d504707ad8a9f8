"""More upstream §11 scenarios (convenience, portfolio items, recycle bin, update context) and
request-count checks for the §10 performance fixes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pyral import Rally
from pyral.errors import RallyContextError, RallyRESTAPIError
from pyral.model.schema import typedef


def test_convenience_basics(rally: Rally) -> None:
    ws = rally.getWorkspace()
    assert int(ws.oid) > 10000 and len(ws.Name) > 6 and ws.ref.startswith("workspace/")
    resp = rally.get("Project", fetch=False, limit=10)
    assert resp.status_code == 200 and resp.errors == [] and resp.warnings == [] and resp.resultCount > 0
    assert resp.next().oid > 0
    assert typedef(rally, "Defect").ElementName == "Defect"
    assert ws.State == "Open"  # a shell: lazy-loads the workspace


def test_first_create_costs_schema_plus_create_only(connect_both: Any) -> None:
    rally, sent = connect_both()
    sent.reset()
    rally.create("Defect", {"Name": "first", "Severity": "Cosmetic", "Priority": "Normal"})
    assert [line.split("?")[0] for line in sent.lines()] == [
        f"GET workspace/{rally.getWorkspace().oid}", "PUT defect/create"]  # no AllowedValues GETs


def test_epic_under_feature_lazy_chain(rally: Rally) -> None:
    feature = rally.create("Feature", {"Name": "Parent feature"})
    got = rally.get("Feature", query=f"FormattedID = {feature.FormattedID}", workspace=rally.getWorkspace().Name,
                    project=None, instance=True)
    epic = rally.put("Epic", {"Workspace": rally.getWorkspace().ref, "Project": rally.getProject().ref,
                              "Name": "Ep", "Description": "d", "Parent": got._ref})
    assert epic.Name == "Ep" and epic.Parent.Project.Name == "Sample Project"
    assert epic.Parent.Name == "Parent feature"
    assert rally.getAttachmentNames(feature.FormattedID) == []  # F-prefixed FormattedIDs resolve
    assert rally.delete("Epic", epic.FormattedID) is True


def test_recycle_bin(both: Any) -> None:
    rally = both
    defect = rally.create("Defect", {"Name": "Gone but not forgotten with the wind"})
    assert rally.delete("Defect", defect.oid)
    entries = rally.get("RecycleBinEntry", fetch="ObjectID,ID,Name",
                        query='Name = "Gone but not forgotten with the wind"', limit=100)
    assert entries.resultCount > 0
    with pytest.raises(RallyRESTAPIError, match="update operation unsupported for RecycleBinEntry"):
        rally.update("RecycleBinEntry", {"ObjectID": 1, "Name": "x"})


def test_update_with_project_kwarg(both: Any) -> None:
    rally = both
    other = rally.create("Project", {"Name": "Bristol Bay Barons"})
    defect = rally.create("Defect", {"Name": "d", "Project": other.ref})
    with pytest.raises(RallyContextError) as exc:
        rally.update("Defect", {"FormattedID": defect.FormattedID, "State": "Fixed"}, project="Aurora Borealis")
    assert "Aurora Borealis" in str(exc.value) and "not accessible with current credentials" in str(exc.value)
    fixed = rally.update("Defect", {"FormattedID": defect.FormattedID, "State": "Fixed"},
                         project="Bristol Bay Barons")
    assert fixed.State == "Fixed"
    assert rally.update("Defect", {"FormattedID": defect.FormattedID, "State": "Open"}, project=None).State == "Open"


def test_batch_values_are_not_type_checked_client_side(connect_both: Any) -> None:
    rally, sent = connect_both()
    done = rally.createMultiple("Story", [{"Name": "typed", "PlanEstimate": 3, "Project": rally.getProject().ref,
                                          "Ready": True, "Notes": "n"}])
    assert len(done) == 1 and not done.failures
    batch = next(r for r in sent.sent if r.url.path.endswith("/batch"))
    entry = json.loads(batch.content)["Batch"][0]["Entry"]
    assert entry["Path"] == "/hierarchicalrequirement/create" and entry["Method"] == "PUT"
    assert batch.url.params["workspace"].startswith("/workspace/")


def test_children_lists_are_greased(connect_both: Any) -> None:
    rally, sent = connect_both()
    parent = rally.create("Story", {"Name": "parent"})
    child = rally.create("Story", {"Name": "child"})
    sent.reset()
    rally.update("Story", {"ObjectID": parent.oid, "Children": [child]})  # read-only: Rally ignores it
    body = json.loads(next(r for r in sent.sent if r.method == "POST").content)
    assert body == {"HierarchicalRequirement": {"Children": [{"_ref": child.ref}]}}


def test_test_case_result_attachment(both: Any) -> None:
    rally = both
    tc = rally.create("TestCase", {"Name": "tc", "Type": "Functional"})
    tcr = rally.create("TestCaseResult", {"TestCase": tc.ref, "Build": "27", "Verdict": "Pass",
                                          "Date": "2024-05-01T10:00:00.000Z"})
    text = b"Addendum\nline 2\n"
    att = rally.addAttachment(tcr, "Addendum.txt", content=text)
    assert att.Name == "Addendum.txt"
    found = list(rally.get("TestCaseResult", query=["Build = 27", f"TestCase = {tc.ref}"]))
    assert len(found) == 1
    got = rally.getAttachment(tcr, "Addendum.txt")
    assert got.ContentType == "text/plain" and got.Content == text
    assert tcr.Attachments[0].Content == text  # the cached collection item was filled in
    rally.deleteAttachment(tcr, "Addendum.txt")
    assert rally.delete("TestCaseResult", tcr) and rally.delete("TestCase", tc)
