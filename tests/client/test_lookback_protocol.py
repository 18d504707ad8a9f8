"""The sans-I/O Lookback core: requests, the documented envelope, paging plan, errors; snapshots."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pyral.client.lookback import Record, Snapshot
from pyral.errors import RallyAuthError, RallyLookbackError, RallyQuerySyntaxError, RallyResponseError
from pyral.protocol import lookback as lbp
from pyral.transport import SyncTransport

# The real v2.0 answer quoted in lookback-api.md §5 (CAP21), one result kept.
CAP21 = {
    "_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "Errors": [], "Warnings": [],
    "GeneratedQuery": {"find": {"Iteration": 521511480168,
                                "_ValidFrom": {"$lte": "2021-07-19T05:59:59.000Z"},
                                "_ValidTo": {"$gte": "2021-07-05T06:00:00.000Z"},
                                "_TypeHierarchy": {"$in": [-51038, 41529127, 10487553403]}},
                       "limit": 10000, "skip": 0, "compress": True},
    "TotalResultCount": 143, "HasMore": False, "StartIndex": 0, "PageSize": 10000,
    "ETLDate": "2021-07-22T21:01:40.284Z", "CompressedResultCount": 32,
    "Results": [{"_ValidFrom": "2021-07-06T14:43:37.934Z", "_ValidTo": "9999-01-01T00:00:00.000Z",
                 "ObjectID": 603090593481, "Iteration": 521511480168,
                 "AcceptedDate": "2021-07-06T14:43:37.895Z", "FormattedID": "S207056"}],
    "ThreadStats": {"cpuTime": "36.732735"}, "Timings": {"TOTAL": 2409.0},
}


def _page(total: int, start: int, size: int, n: int, has_more: bool) -> dict[str, object]:
    return {"Errors": [], "Warnings": [], "TotalResultCount": total, "StartIndex": start, "PageSize": size,
            "HasMore": has_more, "ETLDate": "2024-03-01T00:00:00.000Z",
            "Results": [{"ObjectID": i} for i in range(start, start + n)]}


def test_request_is_a_retryable_post_to_the_documented_path() -> None:
    query = lbp.build_query(41529001, {"ObjectID": 7}, fields=["ObjectID", "ScheduleState"],
                            hydrate="ScheduleState", sort="-_ValidFrom", compress=True)
    req = lbp.lookback_request(query)
    assert (req.method, req.service, req.path) == ("POST", "analytics",
                                                   "workspace/41529001/artifact/snapshot/query.js")
    assert req.idempotent
    assert req.body == {"find": {"ObjectID": 7}, "fields": ["ObjectID", "ScheduleState"],
                        "hydrate": ["ScheduleState"], "sort": {"_ValidFrom": -1}, "start": 0,
                        "pagesize": 2000, "compress": True, "removeUnauthorizedSnapshots": True}
    url = SyncTransport("https://rally1.rallydev.com").url_for(req)
    assert url == ("https://rally1.rallydev.com/analytics/v2.0/service/rally/workspace/41529001"
                   "/artifact/snapshot/query.js")


def test_find_values_are_made_json() -> None:
    when = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    query = lbp.build_query(1, '{"Project": 5}', remove_unauthorized=False)
    assert query.body() == {"find": {"Project": 5}, "start": 0, "pagesize": 2000}
    query = lbp.build_query(1, {"_ValidFrom": {"$gte": when}, "ObjectID": {"$in": (1, 2)},
                                "_At": date(2024, 3, 2)})
    assert query.find == {"_ValidFrom": {"$gte": "2024-03-01T10:30:15.123Z"}, "ObjectID": {"$in": [1, 2]},
                          "_At": "2024-03-02T00:00:00.000Z"}
    json.dumps(query.body())


@pytest.mark.parametrize("find", ["{not json", "[1, 2]", 42, None])
def test_bad_find_is_a_query_syntax_error(find: object) -> None:
    with pytest.raises(RallyQuerySyntaxError, match="find"):
        lbp.build_query(1, find)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"pagesize": 0}, "pagesize must be >= 1"), ({"pagesize": "x"}, "pagesize must be an integer"),
    ({"start": -1}, "start must be >= 0"), ({"limit": -5}, "limit must be >= 0"),
    ({"sort": {"_ValidFrom": 2}}, "sort direction"), ({"sort": 3}, "sort must be"),
    ({"fields": [1, 2]}, "fields must be"), ({"hydrate": 5}, "hydrate must be"),
    ({"start": True}, "start must be an integer"),
])
def test_bad_arguments_are_refused(kwargs: dict[str, object], text: str) -> None:
    with pytest.raises(ValueError, match=text):
        lbp.build_query(1, {}, **kwargs)  # type: ignore[arg-type]


def test_pagesize_caps() -> None:
    assert lbp.build_query(1, {}, pagesize=50000).pagesize == 20000
    assert lbp.build_query(1, {}, fields=True).pagesize == 100
    assert lbp.build_query(1, {}, fields=True).body()["fields"] is True
    assert lbp.build_query(1, {}, pagesize=500, limit=30).pagesize == 30
    assert lbp.build_query(1, {}, limit=0).pagesize == 1


def test_parse_the_documented_envelope() -> None:
    page = lbp.parse_lookback(200, CAP21)
    assert (page.total, page.start, page.page_size, page.has_more) == (143, 0, 10000, False)
    assert page.compressed_count == 32
    assert page.etl_date == "2021-07-22T21:01:40.284Z"
    assert page.results[0]["FormattedID"] == "S207056"
    assert page.generated_query["limit"] == 10000
    assert page.warnings == []


def test_warnings_are_kept() -> None:
    body = dict(CAP21, Warnings=["Max page size limited to 100 when fields=true"])
    assert lbp.parse_lookback(200, body).warnings == ["Max page size limited to 100 when fields=true"]


def test_errors_raise_with_rallys_texts() -> None:
    body = {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "Errors": ["Unsupported operator: $where"],
            "Warnings": [], "Results": []}
    with pytest.raises(RallyLookbackError) as info:
        lbp.parse_lookback(400, body)
    assert info.value.errors == ["Unsupported operator: $where"]
    assert info.value.status_code == 400
    assert "Unsupported operator: $where" in str(info.value)
    with pytest.raises(RallyLookbackError):  # Errors on a 200 are errors too
        lbp.parse_lookback(200, body)
    with pytest.raises(RallyAuthError):
        lbp.parse_lookback(401, None, "<html>Unauthorized</html>")
    with pytest.raises(RallyLookbackError, match="HTTP 403: Forbidden"):
        lbp.parse_lookback(403, None, "Forbidden")
    with pytest.raises(RallyResponseError, match="not a Lookback API envelope"):
        lbp.parse_lookback(200, {"QueryResult": {}})
    with pytest.raises(RallyResponseError):
        lbp.parse_lookback(200, "text")


def test_paging_plan_cuts_the_uncompressed_list() -> None:
    query = lbp.build_query(1, {"Project": 5}, pagesize=10)
    first = lbp.parse_lookback(200, _page(35, 0, 10, 10, True))
    assert lbp.page_starts(query, first, None) == [10, 20, 30]
    assert lbp.page_starts(query, first, 15) == [10]
    assert lbp.page_starts(query, lbp.parse_lookback(200, _page(8, 0, 10, 8, False)), None) == []
    compressed = lbp.build_query(1, {"Project": 5}, pagesize=10, compress=True)
    first = lbp.parse_lookback(200, _page(35, 0, 10, 3, True))  # 3 results after compression
    assert lbp.page_starts(compressed, first, 15) == [10, 20, 30]
    later = lbp.build_query(1, {}, start=5, pagesize=10)
    assert lbp.page_starts(later, lbp.parse_lookback(200, _page(35, 5, 10, 10, True)), None) == [15, 25]


def test_later_pages_are_pinned_to_the_first_etl_date() -> None:
    query = lbp.build_query(1, {"Project": 5}, pagesize=10)
    req = lbp.page_request(query, 20, "2024-03-01T00:00:00.000Z")
    assert req.body["start"] == 20
    assert req.body["find"] == {"Project": 5, "_ValidFrom": {"$lte": "2024-03-01T00:00:00.000Z"}}
    ranged = lbp.build_query(1, {"_ValidFrom": {"$gte": "2024-01-01"}})
    assert lbp.page_request(ranged, 10, "E").body["find"] == {
        "$and": [{"_ValidFrom": {"$gte": "2024-01-01"}}, {"_ValidFrom": {"$lte": "E"}}]}
    assert lbp.page_request(ranged, 10, None).body["find"] == {"_ValidFrom": {"$gte": "2024-01-01"}}


def test_common_questions_as_finds() -> None:
    assert lbp.at_find({"Project": 5}, date(2024, 3, 1)) == {"Project": 5, "__At": "2024-03-02T00:00:00.000Z"}
    assert lbp.at_find(None, "current") == {"__At": "current"}
    assert lbp.at_find("{}", datetime(2024, 3, 1, 8, tzinfo=UTC))["__At"] == "2024-03-01T08:00:00.000Z"
    with pytest.raises(ValueError, match="when must be"):
        lbp.at_find({}, 17)  # type: ignore[arg-type]
    found = lbp.transitions_find({"Project": 5}, "ScheduleState", date(2024, 3, 1), date(2024, 3, 8),
                                 to_value="Accepted")
    assert found == {"Project": 5, "_PreviousValues.ScheduleState": {"$exists": True},
                     "_ValidFrom": {"$gte": "2024-03-01T00:00:00.000Z", "$lt": "2024-03-08T00:00:00.000Z"},
                     "ScheduleState": "Accepted"}
    assert lbp.transitions_find({}, "State", "2024-03-01", "2024-03-02", from_value="Open")[
        "_PreviousValues.State"] == "Open"
    with pytest.raises(ValueError, match="one field name"):
        lbp.transitions_find({}, "_PreviousValues.State", "a", "b")


def test_snapshot_access() -> None:
    snap = Snapshot({"ObjectID": 7, "ScheduleState": "Accepted", "_ValidFrom": "2024-03-01T10:00:00.000Z",
                     "_ValidTo": "9999-01-01T00:00:00.000Z",
                     "_PreviousValues": {"ScheduleState": "Completed"},
                     "Project": {"ObjectID": 5, "Name": "Tech Wizards"}})
    assert snap.ObjectID == 7 and snap["ScheduleState"] == "Accepted"
    assert snap._PreviousValues.ScheduleState == "Completed"
    assert snap["_PreviousValues.ScheduleState"] == "Completed"
    assert snap.Project.Name == "Tech Wizards" and isinstance(snap.Project, Record)
    assert snap["Project"] == {"ObjectID": 5, "Name": "Tech Wizards"}
    assert snap.valid_from == datetime(2024, 3, 1, 10, tzinfo=UTC) and snap.valid_to is None
    assert "ScheduleState" in snap and "_PreviousValues.ScheduleState" in snap and "Nope" not in snap
    assert snap.get("Nope", 3) == 3
    assert snap.data["ObjectID"] == 7
    with pytest.raises(AttributeError, match="no field 'Owner'"):
        _ = snap.Owner
    with pytest.raises(KeyError):
        _ = snap["_PreviousValues.Owner"]
    assert snap == Snapshot(dict(snap.data)) and "ObjectID=7" in repr(snap)
