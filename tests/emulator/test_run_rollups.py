"""Test-run rollups on artifacts: LastRun/LastBuild of work products and test sets, a story's direct
test case counts, a build definition's last build (docs/emulator.md, "Test runs, timeboxes, discussion").

Sources: the names, types and read-only flags are the 2025 OpenAPI description's and the schema
capture's; the rules are the emulator's documented choices.  Every write goes through WSAPI.
"""

from __future__ import annotations

from typing import Any

from wsapi_client import API, Wsapi

RUNS = "LastRun,LastBuild,TotalDirectTestCaseCount,DirectPassingTestCaseCount"


def _runs(wsapi: Wsapi, ref: str, fetch: str = RUNS) -> dict[str, Any]:
    obj = wsapi.read(ref, fetch=fetch)
    return {k: obj[k] for k in fetch.split(",")}


def _result(wsapi: Wsapi, tc: dict, date: str, build: str, verdict: str = "Pass", **more: Any) -> dict:
    return wsapi.create("testcaseresult", {"TestCase": tc["_ref"], "Date": date, "Build": build,
                                           "Verdict": verdict, **more})


def _restore(wsapi: Wsapi, formatted_id: str) -> None:
    entry = wsapi.rows("recyclebinentry", query=f'(ID = "{formatted_id}")', fetch="ObjectID")[0]
    assert wsapi.request("POST", f"/emulator/recyclebin/{entry['ObjectID']}/restore").status_code == 200


def test_a_story_follows_its_test_cases_results_through_every_write(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "Checkout"})
    other = wsapi.create("hierarchicalrequirement", {"Name": "Other"})
    assert _runs(wsapi, story["_ref"]) == {"LastRun": None, "LastBuild": None, "TotalDirectTestCaseCount": 0,
                                           "DirectPassingTestCaseCount": 0}
    a = wsapi.create("testcase", {"Name": "a", "WorkProduct": story["_ref"]})
    b = wsapi.create("testcase", {"Name": "b", "WorkProduct": story["_ref"]})
    assert _runs(wsapi, story["_ref"])["TotalDirectTestCaseCount"] == 2
    _result(wsapi, a, "2026-11-02T10:00:00.000Z", "7.1")
    late = _result(wsapi, b, "2026-11-03T10:00:00.000Z", "7.2", "Fail")
    assert _runs(wsapi, story["_ref"]) == {"LastRun": "2026-11-03T10:00:00.000Z", "LastBuild": "7.2",
                                           "TotalDirectTestCaseCount": 2, "DirectPassingTestCaseCount": 1}
    wsapi.update(late["_ref"], {"Verdict": "Pass", "Build": "7.3"})
    assert _runs(wsapi, story["_ref"])["LastBuild"] == "7.3"
    assert _runs(wsapi, story["_ref"])["DirectPassingTestCaseCount"] == 2
    assert wsapi.delete(late["_ref"])["Errors"] == []  # results are deleted outright
    assert _runs(wsapi, story["_ref"]) == {"LastRun": "2026-11-02T10:00:00.000Z", "LastBuild": "7.1",
                                           "TotalDirectTestCaseCount": 2, "DirectPassingTestCaseCount": 1}
    wsapi.update(a["_ref"], {"WorkProduct": other["_ref"]})  # the test case moves to another story
    assert _runs(wsapi, story["_ref"]) == {"LastRun": None, "LastBuild": None, "TotalDirectTestCaseCount": 1,
                                           "DirectPassingTestCaseCount": 0}
    assert _runs(wsapi, other["_ref"])["LastRun"] == "2026-11-02T10:00:00.000Z"
    assert wsapi.delete(a["_ref"])["Errors"] == []  # to the recycle bin
    assert _runs(wsapi, other["_ref"]) == {"LastRun": None, "LastBuild": None, "TotalDirectTestCaseCount": 0,
                                           "DirectPassingTestCaseCount": 0}
    _restore(wsapi, a["FormattedID"])
    assert _runs(wsapi, other["_ref"]) == {"LastRun": "2026-11-02T10:00:00.000Z", "LastBuild": "7.1",
                                           "TotalDirectTestCaseCount": 1, "DirectPassingTestCaseCount": 1}


def test_defects_and_defect_suites_take_their_own_test_cases_runs(wsapi: Wsapi) -> None:
    defect = wsapi.create("defect", {"Name": "crash"})
    suite = wsapi.create("defectsuite", {"Name": "crashes"})
    for owner, build in ((defect, "3.0"), (suite, "3.1")):
        tc = wsapi.create("testcase", {"Name": f"for {owner['Name']}", "WorkProduct": owner["_ref"]})
        _result(wsapi, tc, "2026-10-01T08:00:00.000Z", build)
    assert _runs(wsapi, defect["_ref"], "LastRun,LastBuild") == {"LastRun": "2026-10-01T08:00:00.000Z",
                                                                  "LastBuild": "3.0"}
    assert _runs(wsapi, suite["_ref"], "LastRun,LastBuild")["LastBuild"] == "3.1"
    # a story with no test case of its own: its child's test cases are not its own
    parent = wsapi.create("hierarchicalrequirement", {"Name": "parent"})
    child = wsapi.create("hierarchicalrequirement", {"Name": "child", "Parent": parent["_ref"]})
    tc = wsapi.create("testcase", {"Name": "child's", "WorkProduct": child["_ref"]})
    _result(wsapi, tc, "2026-10-02T08:00:00.000Z", "3.2")
    assert _runs(wsapi, parent["_ref"])["LastRun"] is None
    assert _runs(wsapi, child["_ref"])["LastRun"] == "2026-10-02T08:00:00.000Z"


def test_queries_and_ordering_see_the_direct_counts(wsapi: Wsapi) -> None:
    names = []
    for name, verdicts in (("none", []), ("one", ["Pass"]), ("two", ["Pass", "Fail"]), ("three", ["Pass"] * 3)):
        story = wsapi.create("hierarchicalrequirement", {"Name": name})
        names.append(name)
        for n, verdict in enumerate(verdicts):
            tc = wsapi.create("testcase", {"Name": f"{name}{n}", "WorkProduct": story["_ref"]})
            _result(wsapi, tc, f"2026-09-0{n + 1}T00:00:00.000Z", "1", verdict)
    rows = wsapi.rows("hierarchicalrequirement", query="(TotalDirectTestCaseCount >= 2)",
                      order="DirectPassingTestCaseCount desc", fetch="Name")
    assert [r["Name"] for r in rows] == ["three", "two"]
    rows = wsapi.rows("hierarchicalrequirement", query="(DirectPassingTestCaseCount = 1)", fetch="Name")
    assert sorted(r["Name"] for r in rows) == ["one", "two"]


def test_a_test_set_takes_the_results_recorded_in_it(wsapi: Wsapi) -> None:
    a = wsapi.create("testcase", {"Name": "a"})
    b = wsapi.create("testcase", {"Name": "b"})
    test_set = wsapi.create("testset", {"Name": "regression", "TestCases": [a["_ref"]]})
    _result(wsapi, a, "2026-08-01T00:00:00.000Z", "outside")  # not recorded in the set: does not count
    assert _runs(wsapi, test_set["_ref"], "LastRun,LastBuild") == {"LastRun": None, "LastBuild": None}
    _result(wsapi, a, "2026-07-01T00:00:00.000Z", "in-a", TestSet=test_set["_ref"])
    _result(wsapi, b, "2026-07-05T00:00:00.000Z", "in-b", TestSet=test_set["_ref"])  # b is not in the set yet
    assert _runs(wsapi, test_set["_ref"], "LastRun,LastBuild")["LastBuild"] == "in-a"
    added = wsapi.request("POST", f"{API}/testset/{test_set['ObjectID']}/TestCases/add",
                          json={"CollectionItems": [{"_ref": b["_ref"]}]})
    assert added.status_code == 200 and added.json()["OperationResult"]["Errors"] == []
    assert _runs(wsapi, test_set["_ref"], "LastRun,LastBuild") == {"LastRun": "2026-07-05T00:00:00.000Z",
                                                                    "LastBuild": "in-b"}
    assert wsapi.delete(b["_ref"])["Errors"] == []
    assert _runs(wsapi, test_set["_ref"], "LastRun,LastBuild")["LastBuild"] == "in-a"
    _restore(wsapi, b["FormattedID"])
    assert _runs(wsapi, test_set["_ref"], "LastRun,LastBuild")["LastBuild"] == "in-b"
    removed = wsapi.request("POST", f"{API}/testset/{test_set['ObjectID']}/TestCases/remove",
                            json={"CollectionItems": [{"_ref": b["_ref"]}]})
    assert removed.status_code == 200
    assert _runs(wsapi, test_set["_ref"], "LastRun,LastBuild")["LastBuild"] == "in-a"


def test_a_build_definition_names_its_latest_build(wsapi: Wsapi) -> None:
    ci = wsapi.create("builddefinition", {"Name": "CI"})
    assert _runs(wsapi, ci["_ref"], "LastBuild,LastStatus") == {"LastBuild": None, "LastStatus": None}
    first = wsapi.create("build", {"BuildDefinition": ci["_ref"], "Number": "1", "Status": "SUCCESS",
                                   "Start": "2026-06-01T00:00:00.000Z"})
    second = wsapi.create("build", {"BuildDefinition": ci["_ref"], "Number": "2", "Status": "FAILURE",
                                    "Start": "2026-06-02T00:00:00.000Z"})
    got = _runs(wsapi, ci["_ref"], "LastBuild,LastStatus")
    assert got["LastBuild"]["_ref"].endswith(f"/build/{second['ObjectID']}") and got["LastStatus"] == "FAILURE"
    wsapi.update(first["_ref"], {"Start": "2026-06-03T00:00:00.000Z"})
    got = _runs(wsapi, ci["_ref"], "LastBuild,LastStatus")
    assert got["LastBuild"]["_ref"].endswith(f"/build/{first['ObjectID']}") and got["LastStatus"] == "SUCCESS"
    assert wsapi.delete(first["_ref"])["Errors"] == []
    got = _runs(wsapi, ci["_ref"], "LastBuild,LastStatus")
    assert got["LastBuild"]["_ref"].endswith(f"/build/{second['ObjectID']}")
    rows = wsapi.rows("builddefinition", query=f'(LastBuild = "{second["_ref"]}")', fetch="Name")
    assert [r["Name"] for r in rows] == ["CI"]


def test_read_only_rollups_cannot_be_written(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "guarded"})
    tc = wsapi.create("testcase", {"Name": "t", "WorkProduct": story["_ref"]})
    _result(wsapi, tc, "2026-05-01T00:00:00.000Z", "5")
    want = _runs(wsapi, story["_ref"])
    echo = wsapi.update_raw(story["_ref"], {"HierarchicalRequirement": {
        "LastRun": "2030-01-01T00:00:00.000Z", "TotalDirectTestCaseCount": 99, "DirectPassingTestCaseCount": 99}})
    assert echo["Errors"] == [] and any("TotalDirectTestCaseCount" in w for w in echo["Warnings"])
    assert _runs(wsapi, story["_ref"]) == want
    before = wsapi.fingerprint()
    bad = wsapi.create_raw("testcaseresult", {"TestCaseResult": {
        "TestCase": "/testcase/999999999", "Date": "2026-05-02T00:00:00.000Z", "Build": "6", "Verdict": "Pass"}})
    assert bad["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    bad = wsapi.create_raw("testcaseresult", {"TestCaseResult": {
        "TestCase": tc["_ref"], "Date": "not a date", "Build": "6", "Verdict": "Pass"}})
    assert bad["Errors"] and bad["Errors"][0].startswith("Could not parse: Cannot convert \"not a date\" into a date")
    assert wsapi.fingerprint() == before and _runs(wsapi, story["_ref"]) == want
