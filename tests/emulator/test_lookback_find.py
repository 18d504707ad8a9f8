"""Lookback over HTTP: every find operator, hierarchies, paging, sort, fields, hydrate, compress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_lookback import FOREVER, Lookback, iso
from wsapi_client import Wsapi, short

from pyral.emulator import Emulator

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
def lb(wsapi: Wsapi) -> Lookback:
    return Lookback(wsapi)


@pytest.fixture
def world(wsapi: Wsapi, emulator: Emulator) -> dict[str, Any]:
    """A feature with a parent story and two children, a defect and a task, changed over three days."""
    emulator.set_clock(T0)
    w: dict[str, Any] = {}
    tag = wsapi.create("tag", {"Name": "UX"})
    w["feature"] = wsapi.create("portfolioitem/feature", {"Name": "F"})
    w["parent"] = wsapi.create("hierarchicalrequirement", {"Name": "P", "PortfolioItem": w["feature"]["_ref"]})
    w["a"] = wsapi.create("hierarchicalrequirement", {"Name": "A", "Parent": w["parent"]["_ref"], "PlanEstimate": 2,
                                                      "Tags": [{"_ref": tag["_ref"]}]})
    w["b"] = wsapi.create("hierarchicalrequirement", {"Name": "B", "Parent": w["parent"]["_ref"], "PlanEstimate": 5})
    w["defect"] = wsapi.create("defect", {"Name": "D", "Priority": "High Attention"})
    w["task"] = wsapi.create("task", {"Name": "T", "WorkProduct": w["a"]["_ref"], "Estimate": 4})
    w["tag"] = tag
    emulator.advance_clock(86400)
    wsapi.update(short(w["a"]["_ref"]), {"ScheduleState": "In-Progress"})
    emulator.advance_clock(86400)
    wsapi.update(short(w["a"]["_ref"]), {"ScheduleState": "Accepted"})
    wsapi.update(short(w["b"]["_ref"]), {"ScheduleState": "Completed"})
    return w


def oids(rows: list[dict[str, Any]]) -> list[int]:
    return sorted({r["ObjectID"] for r in rows})


def test_equality_and_in_nin_ne(lb: Lookback, world: dict[str, Any]) -> None:
    a, b = world["a"]["ObjectID"], world["b"]["ObjectID"]
    cur = {"__At": "current"}
    assert oids(lb.results({**cur, "Name": "A"})) == [a]
    assert oids(lb.results({**cur, "Name": {"$eq": "B"}})) == [b]
    assert oids(lb.results({**cur, "Name": {"$in": ["A", "B"]}})) == sorted([a, b])
    stories = {**cur, "_TypeHierarchy": "HierarchicalRequirement"}
    assert oids(lb.results({**stories, "Name": {"$nin": ["A", "B"]}})) == [world["parent"]["ObjectID"]]
    assert oids(lb.results({**stories, "Name": {"$ne": "P"}})) == sorted([a, b])
    # $ne matches a missing field too (Mongo semantics): the parent has no PlanEstimate
    assert oids(lb.results({**stories, "PlanEstimate": {"$ne": 2}})) == sorted([b, world["parent"]["ObjectID"]])


def test_comparisons_numbers_dates_and_dropdown_order(lb: Lookback, world: dict[str, Any]) -> None:
    a, b = world["a"]["ObjectID"], world["b"]["ObjectID"]
    cur = {"__At": "current"}
    assert oids(lb.results({**cur, "PlanEstimate": {"$gt": 2}})) == [b]
    assert oids(lb.results({**cur, "PlanEstimate": {"$gte": 2, "$lte": 5}})) == sorted([a, b])
    assert oids(lb.results({**cur, "PlanEstimate": {"$lt": 5}})) == [a]
    # "Completed" < "Defined" as text; by allowed-value order Completed and Accepted are >= Completed
    assert oids(lb.results({**cur, "ScheduleState": {"$gte": "Completed"}})) == sorted([a, b])
    assert oids(lb.results({**cur, "ScheduleState": {"$lt": "Completed"}, "Name": {"$in": ["A", "B"]}})) == []
    # each bound on its own: $lte/$gt split A (Accepted) from B (Completed)
    assert oids(lb.results({**cur, "ScheduleState": {"$lte": "Completed"}, "Name": {"$in": ["A", "B"]}})) == [b]
    assert oids(lb.results({**cur, "ScheduleState": {"$gt": "Completed"}, "Name": {"$in": ["A", "B"]}})) == [a]
    day1 = iso(T0 + timedelta(days=1))
    changed = lb.results({"_ValidFrom": {"$gte": day1}, "ObjectID": a}, fields=["ScheduleState"])
    assert changed == [{"ScheduleState": "In-Progress"}, {"ScheduleState": "Accepted"}]
    # dates in other forms are normalised ("2024-05-07" is midnight)
    assert len(lb.results({"_ValidFrom": {"$gte": "2024-05-07"}, "ObjectID": a})) == 2
    # day 0: the create, and the task's creation (TaskEstimateTotal) at the same instant
    assert len(lb.results({"_ValidFrom": {"$lt": "2024-05-07TZ"}, "ObjectID": a})) == 2


def test_exists_previous_values_and_or_nor(lb: Lookback, world: dict[str, Any]) -> None:
    a, b = world["a"]["ObjectID"], world["b"]["ObjectID"]
    moved = lb.results({"_PreviousValues.ScheduleState": {"$exists": True}, "_SnapshotNumber": {"$gt": 0}},
                       fields=["ObjectID", "ScheduleState", "_PreviousValues.ScheduleState"], sort={"_ValidFrom": 1})
    assert moved == [{"ObjectID": a, "ScheduleState": "In-Progress", "_PreviousValues.ScheduleState": "Defined"},
                     {"ObjectID": a, "ScheduleState": "Accepted", "_PreviousValues.ScheduleState": "In-Progress"},
                     {"ObjectID": b, "ScheduleState": "Completed", "_PreviousValues.ScheduleState": "Defined"}]
    cycle = lb.results({"_TypeHierarchy": "HierarchicalRequirement", "ScheduleState": {"$in": ["Accepted"]},
                        "$or": [{"_PreviousValues.ScheduleState": {"$exists": True}}, {"_SnapshotNumber": 0}]})
    assert oids(cycle) == [a]
    assert oids(lb.results({"__At": "current", "$and": [{"Name": "A"}, {"PlanEstimate": 2}]})) == [a]
    assert oids(lb.results({"__At": "current", "_TypeHierarchy": "HierarchicalRequirement",
                            "$nor": [{"Name": "A"}, {"Name": "P"}]})) == [b]
    stories = {"__At": "current", "_TypeHierarchy": "HierarchicalRequirement"}
    assert oids(lb.results({**stories, "Blocked": {"$exists": False}})) == []
    assert len(lb.results({**stories, "Blocked": {"$exists": True}})) == 3


def test_arrays_children_tags_and_null(lb: Lookback, world: dict[str, Any]) -> None:
    a, b, parent = world["a"]["ObjectID"], world["b"]["ObjectID"], world["parent"]["ObjectID"]
    cur = {"__At": "current", "_TypeHierarchy": "HierarchicalRequirement"}
    assert oids(lb.results({**cur, "Children": None})) == sorted([a, b])  # leaf stories
    assert oids(lb.results({**cur, "Children": a})) == [parent]
    assert oids(lb.results({**cur, "Tags": world["tag"]["ObjectID"]})) == [a]
    row = lb.results({"ObjectID": parent, "__At": "current"}, fields=["Children"])
    assert row == [{"Children": sorted([a, b])}]


def test_hierarchies(lb: Lookback, wsapi: Wsapi, world: dict[str, Any]) -> None:
    a, b, parent = world["a"]["ObjectID"], world["b"]["ObjectID"], world["parent"]["ObjectID"]
    feature = world["feature"]["ObjectID"]
    cur = {"__At": "current"}
    under_feature = lb.results({**cur, "_ItemHierarchy": feature}, fields=["ObjectID", "_ItemHierarchy"])
    assert oids(under_feature) == sorted([feature, parent, a, b])
    assert {r["ObjectID"]: r["_ItemHierarchy"] for r in under_feature}[a] == [feature, parent, a]
    assert oids(lb.results({**cur, "_ItemHierarchy": {"$in": [a, b]}})) == sorted([a, b])
    project = wsapi.default_project()["ObjectID"]
    everything = lb.results({**cur, "_ProjectHierarchy": project})
    assert len(everything) == 6  # feature, 3 stories, defect, task
    assert lb.results({**cur, "_ProjectHierarchy": {"$ne": project}}) == []
    types = lb.results({**cur, "_TypeHierarchy": "PortfolioItem"}, fields=["ObjectID", "_TypeHierarchy"],
                       hydrate=["_TypeHierarchy"])
    assert types == [{"ObjectID": feature, "_TypeHierarchy": ["PersistableObject", "DomainObject",
                      "WorkspaceDomainObject", "Artifact", "PortfolioItem", "Feature"]}]
    by_path = lb.results({**cur, "_TypeHierarchy": "PortfolioItem/Feature"}, fields=["_TypeHierarchy"])
    assert by_path[0]["_TypeHierarchy"][-2] == -51078
    workspace_typedef = by_path[0]["_TypeHierarchy"][-1]
    assert oids(lb.results({**cur, "_TypeHierarchy": workspace_typedef})) == [feature]
    assert oids(lb.results({**cur, "_TypeHierarchy": {"$nin": ["HierarchicalRequirement", "Task"]}})) == sorted(
        [feature, world["defect"]["ObjectID"]])


def test_paging_is_stable_and_has_more(lb: Lookback, world: dict[str, Any]) -> None:
    find = {"_TypeHierarchy": "Artifact"}
    total = lb.query(find=find, pagesize=1)["TotalResultCount"]
    assert total >= 8
    seen: list[tuple[int, str]] = []
    start = 0
    while True:
        page = lb.query(find=find, start=start, pagesize=3, fields=["ObjectID", "_ValidFrom"])
        assert page["StartIndex"] == start and page["TotalResultCount"] == total
        seen.extend((r["ObjectID"], r["_ValidFrom"]) for r in page["Results"])
        if not page["HasMore"]:
            break
        assert len(page["Results"]) == 3
        start += 3
    assert len(seen) == total and len(set(seen)) <= total
    assert [s[1] for s in seen] == sorted(s[1] for s in seen)  # default order: _ValidFrom ascending
    assert lb.query(find=find, start=total + 5)["Results"] == []


def test_sort_descending_and_by_field(lb: Lookback, world: dict[str, Any]) -> None:
    a = world["a"]["ObjectID"]
    newest = lb.results({"ObjectID": a}, sort={"_ValidFrom": -1}, pagesize=1, fields=["ScheduleState"])
    assert newest == [{"ScheduleState": "Accepted"}]
    names = lb.results({"__At": "current", "_TypeHierarchy": "HierarchicalRequirement"}, sort={"Name": -1},
                       fields=["Name"])
    assert [r["Name"] for r in names] == ["P", "B", "A"]
    bare = lb.raw(method="GET", params={"find": '{"ObjectID": %d}' % a, "sort": "_SnapshotNumber"})  # noqa: UP031
    assert [r["_ValidFrom"] for r in bare.json()["Results"]] == sorted(r["_ValidFrom"] for r in bare.json()["Results"])


def test_fields_true_minimal_and_formatted_id(lb: Lookback, world: dict[str, Any]) -> None:
    a = world["a"]["ObjectID"]
    body = lb.query(find={"ObjectID": a}, fields=True, pagesize=1000)
    assert body["PageSize"] == 100 and body["Warnings"] == ["Max page size limited to 100 when fields=true"]
    assert body["GeneratedQuery"]["fields"] is True
    minimal = lb.results({"ObjectID": a, "__At": "current"})
    assert set(minimal[0]) == {"ObjectID", "_ValidFrom", "_ValidTo", "Project"}
    assert minimal[0]["_ValidTo"] == FOREVER
    fid = lb.results({"ObjectID": a, "__At": "current"}, fields=["FormattedID"])
    assert fid == [{"FormattedID": world["a"]["FormattedID"]}]
    assert lb.query(find={"ObjectID": a}, pagesize=50000)["PageSize"] == 20000


def test_hydrate_references(lb: Lookback, wsapi: Wsapi, world: dict[str, Any], emulator: Emulator) -> None:
    it = wsapi.create("iteration", {"Name": "Sprint 1", "StartDate": "2024-05-06", "EndDate": "2024-05-17"})
    emulator.advance_clock(60)
    wsapi.update(short(world["b"]["_ref"]), {"Iteration": it["_ref"]})
    rows = lb.results({"ObjectID": world["b"]["ObjectID"], "__At": "current"},
                      fields=["Iteration", "Project", "ScheduleState", "_PreviousValues.Iteration"],
                      hydrate=["Iteration", "Project", "ScheduleState", "_PreviousValues.Iteration"])
    row = rows[0]
    assert row["Iteration"] == {"ObjectID": it["ObjectID"], "Name": "Sprint 1",
                                "StartDate": "2024-05-06T00:00:00.000Z", "EndDate": "2024-05-17T00:00:00.000Z"}
    assert row["Project"]["Name"] == wsapi.default_project()["Name"]
    assert row["ScheduleState"] == "Completed"
    assert row["_PreviousValues.Iteration"] is None
    plain = lb.results({"ObjectID": world["b"]["ObjectID"], "__At": "current"}, fields=["Iteration"])
    assert plain == [{"Iteration": it["ObjectID"]}]


def test_compress_merges_runs_of_equal_requested_values(lb: Lookback, wsapi: Wsapi, world: dict[str, Any],
                                                        emulator: Emulator) -> None:
    a = world["a"]["ObjectID"]
    emulator.advance_clock(60)
    wsapi.update(short(world["a"]["_ref"]), {"Name": "A renamed"})  # a change to a field not requested
    full = lb.query(find={"ObjectID": a}, fields=["ObjectID", "ScheduleState", "_ValidFrom", "_ValidTo"])
    states = [r["ScheduleState"] for r in full["Results"]]
    assert states[-2:] == ["Accepted", "Accepted"]
    packed = lb.query(find={"ObjectID": a}, fields=["ObjectID", "ScheduleState", "_ValidFrom", "_ValidTo"],
                      compress=True)
    assert packed["TotalResultCount"] == full["TotalResultCount"]
    # Defined (create) + Defined (task added) merge, as do Accepted + Accepted (renamed)
    assert [r["ScheduleState"] for r in full["Results"]] == ["Defined", "Defined", "In-Progress", "Accepted",
                                                             "Accepted"]
    assert [r["ScheduleState"] for r in packed["Results"]] == ["Defined", "In-Progress", "Accepted"]
    assert packed["CompressedResultCount"] == 3
    assert packed["Results"][0]["_ValidTo"] == full["Results"][1]["_ValidTo"]
    assert packed["Results"][-1]["_ValidFrom"] == full["Results"][-2]["_ValidFrom"]
    assert packed["Results"][-1]["_ValidTo"] == FOREVER
    assert packed["GeneratedQuery"]["compress"] is True
