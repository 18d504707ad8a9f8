"""PortfolioItem rollups beyond the story ones: defects, totals, dates, estimates, late children.

Sources: the attributes, types and read-only flags are Rally's 2025 description; "the project
hierarchy does not affect portfolio item rollups ... Rollups are calculated following the
parent-child association" (rallydev help, Rally Portfolio Manager Best Practices); LateChildCount
counts the leaf stories "Assigned to later releases or iterations" than the feature's Release
(Rally's App SDK, Rally.ui.popover.PercentDonePopover).  The rest are the emulator's choices,
written in docs/emulator.md ("Portfolio item rollups").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from wsapi_client import API, Wsapi, inner, oid_of

from pyral.emulator import Emulator

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
DEFECTS = ("DefectCountRollup", "DefectPlanEstimateTotalRollup", "AcceptedDefectCountRollup",
           "AcceptedDefectEstimateTotalRollup", "UnEstimatedDefectCountRollup")
TOTALS = ("TotalCountRollup", "TotalEstimateRollup", "AcceptedTotalCountRollup", "AcceptedTotalEstimateRollup",
          "UnEstimatedTotalCountRollup")
PERCENTS = ("PercentDoneByDefectCountRollup", "PercentDoneByDefectEstimateRollup",
            "PercentDoneByTotalCountRollup", "PercentDoneByTotalEstimateRollup")


def stamp(seconds: int) -> str:
    return datetime.fromtimestamp(T0.timestamp() + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _get(wsapi: Wsapi, ref: str, names: tuple[str, ...]) -> tuple[Any, ...]:
    row = wsapi.read(ref, fetch=",".join(names))
    return tuple(row[n] for n in names)


def defects(wsapi: Wsapi, ref: str) -> tuple[Any, ...]:
    return _get(wsapi, ref, DEFECTS)


def totals(wsapi: Wsapi, ref: str) -> tuple[Any, ...]:
    return _get(wsapi, ref, TOTALS)


def story(wsapi: Wsapi, feature: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    given = {"Name": "S", **fields}
    if feature is not None:
        given["PortfolioItem"] = feature["_ref"]
    return wsapi.create("hierarchicalrequirement", given)


def defect(wsapi: Wsapi, requirement: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return wsapi.create("defect", {"Name": "D", "Requirement": requirement["_ref"], **fields})


def restore(wsapi: Wsapi, formatted_id: str) -> None:
    entry = wsapi.rows("recyclebinentry", query=f'(ID = "{formatted_id}")', fetch="ObjectID")[0]
    assert wsapi.request("POST", f"/emulator/recyclebin/{entry['ObjectID']}/restore").status_code == 200


def test_defects_and_totals_add_up_through_the_hierarchy(wsapi: Wsapi) -> None:
    epic = wsapi.create("portfolioitem/epic", {"Name": "E"})
    theme = wsapi.create("portfolioitem/theme", {"Name": "T", "Parent": epic["_ref"]})
    initiative = wsapi.create("portfolioitem/initiative", {"Name": "I", "Parent": theme["_ref"]})
    feature = wsapi.create("portfolioitem/feature", {"Name": "F", "Parent": initiative["_ref"]})
    assert defects(wsapi, feature["_ref"]) == (0, 0.0, 0, 0.0, 0)
    assert _get(wsapi, feature["_ref"], PERCENTS) == (0.0, 0.0, 0.0, 0.0)
    done = story(wsapi, feature, PlanEstimate=3, ScheduleState="Accepted")
    doing = story(wsapi, feature, PlanEstimate=5, ScheduleState="In-Progress")
    story(wsapi, feature)  # unestimated, Defined
    defect(wsapi, done, PlanEstimate=2, ScheduleState="Accepted")
    defect(wsapi, doing)
    defect(wsapi, story(wsapi, None))  # a story outside the feature: its defect does not count
    for ref in (feature["_ref"], initiative["_ref"], theme["_ref"], epic["_ref"]):  # every level above
        assert defects(wsapi, ref) == (2, 2.0, 1, 2.0, 1)
        assert totals(wsapi, ref) == (5, 10.0, 2, 5.0, 2)
        assert _get(wsapi, ref, PERCENTS) == (0.5, 1.0, 0.4, 0.5)


def test_every_write_path_moves_the_counts(wsapi: Wsapi) -> None:
    home = wsapi.create("portfolioitem/initiative", {"Name": "Home"})
    away = wsapi.create("portfolioitem/initiative", {"Name": "Away"})
    f1 = wsapi.create("portfolioitem/feature", {"Name": "F1", "Parent": home["_ref"]})
    f2 = wsapi.create("portfolioitem/feature", {"Name": "F2"})
    s1 = story(wsapi, f1, PlanEstimate=1)
    s2 = story(wsapi, f1, PlanEstimate=2)
    d1 = defect(wsapi, s1, PlanEstimate=3)
    d2 = defect(wsapi, s2)
    assert totals(wsapi, f1["_ref"]) == (4, 6.0, 0, 0.0, 1)
    # update: estimate and schedule state of a defect
    wsapi.update(d2["_ref"], {"PlanEstimate": 4, "ScheduleState": "Accepted"})
    assert defects(wsapi, f1["_ref"]) == (2, 7.0, 1, 4.0, 0)
    # reparent a defect to a story of another feature
    s3 = story(wsapi, f2)
    wsapi.update(d1["_ref"], {"Requirement": s3["_ref"]})
    assert defects(wsapi, f1["_ref"]) == (1, 4.0, 1, 4.0, 0) and defects(wsapi, f2["_ref"]) == (1, 3.0, 0, 0.0, 0)
    # collection add: the story (and its defect) leaves F1 for F2; remove takes it out of F2
    answer = wsapi.request("POST", f"{API}/portfolioitem/feature/{f2['ObjectID']}/UserStories/add",
                           json={"CollectionItems": [{"_ref": s2["_ref"]}]})
    assert answer.status_code == 200 and inner(answer.json())["Errors"] == []
    assert totals(wsapi, f1["_ref"]) == (1, 1.0, 0, 0.0, 0) and totals(wsapi, f2["_ref"]) == (4, 9.0, 1, 4.0, 1)
    assert wsapi.read(s2["_ref"], fetch="Feature")["Feature"]["_ref"].endswith(f"/{f2['ObjectID']}")
    answer = wsapi.request("POST", f"{API}/portfolioitem/feature/{f2['ObjectID']}/UserStories/remove",
                           json={"CollectionItems": [{"_ref": s2["_ref"]}]})
    assert answer.status_code == 200
    assert totals(wsapi, f2["_ref"]) == (2, 3.0, 0, 0.0, 1)
    wsapi.update(s2["_ref"], {"PortfolioItem": f1["_ref"]})
    # delete to the recycle bin and restore: a story takes its defects with it
    assert wsapi.delete(s2["_ref"])["Errors"] == []
    assert totals(wsapi, f1["_ref"]) == (1, 1.0, 0, 0.0, 0) and totals(wsapi, home["_ref"]) == (1, 1.0, 0, 0.0, 0)
    restore(wsapi, s2["FormattedID"])
    assert totals(wsapi, f1["_ref"]) == (3, 7.0, 1, 4.0, 0)
    assert wsapi.delete(d2["_ref"])["Errors"] == []
    assert defects(wsapi, f1["_ref"]) == (0, 0.0, 0, 0.0, 0)
    restore(wsapi, d2["FormattedID"])
    assert defects(wsapi, f1["_ref"]) == (1, 4.0, 1, 4.0, 0)
    # copy: the copy keeps its Requirement, so it counts too
    copied = wsapi.request("POST", f"{API}/defect/{d2['ObjectID']}/copy")
    assert copied.status_code == 200 and inner(copied.json())["Errors"] == []
    assert defects(wsapi, f1["_ref"])[:2] == (2, 8.0)
    # reparent the feature: the old ancestor loses everything, the new one gains it
    wsapi.update(f1["_ref"], {"Parent": away["_ref"]})
    assert totals(wsapi, home["_ref"]) == (0, 0.0, 0, 0.0, 0)
    assert totals(wsapi, away["_ref"]) == totals(wsapi, f1["_ref"]) == (4, 11.0, 2, 8.0, 0)
    # delete the feature: its ancestor stops counting it
    assert wsapi.delete(f1["_ref"])["Errors"] == []
    assert totals(wsapi, away["_ref"]) == (0, 0.0, 0, 0.0, 0)


def test_actual_dates_follow_the_leaf_stories(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    parent = wsapi.create("portfolioitem/initiative", {"Name": "I"})
    feature = wsapi.create("portfolioitem/feature", {"Name": "F", "Parent": parent["_ref"]})
    first, second = story(wsapi, feature), story(wsapi, feature)
    dates = ("ActualStartDate", "ActualEndDate")
    assert _get(wsapi, feature["_ref"], dates) == (None, None)
    emulator.advance_clock(60)
    wsapi.update(first["_ref"], {"ScheduleState": "In-Progress"})
    emulator.advance_clock(60)
    wsapi.update(second["_ref"], {"ScheduleState": "Completed"})
    assert _get(wsapi, feature["_ref"], dates) == (stamp(60), None)
    emulator.advance_clock(60)
    wsapi.update(first["_ref"], {"ScheduleState": "Accepted"})
    assert _get(wsapi, feature["_ref"], dates) == (stamp(60), None)  # one story is not accepted yet
    emulator.advance_clock(60)
    wsapi.update(second["_ref"], {"ScheduleState": "Accepted"})
    for ref in (feature["_ref"], parent["_ref"]):
        assert _get(wsapi, ref, dates) == (stamp(60), stamp(240))
    emulator.advance_clock(60)
    wsapi.update(second["_ref"], {"ScheduleState": "Completed"})  # reopened: not finished any more
    assert _get(wsapi, feature["_ref"], dates) == (stamp(60), None)
    story(wsapi, feature, ScheduleState="Accepted")
    wsapi.update(second["_ref"], {"PortfolioItem": None})  # the only unaccepted story leaves
    assert _get(wsapi, feature["_ref"], dates) == (stamp(60), stamp(300))


def test_state_changed_and_last_rollup_dates(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    state = wsapi.rows("state", query='((TypeDef.Name = "Feature") AND (Name = "Developing"))')[0]
    done = wsapi.rows("state", query='((TypeDef.Name = "Feature") AND (Name = "Done"))')[0]
    plain = wsapi.create("portfolioitem/feature", {"Name": "No state"})
    feature = wsapi.create("portfolioitem/feature", {"Name": "F", "State": state["_ref"]})
    names = ("StateChangedDate", "LastRollupDate")
    assert _get(wsapi, plain["_ref"], names) == (None, stamp(0))
    assert _get(wsapi, feature["_ref"], names) == (stamp(0), stamp(0))
    emulator.advance_clock(60)
    wsapi.update(feature["_ref"], {"Name": "Renamed"})
    assert _get(wsapi, feature["_ref"], names) == (stamp(0), stamp(0))  # neither state nor rollups changed
    emulator.advance_clock(60)
    story(wsapi, feature)
    assert _get(wsapi, feature["_ref"], names) == (stamp(0), stamp(120))
    emulator.advance_clock(60)
    wsapi.update(feature["_ref"], {"State": done["_ref"]})
    assert _get(wsapi, feature["_ref"], names) == (stamp(180), stamp(120))
    emulator.advance_clock(60)
    wsapi.update(feature["_ref"], {"State": None})
    assert _get(wsapi, feature["_ref"], names)[0] == stamp(240)
    wsapi.update(feature["_ref"], {"State": state["_ref"]})
    emulator.advance_clock(60)
    copied = inner(wsapi.request("POST", f"{API}/portfolioitem/feature/{feature['ObjectID']}/copy").json())
    assert copied["Errors"] == []  # the copy has the State, none of the stories: its own dates
    assert _get(wsapi, copied["_ref"], (*names, "LeafStoryCount")) == (stamp(300), stamp(300), 0)


def test_preliminary_estimate_values_follow_the_estimate(wsapi: Wsapi) -> None:
    estimates = {r["Name"]: r for r in wsapi.rows("preliminaryestimate", fetch="Name,Value")}
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    names = ("PreliminaryEstimateValue", "PreliminaryEstimateCountValue")
    assert _get(wsapi, feature["_ref"], names) == (None, None)
    wsapi.update(feature["_ref"], {"PreliminaryEstimate": estimates["M"]["_ref"]})
    assert _get(wsapi, feature["_ref"], names) == (estimates["M"]["Value"], None)
    wsapi.update(estimates["M"]["_ref"], {"Value": 21, "CountValue": 2})
    assert _get(wsapi, feature["_ref"], names) == (21, 2)
    epic = wsapi.create("portfolioitem/epic", {"Name": "E", "PreliminaryEstimate": estimates["XL"]["_ref"]})
    assert _get(wsapi, epic["_ref"], names) == (estimates["XL"]["Value"], None)
    wsapi.update(feature["_ref"], {"PreliminaryEstimate": None})
    assert _get(wsapi, feature["_ref"], names) == (None, None)


def test_late_child_count_follows_the_timeboxes(wsapi: Wsapi) -> None:
    r1 = wsapi.create("release", {"Name": "R1", "ReleaseStartDate": "2024-01-01", "ReleaseDate": "2024-03-31",
                                  "State": "Planning"})
    r2 = wsapi.create("release", {"Name": "R2", "ReleaseStartDate": "2024-04-01", "ReleaseDate": "2024-06-30",
                                  "State": "Planning"})
    it = wsapi.create("iteration", {"Name": "It", "StartDate": "2024-03-25", "EndDate": "2024-04-07",
                                    "State": "Planning"})
    feature = wsapi.create("portfolioitem/feature", {"Name": "F", "Release": r1["_ref"]})
    late = ("LateChildCount",)
    story(wsapi, feature, Release=r1["_ref"])
    assert _get(wsapi, feature["_ref"], late) == (0,)
    s = story(wsapi, feature, Iteration=it["_ref"])
    story(wsapi, feature, Release=r2["_ref"])
    story(wsapi, None, Release=r2["_ref"])  # not the feature's
    assert _get(wsapi, feature["_ref"], late) == (2,)
    wsapi.update(it["_ref"], {"EndDate": "2024-03-29"})
    assert _get(wsapi, feature["_ref"], late) == (1,)
    wsapi.update(r1["_ref"], {"ReleaseDate": "2024-07-31"})
    assert _get(wsapi, feature["_ref"], late) == (0,)
    wsapi.update(r1["_ref"], {"ReleaseDate": "2024-03-31"})
    wsapi.update(s["_ref"], {"Iteration": None, "Release": r2["_ref"]})
    assert _get(wsapi, feature["_ref"], late) == (2,)
    wsapi.update(feature["_ref"], {"Release": r2["_ref"]})
    assert _get(wsapi, feature["_ref"], late) == (0,)
    wsapi.update(feature["_ref"], {"Release": None})
    assert _get(wsapi, feature["_ref"], late) == (0,)


def test_queries_and_ordering_see_the_rollups(wsapi: Wsapi) -> None:
    small, big = (wsapi.create("portfolioitem/feature", {"Name": n}) for n in ("small", "big"))
    defect(wsapi, story(wsapi, small, ScheduleState="Accepted"), ScheduleState="Accepted")
    for _ in range(3):
        defect(wsapi, story(wsapi, big))
    rows = wsapi.rows("portfolioitem/feature", query="(TotalCountRollup > 2)", fetch="Name")
    assert [r["Name"] for r in rows] == ["big"]
    rows = wsapi.rows("portfolioitem/feature", query="(PercentDoneByTotalCountRollup = 1)", fetch="Name")
    assert [r["Name"] for r in rows] == ["small"]
    rows = wsapi.rows("portfolioitem/feature", order="DefectCountRollup desc", fetch="Name,DefectCountRollup")
    assert [(r["Name"], r["DefectCountRollup"]) for r in rows] == [("big", 3), ("small", 1)]
    rows = wsapi.rows("portfolioitem", order="PercentDoneByTotalCountRollup", fetch="Name")
    assert [r["Name"] for r in rows] == ["big", "small"]


def test_lookback_snapshots_carry_the_rollups(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    s = story(wsapi, feature)
    emulator.advance_clock(60)
    defect(wsapi, s, PlanEstimate=2)
    workspace = wsapi.default_workspace()["ObjectID"]
    answer = wsapi.http.post(f"/analytics/v2.0/service/rally/workspace/{workspace}/artifact/snapshot/query.js",
                             json={"find": {"ObjectID": feature["ObjectID"]},
                                   "fields": ["DefectCountRollup", "TotalEstimateRollup", "_ValidFrom"]})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["Results"]
    assert [(r.get("DefectCountRollup"), r.get("TotalEstimateRollup")) for r in rows][-2:] == [(0, 0.0), (1, 2.0)]
    assert rows[-1]["_ValidFrom"] == stamp(60)


@pytest.fixture
def editor(wsapi: Wsapi) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """A user who edits the default project and has no role in a second one."""
    hidden = wsapi.create("project", {"Name": "Hidden", "Workspace": wsapi.default_workspace()["_ref"]})
    client = wsapi.member("ed@example.com", "Editor")
    yield client, hidden
    client.close()


def test_a_non_admin_reads_rollups_of_work_it_cannot_see(wsapi: Wsapi,
                                                         editor: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, hidden = editor
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    defect(wsapi, story(wsapi, feature, PlanEstimate=2), PlanEstimate=1)
    defect(wsapi, story(wsapi, feature, Project=hidden["_ref"], PlanEstimate=5), Project=hidden["_ref"])
    mine = inner(client.get(f"{API}/portfolioitem/feature/{feature['ObjectID']}",
                            params={"fetch": ",".join(TOTALS + DEFECTS) + ",UserStories"}).json())
    assert mine["Errors"] == []
    assert tuple(mine[n] for n in TOTALS) == (4, 8.0, 0, 0.0, 1)  # the hidden project's work counts too
    assert mine["UserStories"]["Count"] == 1  # while the collection lists only what the reader may see


def test_bad_input_changes_no_rollup(wsapi: Wsapi, editor: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, _ = editor
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    s = story(wsapi, feature)
    d = defect(wsapi, s, PlanEstimate=2)
    estimate = wsapi.rows("preliminaryestimate", fetch="Value")[0]
    wsapi.update(feature["_ref"], {"PreliminaryEstimate": estimate["_ref"]})
    before = wsapi.fingerprint()
    bad = wsapi.update_raw(d["_ref"], {"Defect": {"Requirement": "/hierarchicalrequirement/999999999"}})
    assert bad["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    bad = wsapi.update_raw(d["_ref"], {"Defect": {"PlanEstimate": "lots"}})
    assert bad["Errors"]
    refused = inner(client.post(f"{API}/preliminaryestimate/{oid_of(estimate['_ref'])}",
                                json={"PreliminaryEstimate": {"Value": 99}}).json())
    assert refused["Errors"] and refused["Errors"][0].startswith("Not authorized")
    assert wsapi.fingerprint() == before
    echo = wsapi.update_raw(feature["_ref"], {"PortfolioItem/Feature": {"TotalCountRollup": 99,
                                                                        "ActualEndDate": "2024-01-01"}})
    assert echo["Errors"] == [] and any("TotalCountRollup" in w for w in echo["Warnings"])
    assert totals(wsapi, feature["_ref"]) == (2, 2.0, 0, 0.0, 1)
    assert _get(wsapi, feature["_ref"], ("PreliminaryEstimateValue", "ActualEndDate")) == (estimate["Value"], None)
