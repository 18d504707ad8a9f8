"""Create, update, delete and derived values over HTTP, with Rally's exact texts."""

from __future__ import annotations

import time

import pytest
from wsapi_client import API, Wsapi, oid_of, short

OK_DELETE = {"OperationResult": {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "Errors": [], "Warnings": []}}


# -- create ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "wrapper"), [
    ("PUT", "defect/create", "Defect"),
    ("POST", "defect/create", "defect"),
    ("POST", "Defect/create.js", "DEFECT"),
    ("PUT", "defect/create.js", "dEfEcT"),
])
def test_create_put_post_js_and_wrapper_case(wsapi: Wsapi, method: str, path: str, wrapper: str) -> None:
    result = wsapi.create_raw(path, {wrapper: {"Name": "Made"}}, method=method)
    assert result["Errors"] == [] and result["Warnings"] == []
    obj = result["Object"]
    assert obj["_type"] == "Defect" and obj["Name"] == "Made" and obj["_CreatedAt"] == "just now"
    assert obj["_objectVersion"] == obj["VersionId"] == "1"
    assert wsapi.read(obj["_ref"])["Name"] == "Made"


def test_create_defaults_and_formatted_id_sequences(wsapi: Wsapi) -> None:
    s1 = wsapi.create("hierarchicalrequirement", {"Name": "S1"})
    d1 = wsapi.create("defect", {"Name": "D1"})
    d2 = wsapi.create("defect", {"Name": "D2"})
    s2 = wsapi.create("hierarchicalrequirement", {"Name": "S2"})
    t1 = wsapi.create("task", {"Name": "T1", "WorkProduct": s1["_ref"]})
    f1 = wsapi.create("portfolioitem/feature", {"Name": "F1"})
    assert [o["FormattedID"] for o in (s1, s2, d1, d2, t1, f1)] == ["US1", "US2", "DE1", "DE2", "TA1", "F1"]
    assert s1["ScheduleState"] == "Defined" and s1["ScheduleStatePrefix"] == "D"
    assert d1["State"] == "Submitted" and d1["ScheduleState"] == "Defined"
    assert (d1["Priority"], d1["Severity"], d1["Resolution"], d1["Environment"]) == ("None",) * 4
    assert t1["State"] == "Defined"
    # FormattedID is queryable in its prefixed form
    assert [r["Name"] for r in wsapi.rows("defect", query="(FormattedID = DE2)", fetch="Name")] == ["D2"]


def test_required_field_missing(wsapi: Wsapi) -> None:
    before = wsapi.fingerprint()
    for type_path, fields, missing in (("defect", {"Description": "x"}, "Defect.Name"),
                                       ("hierarchicalrequirement", {"Name": ""}, "HierarchicalRequirement.Name"),
                                       ("task", {"Name": "orphan"}, "Task.WorkProduct")):
        result = wsapi.create_raw(type_path, {type_path: fields})
        assert result["Errors"] == [f"Validation error: {missing} should not be null"], result
        assert "Object" not in result
    assert wsapi.fingerprint() == before


def test_unknown_and_read_only_fields_warn(wsapi: Wsapi) -> None:
    result = wsapi.create_raw("defect", {"defect": {"Name": "W", "c_DefectImpactedArea": "x", "Nane": 1}})
    assert result["Errors"] == []
    assert result["Warnings"] == [
        "Ignored JSON element defect.c_DefectImpactedArea during processing of this request.",
        "Ignored JSON element defect.Nane during processing of this request."]
    ref = result["Object"]["_ref"]
    upd = wsapi.update_raw(ref, {"Defect": {"Name": "W2", "CreationDate": "2001-01-01T00:00:00.000Z"}})
    assert upd["Errors"] == []
    assert upd["Warnings"] == ["Ignored JSON element Defect.CreationDate during processing of this request."]
    obj = wsapi.read(ref)
    assert obj["Name"] == "W2" and not obj["CreationDate"].startswith("2001")


def test_invalid_allowed_values_are_refused(wsapi: Wsapi) -> None:
    before = wsapi.fingerprint()
    result = wsapi.create_raw("defect", {"Defect": {"Name": "x", "Severity": "Brutal"}})
    assert len(result["Errors"]) == 1 and "Brutal is an invalid value" in result["Errors"][0]
    assert "Valid values are: " in result["Errors"][0] and "Object" not in result
    assert wsapi.fingerprint() == before
    d = wsapi.create("defect", {"Name": "ok"})
    for fields in ({"State": "Bogus"}, {"ScheduleState": "Nearly"}, {"Name": "changed", "Priority": "Urgent!"}):
        upd = wsapi.update_raw(d["_ref"], {"Defect": fields})
        assert upd["Errors"] and "is an invalid value" in upd["Errors"][0], fields
    after = wsapi.read(d["_ref"])
    assert (after["Name"], after["State"], after["_objectVersion"]) == ("ok", "Submitted", "1")


def test_refs_in_every_form(wsapi: Wsapi) -> None:
    project = wsapi.default_project()
    full = project["_ref"]
    owner = wsapi.get("user")["User"]["_ref"]
    forms = [full, short(full), short(full).lstrip("/"), {"_ref": full}, {"_ref": short(full)},
             full.replace(f"{API}/project/", f"{API}/Project/")]
    for form in forms:
        d = wsapi.create("defect", {"Name": "refs", "Project": form, "Owner": {"_ref": short(owner)}})
        assert d["Project"]["_ref"] == full, form
        assert d["Owner"]["_ref"] == owner
    story = wsapi.create("hierarchicalrequirement", {"Name": "wp"})
    task = wsapi.create("task", {"Name": "t", "WorkProduct": short(story["_ref"]).lstrip("/")})
    assert task["WorkProduct"]["_ref"] == story["_ref"]
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    s = wsapi.create("hierarchicalrequirement", {"Name": "s", "PortfolioItem": short(feature["_ref"])})
    assert s["PortfolioItem"]["_ref"] == feature["_ref"]


@pytest.mark.parametrize("value", ["InfinityDrain", "/project/", "project/abc", "http://x/y", ""])
def test_bad_refs(wsapi: Wsapi, value: str) -> None:
    before = wsapi.fingerprint()
    result = wsapi.create_raw("defect", {"Defect": {"Name": "x", "Owner": value or {"_ref": "nope"}}})
    shown = value or "nope"
    assert result["Errors"] == [f'Cannot parse object reference from "{shown}"'], result
    assert wsapi.fingerprint() == before


def test_refs_to_missing_or_wrong_type_objects(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    before = wsapi.fingerprint()
    for value in ("/user/1", short(story["_ref"]).replace("hierarchicalrequirement", "user"), short(story["_ref"])):
        result = wsapi.create_raw("defect", {"Defect": {"Name": "x", "Owner": value}})
        assert result["Errors"] and "Object" not in result, value
    assert wsapi.fingerprint() == before


def test_bad_date_text(wsapi: Wsapi) -> None:
    before = wsapi.fingerprint()
    result = wsapi.create_raw("defect", {"Defect": {"Name": "x", "TargetDate": "2017-04-29 20:23:51.188960"}})
    assert result["Errors"] == ['Could not parse: Cannot convert "2017-04-29 20:23:51.188960" into a date.  '
                                "You must use the ISO8601 date+time format."]
    assert wsapi.fingerprint() == before
    ok = wsapi.create("defect", {"Name": "x", "TargetDate": "2017-04-29T20:23:51.188Z"})
    assert ok["TargetDate"] == "2017-04-29T20:23:51.188Z"


# -- update ----------------------------------------------------------------------------------

def test_update_bumps_versions_and_last_update_date(wsapi: Wsapi) -> None:
    d = wsapi.create("defect", {"Name": "v1"})
    time.sleep(0.005)
    u = wsapi.update(d["_ref"], {"Name": "v2"})
    assert (u["_objectVersion"], u["VersionId"]) == ("2", "2")
    assert u["LastUpdateDate"] > d["LastUpdateDate"] and u["CreationDate"] == d["CreationDate"]
    u = wsapi.update(d["_ref"], {"Notes": "n"}, fetch="Notes")
    assert u["_objectVersion"] == "3" and set(u) >= {"Notes", "_type"}
    assert wsapi.read(d["_ref"])["VersionId"] == "3"


def test_update_with_unchanged_read_only_ids_is_silent(wsapi: Wsapi) -> None:
    d = wsapi.create("defect", {"Name": "ids"})
    result = wsapi.update_raw(d["_ref"], {"Defect": {"ObjectID": d["ObjectID"], "FormattedID": d["FormattedID"],
                                                     "_ref": d["_ref"], "Name": "ids2"}})
    assert result["Errors"] == [] and result["Warnings"] == []
    assert result["Object"]["ObjectID"] == d["ObjectID"] and result["Object"]["FormattedID"] == d["FormattedID"]


def test_update_put_and_post(wsapi: Wsapi) -> None:
    d = wsapi.create("defect", {"Name": "a"})
    assert wsapi.update_raw(d["_ref"], {"defect": {"Name": "b"}}, method="PUT")["Object"]["Name"] == "b"
    assert wsapi.update_raw(d["_ref"] + ".js", {"Defect": {"Name": "c"}}, method="POST")["Object"]["Name"] == "c"


def test_update_and_delete_missing(wsapi: Wsapi) -> None:
    upd = wsapi.update_raw("defect/9999", {"Defect": {"Name": "x"}})
    assert upd == {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "Warnings": [],
                   "Errors": ["Could not read: Could not read Defect 9999 to update."]}
    assert wsapi.delete("defect/9999")["Errors"] == ["Object to delete cannot be null"]


def test_delete_then_read(wsapi: Wsapi) -> None:
    d = wsapi.create("defect", {"Name": "gone"})
    r = wsapi.request("DELETE", d["_ref"])
    assert r.json() == OK_DELETE
    assert wsapi.get(d["_ref"])["OperationResult"]["Errors"] == ["Cannot find object to read"]
    assert wsapi.delete(d["_ref"])["Errors"] == ["Object to delete cannot be null"]
    assert wsapi.rows("defect") == []
    upd = wsapi.update_raw(d["_ref"], {"Defect": {"Name": "back"}})
    assert upd["Errors"] == [f"Could not read: Could not read Defect {oid_of(d['_ref'])} to update."]
    bin_rows = wsapi.rows("recyclebinentry", fetch="Name,ID")
    assert [(r["Name"], r["ID"]) for r in bin_rows] == [("gone", d["FormattedID"])]


# -- derived values --------------------------------------------------------------------------

def test_task_rollups_and_task_status(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "S"})
    assert story["TaskStatus"] == "NONE"
    t1 = wsapi.create("task", {"Name": "t1", "WorkProduct": story["_ref"], "Estimate": 3, "ToDo": 2, "Actuals": 1})
    t2 = wsapi.create("task", {"Name": "t2", "WorkProduct": {"_ref": story["_ref"]}, "Estimate": 4, "ToDo": 4})
    fields = "TaskStatus,TaskEstimateTotal,TaskRemainingTotal,TaskActualTotal,Tasks"
    s = wsapi.read(story["_ref"], fetch=fields)
    assert (s["TaskStatus"], s["TaskEstimateTotal"], s["TaskRemainingTotal"], s["TaskActualTotal"]) == \
        ("DEFINED", 7, 6, 1)
    assert s["Tasks"]["Count"] == 2
    wsapi.update(t1["_ref"], {"State": "In-Progress"})
    assert wsapi.read(story["_ref"], fetch=fields)["TaskStatus"] == "IN_PROGRESS"
    wsapi.update(t1["_ref"], {"Blocked": True})
    assert wsapi.read(story["_ref"], fetch=fields)["TaskStatus"] == "IN_PROGRESS_BLOCKED"
    wsapi.update(t1["_ref"], {"State": "Completed", "Blocked": False})
    wsapi.update(t2["_ref"], {"State": "Completed", "Estimate": 5})
    s = wsapi.read(story["_ref"], fetch=fields)
    assert s["TaskStatus"] == "COMPLETED" and s["TaskEstimateTotal"] == 8
    wsapi.delete(t2["_ref"])
    s = wsapi.read(story["_ref"], fetch=fields)
    assert s["TaskEstimateTotal"] == 3 and s["Tasks"]["Count"] == 1


def test_direct_children_count_and_defect_status(wsapi: Wsapi) -> None:
    parent = wsapi.create("hierarchicalrequirement", {"Name": "P"})
    assert parent["DirectChildrenCount"] == 0 and parent["DefectStatus"] == "NONE"
    c1 = wsapi.create("hierarchicalrequirement", {"Name": "C1", "Parent": parent["_ref"]})
    wsapi.create("hierarchicalrequirement", {"Name": "C2", "Parent": parent["_ref"]})
    p = wsapi.read(parent["_ref"], fetch="DirectChildrenCount,Children")
    assert p["DirectChildrenCount"] == 2 and p["Children"]["Count"] == 2
    wsapi.delete(c1["_ref"])
    assert wsapi.read(parent["_ref"], fetch="DirectChildrenCount")["DirectChildrenCount"] == 1
    d1 = wsapi.create("defect", {"Name": "d1", "Requirement": parent["_ref"]})
    d2 = wsapi.create("defect", {"Name": "d2", "Requirement": parent["_ref"]})
    assert wsapi.read(parent["_ref"], fetch="DefectStatus")["DefectStatus"] == "NONE_CLOSED"
    wsapi.update(d1["_ref"], {"State": "Closed"})
    assert wsapi.read(parent["_ref"], fetch="DefectStatus")["DefectStatus"] == "SOME_CLOSED"
    wsapi.update(d2["_ref"], {"State": "Closed"})
    assert wsapi.read(parent["_ref"], fetch="DefectStatus")["DefectStatus"] == "ALL_CLOSED"


def test_test_case_last_verdict(wsapi: Wsapi) -> None:
    tc = wsapi.create("testcase", {"Name": "TC"})
    assert (tc["Method"], tc["Priority"], tc["Risk"]) == ("Manual", "None", "None")
    assert not tc["LastVerdict"]
    for date, verdict in (("2024-01-02T00:00:00.000Z", "Fail"), ("2024-01-03T00:00:00.000Z", "Pass")):
        result = wsapi.create("testcaseresult", {"TestCase": tc["_ref"], "Build": date[:10], "Date": date,
                                                 "Verdict": verdict})
        assert "FormattedID" not in result  # not an artifact
    t = wsapi.read(tc["_ref"], fetch="LastVerdict,LastBuild,LastRun,Results")
    assert (t["LastVerdict"], t["LastBuild"], t["LastRun"]) == ("Pass", "2024-01-03", "2024-01-03T00:00:00.000Z")
    assert t["Results"]["Count"] == 2


def test_feature_rollups(wsapi: Wsapi) -> None:
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    wsapi.create("hierarchicalrequirement", {"Name": "a", "PortfolioItem": feature["_ref"], "PlanEstimate": 5,
                                             "ScheduleState": "Accepted"})
    b = wsapi.create("hierarchicalrequirement", {"Name": "b", "PortfolioItem": feature["_ref"], "PlanEstimate": 3})
    wsapi.create("hierarchicalrequirement", {"Name": "c", "PortfolioItem": feature["_ref"]})
    f = wsapi.read(feature["_ref"])
    assert (f["LeafStoryCount"], f["LeafStoryPlanEstimateTotal"], f["AcceptedLeafStoryCount"],
            f["AcceptedLeafStoryPlanEstimateTotal"], f["UnEstimatedLeafStoryCount"]) == (3, 8, 1, 5, 1)
    assert f["PercentDoneByStoryCount"] == pytest.approx(1 / 3, abs=1e-3)
    assert f["PercentDoneByStoryPlanEstimate"] == pytest.approx(5 / 8, abs=1e-3)
    assert f["UserStories"]["Count"] == 3
    wsapi.update(b["_ref"], {"ScheduleState": "Accepted"})
    f = wsapi.read(feature["_ref"], fetch="AcceptedLeafStoryCount,PercentDoneByStoryPlanEstimate")
    assert f["AcceptedLeafStoryCount"] == 2 and f["PercentDoneByStoryPlanEstimate"] == pytest.approx(1.0)
