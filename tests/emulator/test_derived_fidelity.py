"""Derived values and attachment rules real clients found missing (issue 9).

* ``HierarchicalRequirement.Feature`` is read-only and derived from ``PortfolioItem`` (SPEC:
  absent from the mutation; wsapi-more.md §7 "Derived, read-only attributes"): the lowest-level
  PortfolioItem above the story, so child stories inherit their parent story's Feature.
* ``TestSet.TestCaseCount``/``PassingTestCaseCount``/``TestCaseStatus`` are read-only rollups
  (SPEC, wsapi-more.md §7 TestSet).
* Attachment: ``User`` is writable and not required (SPEC); production integrations leave it out
  and Rally fills in the caller; deleting an Attachment deletes its AttachmentContent
  (wsapi-more.md §7 Attachment, emulator choice recorded in docs/emulator.md).
"""

from __future__ import annotations

import base64

from wsapi_client import Wsapi, short


def test_story_feature_follows_portfolio_item_and_parent(wsapi: Wsapi) -> None:
    f1 = wsapi.create("portfolioitem/feature", {"Name": "F1"})
    f2 = wsapi.create("portfolioitem/feature", {"Name": "F2"})
    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "PortfolioItem": f1["_ref"]})
    assert story["Feature"]["_ref"] == f1["_ref"] and story["Feature"]["_type"] == "PortfolioItem/Feature"
    plain = wsapi.create("hierarchicalrequirement", {"Name": "plain"})
    assert plain["Feature"] is None
    # a story added to a feature later gets it
    assert wsapi.update(plain["_ref"], {"PortfolioItem": f2["_ref"]})["Feature"]["_ref"] == f2["_ref"]
    # child and grandchild stories inherit their parent's Feature, and follow its changes
    child = wsapi.create("hierarchicalrequirement", {"Name": "c", "Parent": story["_ref"]})
    grandchild = wsapi.create("hierarchicalrequirement", {"Name": "g", "Parent": child["_ref"]})
    assert (child["Feature"]["_ref"], grandchild["Feature"]["_ref"]) == (f1["_ref"], f1["_ref"])
    wsapi.update(story["_ref"], {"PortfolioItem": f2["_ref"]})
    assert wsapi.read(grandchild["_ref"], fetch="Feature")["Feature"]["_ref"] == f2["_ref"]
    wsapi.update(story["_ref"], {"PortfolioItem": None})
    assert wsapi.read(grandchild["_ref"], fetch="Feature")["Feature"] is None
    # queryable like any reference
    assert [r["Name"] for r in wsapi.rows("hierarchicalrequirement", query=f"(Feature = {short(f2['_ref'])})",
                                           fetch="Name")] == ["plain"]


def test_feature_is_read_only(wsapi: Wsapi) -> None:
    f1 = wsapi.create("portfolioitem/feature", {"Name": "F1"})
    result = wsapi.create_raw("hierarchicalrequirement", {"HierarchicalRequirement": {"Name": "s",
                                                                                      "Feature": f1["_ref"]}})
    assert result["Warnings"] == ["Ignored JSON element HierarchicalRequirement.Feature during processing "
                                  "of this request."]
    assert result["Object"]["Feature"] is None


def test_test_set_counts(wsapi: Wsapi) -> None:
    tcs = [wsapi.create("testcase", {"Name": f"tc{i}"}) for i in range(3)]
    test_set = wsapi.create("testset", {"Name": "ts"})
    assert (test_set["TestCaseCount"], test_set["PassingTestCaseCount"], test_set["TestCaseStatus"]) == (0, 0, "NONE")
    add = wsapi.request("POST", f"{test_set['_ref']}/TestCases/add",
                        json={"CollectionItems": [{"_ref": t["_ref"]} for t in tcs[:2]]}).json()
    assert add["OperationResult"]["Errors"] == []
    ts = wsapi.read(test_set["_ref"], fetch="TestCaseCount,PassingTestCaseCount,TestCaseStatus")
    assert (ts["TestCaseCount"], ts["PassingTestCaseCount"], ts["TestCaseStatus"]) == (2, 0, "NONE_RUN")
    wsapi.create("testcaseresult", {"TestCase": tcs[0]["_ref"], "TestSet": test_set["_ref"], "Build": "1",
                                    "Date": "2024-01-01T00:00:00.000Z", "Verdict": "Pass"})
    ts = wsapi.read(test_set["_ref"], fetch="TestCaseCount,PassingTestCaseCount,TestCaseStatus")
    assert (ts["TestCaseCount"], ts["PassingTestCaseCount"], ts["TestCaseStatus"]) == (2, 1, "SOME_RUN_ALL_PASSING")
    # replacing the collection on update
    wsapi.update(test_set["_ref"], {"TestCases": [t["_ref"] for t in tcs]})
    ts = wsapi.read(test_set["_ref"], fetch="TestCaseCount,PassingTestCaseCount")
    assert (ts["TestCaseCount"], ts["PassingTestCaseCount"]) == (3, 1)
    wsapi.request("POST", f"{test_set['_ref']}/TestCases/remove", json={"CollectionItems": [{"_ref": tcs[0]["_ref"]}]})
    ts = wsapi.read(test_set["_ref"], fetch="TestCaseCount,PassingTestCaseCount,TestCaseStatus")
    assert (ts["TestCaseCount"], ts["PassingTestCaseCount"], ts["TestCaseStatus"]) == (2, 0, "NONE_RUN")
    wsapi.delete(tcs[1]["_ref"])
    assert wsapi.read(test_set["_ref"], fetch="TestCaseCount")["TestCaseCount"] == 1


def _attach(wsapi: Wsapi, artifact: str, data: bytes = b"hello") -> tuple[dict, dict]:
    content = wsapi.create("attachmentcontent", {"Content": base64.b64encode(data).decode()})
    attachment = wsapi.create("attachment", {"Name": "a.txt", "ContentType": "text/plain", "Artifact": artifact,
                                             "Content": content["_ref"]})
    return content, attachment


def test_attachment_without_user_gets_the_caller(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    _, attachment = _attach(wsapi, story["_ref"])
    me = wsapi.read("user", fetch="ObjectID")
    assert attachment["User"]["_ref"].endswith(f"/user/{me['ObjectID']}")
    assert attachment["Size"] == 5


def test_deleting_an_attachment_deletes_its_content(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    content, attachment = _attach(wsapi, story["_ref"])
    assert wsapi.read(content["_ref"])["Content"] == base64.b64encode(b"hello").decode()
    assert wsapi.delete(attachment["_ref"])["Errors"] == []
    gone = wsapi.get(content["_ref"])
    assert gone["OperationResult"]["Errors"] == ["Cannot find object to read"]
    assert wsapi.read(story["_ref"], fetch="Attachments")["Attachments"]["Count"] == 0


def test_attachment_bad_input_writes_nothing(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    before = wsapi.fingerprint()
    result = wsapi.create_raw("attachment", {"Attachment": {"Name": "a", "ContentType": "text/plain",
                                                            "Artifact": story["_ref"], "Content": "/attachmentcontent/1"}})
    assert result["Errors"] and wsapi.fingerprint() == before


def test_iteration_and_release_rollups(wsapi: Wsapi) -> None:
    """Iteration/Release PlanEstimate and Task*Total are read-only rollups (SPEC; 0.0 when empty,
    wsapi-more.md §7 "rollups -> 0.0"); tasks share their work product's Iteration and Release."""
    project = wsapi.default_project()
    it1 = wsapi.create("iteration", {"Name": "I1", "StartDate": "2024-01-01", "EndDate": "2024-01-14",
                                     "Project": project["_ref"]})
    it2 = wsapi.create("iteration", {"Name": "I2", "StartDate": "2024-01-15", "EndDate": "2024-01-28",
                                     "Project": project["_ref"]})
    rel = wsapi.create("release", {"Name": "R1", "ReleaseStartDate": "2024-01-01", "ReleaseDate": "2024-03-01",
                                   "Project": project["_ref"]})
    assert (it1["PlanEstimate"], it1["TaskEstimateTotal"], rel["Accepted"]) == (0.0, 0.0, 0.0)
    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "PlanEstimate": 5, "Iteration": it1["_ref"],
                                                     "Release": rel["_ref"]})
    wsapi.create("defect", {"Name": "d", "PlanEstimate": 2, "Iteration": it1["_ref"], "ScheduleState": "Accepted",
                            "Release": rel["_ref"]})
    task = wsapi.create("task", {"Name": "t", "WorkProduct": story["_ref"], "Estimate": 4, "ToDo": 3, "Actuals": 1})
    assert task["Iteration"]["_ref"] == it1["_ref"]
    it = wsapi.read(it1["_ref"], fetch="PlanEstimate,TaskEstimateTotal,TaskRemainingTotal,TaskActualTotal")
    assert (it["PlanEstimate"], it["TaskEstimateTotal"], it["TaskRemainingTotal"], it["TaskActualTotal"]) == \
        (7.0, 4.0, 3.0, 1.0)
    assert wsapi.read(rel["_ref"], fetch="PlanEstimate,Accepted")["Accepted"] == 2.0
    # moving the story moves its tasks and both iterations' totals
    wsapi.update(story["_ref"], {"Iteration": it2["_ref"]})
    assert wsapi.read(task["_ref"], fetch="Iteration")["Iteration"]["_ref"] == it2["_ref"]
    old = wsapi.read(it1["_ref"], fetch="PlanEstimate,TaskEstimateTotal")
    new = wsapi.read(it2["_ref"], fetch="PlanEstimate,TaskEstimateTotal")
    assert (old["PlanEstimate"], old["TaskEstimateTotal"], new["PlanEstimate"], new["TaskEstimateTotal"]) == \
        (2.0, 0.0, 5.0, 4.0)
    wsapi.update(task["_ref"], {"ToDo": 1})
    assert wsapi.read(it2["_ref"], fetch="TaskRemainingTotal")["TaskRemainingTotal"] == 1.0


def test_timebox_rollups_follow_deletes_and_restores(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    it = wsapi.create("iteration", {"Name": "I", "StartDate": "2024-01-01", "EndDate": "2024-01-14",
                                    "Project": project["_ref"]})
    keep = wsapi.create("hierarchicalrequirement", {"Name": "keep", "PlanEstimate": 1, "Iteration": it["_ref"]})
    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "PlanEstimate": 3, "Iteration": it["_ref"]})
    wsapi.create("task", {"Name": "t", "WorkProduct": story["_ref"], "Estimate": 2})
    wsapi.create("task", {"Name": "k", "WorkProduct": keep["_ref"], "Estimate": 0.5})
    fields = "PlanEstimate,TaskEstimateTotal"
    assert [wsapi.read(it["_ref"], fetch=fields)[k] for k in fields.split(",")] == [4.0, 2.5]
    wsapi.delete(story["_ref"])
    assert [wsapi.read(it["_ref"], fetch=fields)[k] for k in fields.split(",")] == [1.0, 0.5]
    entry = wsapi.rows("recyclebinentry", fetch="ObjectID")[0]
    assert wsapi.request("POST", f"/emulator/recyclebin/{entry['ObjectID']}/restore").status_code == 200
    assert [wsapi.read(it["_ref"], fetch=fields)[k] for k in fields.split(",")] == [4.0, 2.5]
