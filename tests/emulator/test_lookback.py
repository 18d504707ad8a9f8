"""The Lookback API endpoint over HTTP: snapshots per write kind, the envelope, find, paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from wsapi_client import Wsapi, short

from pyral.emulator import Emulator

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
FOREVER = "9999-01-01T00:00:00.000Z"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Lookback:
    """POSTs (or GETs) snapshot queries for the default workspace."""

    def __init__(self, wsapi: Wsapi) -> None:
        self.wsapi = wsapi
        self.workspace = wsapi.default_workspace()["ObjectID"]

    @property
    def url(self) -> str:
        return f"/analytics/v2.0/service/rally/workspace/{self.workspace}/artifact/snapshot/query.js"

    def raw(self, body: Any = None, *, method: str = "POST", params: dict[str, str] | None = None,
            client: httpx.Client | None = None, url: str | None = None) -> httpx.Response:
        http = client or self.wsapi.http
        content = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return http.request(method, url or self.url, content=content, params=params)

    def query(self, **body: Any) -> dict[str, Any]:
        r = self.raw(body)
        assert r.status_code == 200, (r.status_code, r.text[:500])
        out = r.json()
        assert out["Errors"] == [], out["Errors"]
        return out

    def results(self, find: dict[str, Any], **body: Any) -> list[dict[str, Any]]:
        return self.query(find=find, **body)["Results"]


@pytest.fixture
def lb(wsapi: Wsapi) -> Lookback:
    return Lookback(wsapi)


def at(emulator: Emulator, when: datetime) -> None:
    emulator.set_clock(when)


def story(wsapi: Wsapi, **fields: Any) -> dict[str, Any]:
    return wsapi.create("hierarchicalrequirement", {"Name": "S", **fields})


# -- the envelope ----------------------------------------------------------------------------

def test_envelope_is_flat_with_rallys_keys(lb: Lookback, wsapi: Wsapi, emulator: Emulator) -> None:
    at(emulator, T0)
    s = story(wsapi, PlanEstimate=3)
    body = lb.query(find={"ObjectID": s["ObjectID"]}, fields=["ObjectID", "PlanEstimate"])
    assert body["_rallyAPIMajor"] == "2" and body["_rallyAPIMinor"] == "0"
    assert body["TotalResultCount"] == 1 and body["HasMore"] is False
    assert body["StartIndex"] == 0 and body["PageSize"] == 100
    assert body["ETLDate"] == iso(T0)
    assert body["GeneratedQuery"]["find"] == {"ObjectID": s["ObjectID"], "_ValidFrom": {"$lte": iso(T0)}}
    assert body["GeneratedQuery"]["limit"] == 100 and body["GeneratedQuery"]["skip"] == 0
    assert body["Results"] == [{"ObjectID": s["ObjectID"], "PlanEstimate": 3}]
    assert "QueryResult" not in body


def test_get_with_json_values_and_without_js_suffix(lb: Lookback, wsapi: Wsapi) -> None:
    s = story(wsapi)
    params = {"find": json.dumps({"ObjectID": s["ObjectID"]}), "fields": '["ObjectID","Name"]'}
    for url in (lb.url, lb.url[:-3]):
        r = lb.raw(method="GET", params=params, url=url)
        assert r.status_code == 200, r.text
        assert r.json()["Results"] == [{"ObjectID": s["ObjectID"], "Name": "S"}]


def test_lenient_json_unquoted_keys_and_single_quotes(lb: Lookback, wsapi: Wsapi) -> None:
    s = story(wsapi)
    body = "{find: {ObjectID: " + str(s["ObjectID"]) + "}, fields: ['ObjectID', \"Name\"]}"
    r = lb.raw(body)  # no JSON Content-Type either
    assert r.status_code == 200, r.text
    assert r.json()["Results"] == [{"ObjectID": s["ObjectID"], "Name": "S"}]


# -- snapshots per write kind ----------------------------------------------------------------

def test_create_then_update_of_several_fields(lb: Lookback, wsapi: Wsapi, emulator: Emulator) -> None:
    at(emulator, T0)
    s = story(wsapi, PlanEstimate=3)
    emulator.advance_clock(3600)
    wsapi.update(short(s["_ref"]), {"ScheduleState": "In-Progress", "PlanEstimate": 5, "Name": "S2"})
    snaps = lb.results({"ObjectID": s["ObjectID"]}, fields=True, sort={"_SnapshotNumber": 1})
    assert [x["_SnapshotNumber"] for x in snaps] == [0, 1]
    first, second = snaps
    assert first["_SnapshotType"] == "Create"
    assert first["_ValidFrom"] == iso(T0) and first["_ValidTo"] == iso(T0 + timedelta(hours=1))
    assert first["_PreviousValues"]["Name"] is None and first["_PreviousValues"]["PlanEstimate"] is None
    assert second["_ValidFrom"] == iso(T0 + timedelta(hours=1)) and second["_ValidTo"] == FOREVER
    # FlowState follows ScheduleState (wsapi-more.md §1.3), so it changed too
    assert second["_PreviousValues"] == {"Name": "S", "PlanEstimate": 3, "ScheduleState": "Defined",
                                         "InProgressDate": None, "FlowState": first["FlowState"],
                                         "FlowStateChangedDate": iso(T0)}
    assert second["FlowState"] != first["FlowState"] and second["FlowStateChangedDate"] == iso(T0 + timedelta(hours=1))
    assert second["ScheduleState"] == "In-Progress" and second["PlanEstimate"] == 5 and second["Name"] == "S2"
    assert "_SnapshotType" not in second
    assert second["_User"] == first["_User"] and isinstance(second["_RevisionNumber"], int)


def test_update_that_changes_nothing_makes_no_snapshot(lb: Lookback, wsapi: Wsapi) -> None:
    s = story(wsapi, PlanEstimate=3)
    wsapi.update(short(s["_ref"]), {"PlanEstimate": 3})
    assert lb.query(find={"ObjectID": s["ObjectID"]})["TotalResultCount"] == 1


def test_derived_values_make_snapshots_of_the_parent(lb: Lookback, wsapi: Wsapi, emulator: Emulator) -> None:
    at(emulator, T0)
    s = story(wsapi)
    emulator.advance_clock(60)
    t = wsapi.create("task", {"Name": "T", "WorkProduct": s["_ref"], "Estimate": 8})
    emulator.advance_clock(60)
    wsapi.update(short(t["_ref"]), {"ToDo": 2})
    rows = lb.results({"ObjectID": s["ObjectID"]}, fields=["TaskRemainingTotal", "_ValidFrom"])
    assert [r.get("TaskRemainingTotal") for r in rows] == [0.0, 8.0, 2.0]
    task_rows = lb.results({"ObjectID": t["ObjectID"]}, fields=["ToDo", "_PreviousValues.ToDo"])
    assert task_rows == [{"ToDo": 8.0, "_PreviousValues.ToDo": None}, {"ToDo": 2.0, "_PreviousValues.ToDo": 8.0}]


def test_delete_closes_and_restore_reopens(lb: Lookback, wsapi: Wsapi, emulator: Emulator) -> None:
    at(emulator, T0)
    s = story(wsapi)
    emulator.advance_clock(60)
    wsapi.delete(short(s["_ref"]))
    deleted_at = iso(T0 + timedelta(seconds=60))
    snaps = lb.results({"ObjectID": s["ObjectID"]}, fields=True)
    assert len(snaps) == 1 and snaps[0]["_ValidTo"] == deleted_at
    assert lb.results({"ObjectID": s["ObjectID"], "__At": "current"}) == []
    entry = wsapi.rows("recyclebinentry", fetch="ObjectID")[0]["ObjectID"]
    emulator.advance_clock(60)
    r = wsapi.http.post(f"/emulator/recyclebin/{entry}/restore")
    assert r.status_code == 200, r.text
    snaps = lb.results({"ObjectID": s["ObjectID"]}, fields=True)
    assert [x["_SnapshotNumber"] for x in snaps] == [0, 1]
    assert snaps[1]["_SnapshotType"] == "RESTORE" and snaps[1]["_ValidTo"] == FOREVER
    assert snaps[1]["_ValidFrom"] == iso(T0 + timedelta(seconds=120))
    assert lb.results({"_SnapshotType": "RESTORE"}, fields=["ObjectID"]) == [{"ObjectID": s["ObjectID"]}]


# -- __At, type hierarchy ----------------------------------------------------------------------

def test_at_a_date_and_current(lb: Lookback, wsapi: Wsapi, emulator: Emulator) -> None:
    at(emulator, T0)
    s = story(wsapi)
    d = wsapi.create("defect", {"Name": "D"})
    for day in range(1, 4):
        emulator.advance_clock(86400)
        state = ["Defined", "In-Progress", "Completed", "Accepted"][day]
        wsapi.update(short(s["_ref"]), {"ScheduleState": state})
    find = {"_TypeHierarchy": "HierarchicalRequirement"}
    for day, state in enumerate(["Defined", "In-Progress", "Completed", "Accepted"]):
        rows = lb.results({**find, "__At": iso(T0 + timedelta(days=day, hours=1))}, fields=["ScheduleState"])
        assert rows == [{"ScheduleState": state}]
        # at the very instant of a change only the new snapshot is valid: [_ValidFrom, _ValidTo) is half-open
        rows = lb.results({**find, "__At": iso(T0 + timedelta(days=day))}, fields=["ScheduleState"])
        assert rows == [{"ScheduleState": state}]
    assert lb.results({**find, "__At": "current"}, fields=["ScheduleState"]) == [{"ScheduleState": "Accepted"}]
    before = lb.results({"__At": iso(T0 - timedelta(seconds=1)), "_TypeHierarchy": {"$in": [-51038, "Defect"]}})
    assert before == []
    both = lb.results({"__At": "current", "_TypeHierarchy": {"$in": [-51038, "Defect"]}}, fields=["ObjectID"])
    assert sorted(r["ObjectID"] for r in both) == sorted([s["ObjectID"], d["ObjectID"]])
    artifacts = lb.results({"__At": "current", "_TypeHierarchy": "Artifact"}, fields=["ObjectID"])
    assert len(artifacts) == 2


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "text"), [
    ({}, "find is required"),
    ({"find": []}, "find must be a JSON object"),
    ({"find": {"ObjectID": {"$where": "1"}}}, "Unsupported operator: $where"),
    ({"find": {"ObjectID": {"$bogus": 1}}}, "Unknown operator: $bogus"),
    ({"find": {"_ValidFrom": {"$gt": "yesterday-ish"}}}, "Could not parse date"),
    ({"find": {"_TypeHierarchy": "NoSuchType"}}, "Unknown type"),
    ({"find": {"_ProjectHierarchy": {"$gt": 1}}}, "$gt is not supported on _ProjectHierarchy"),
    ({"find": {"_ItemHierarchy": {"$in": 5}}}, "$in needs an array (on _ItemHierarchy)"),
    ({"find": {"_ItemHierarchy": "US1"}}, "_ItemHierarchy takes ObjectIDs (integers)"),
    ({"find": {"ObjectID": 1}, "pagesize": -1}, "pagesize must be"),
    ({"find": {"ObjectID": 1}, "sort": {"_ValidFrom": 2}}, "sort directions"),
    ("{find: ", "Could not parse the request body"),
])
def test_bad_requests_answer_400_with_the_envelope(lb: Lookback, wsapi: Wsapi, body: Any, text: str) -> None:
    before = wsapi.fingerprint()
    r = lb.raw(body)
    assert r.status_code == 400, r.text
    out = r.json()
    assert out["Results"] == [] and out["TotalResultCount"] == 0
    assert len(out["Errors"]) == 1 and text in out["Errors"][0], out["Errors"]
    assert wsapi.fingerprint() == before


def test_bad_credentials_are_401_and_unknown_workspace_404(lb: Lookback, emulator: Emulator) -> None:
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": "nope"}) as anon:
        assert lb.raw({"find": {}}, client=anon).status_code == 401
    r = lb.raw({"find": {}}, url="/analytics/v2.0/service/rally/workspace/1/artifact/snapshot/query.js")
    assert r.status_code == 404 and "Workspace 1 does not exist" in r.json()["Errors"][0]
    assert lb.raw({"find": {}}, method="DELETE").status_code == 405


# -- failed writes and batches -------------------------------------------------------------------

def test_a_failed_write_leaves_no_snapshot(lb: Lookback, wsapi: Wsapi) -> None:
    bad = wsapi.create_raw("hierarchicalrequirement",
                           {"HierarchicalRequirement": {"Name": "ghost", "Tags": [{"_ref": "/tag/1"}]}})
    assert bad["Errors"]
    good = story(wsapi, Name="real")
    rows = lb.results({"_TypeHierarchy": "HierarchicalRequirement"}, fields=["ObjectID", "Name"])
    assert rows == [{"ObjectID": good["ObjectID"], "Name": "real"}]


def test_a_batch_is_one_write(lb: Lookback, wsapi: Wsapi, emulator: Emulator) -> None:
    at(emulator, T0)
    s = story(wsapi, PlanEstimate=1)
    emulator.advance_clock(60)
    entries = [
        {"Entry": {"Path": f"/hierarchicalrequirement/{s['ObjectID']}", "Method": "POST",
                   "Body": {"HierarchicalRequirement": {"PlanEstimate": 2}}}},
        {"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT",
                   "Body": {"HierarchicalRequirement": {"Name": "bad", "Tags": [{"_ref": "/tag/1"}]}}}},
        {"Entry": {"Path": f"/hierarchicalrequirement/{s['ObjectID']}", "Method": "POST",
                   "Body": {"HierarchicalRequirement": {"PlanEstimate": 3}}}},
    ]
    r = wsapi.http.post("/slm/webservice/v2.0/batch", json={"Batch": entries})
    results = r.json()["BatchResult"]["Results"]
    assert [bool(x["Errors"]) for x in results] == [False, True, False]
    rows = lb.results({"_TypeHierarchy": "HierarchicalRequirement"}, fields=["ObjectID", "PlanEstimate",
                                                                            "_PreviousValues.PlanEstimate"])
    assert rows == [{"ObjectID": s["ObjectID"], "PlanEstimate": 1, "_PreviousValues.PlanEstimate": None},
                    {"ObjectID": s["ObjectID"], "PlanEstimate": 3, "_PreviousValues.PlanEstimate": 1}]
