"""``Rally.lookback`` and its helpers against the emulator's Lookback endpoint, over sockets.

History is made with the emulator's clock: each write is stamped with the emulated time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from client_helpers import CountingTransport

from pyral import Rally
from pyral.client.lookback import LookbackResult, Record, Snapshot
from pyral.errors import RallyAuthError, RallyContextError, RallyLookbackError, RallyQuerySyntaxError

T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)
DAY = 86400
Connect = Callable[..., tuple[Rally, CountingTransport]]
STATE_FIELDS = ["ObjectID", "ScheduleState", "_PreviousValues.ScheduleState", "_ValidFrom", "_ValidTo"]


def _lookback_bodies(transport: CountingTransport) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in transport.sent if "/analytics/v2.0/" in r.url.path]


def _sprint(rally: Rally, emu: Any) -> tuple[int, int]:
    """Story A: Defined → In-Progress (day 1) → Accepted (day 3); story B created day 2, deleted day 4."""
    emu.set_clock(T0)
    a = rally.put("HierarchicalRequirement", {"Name": "A", "PlanEstimate": 3})
    emu.advance_clock(DAY)
    rally.post("HierarchicalRequirement", {"ObjectID": a.oid, "ScheduleState": "In-Progress"})
    emu.advance_clock(DAY)
    b = rally.put("HierarchicalRequirement", {"Name": "B", "PlanEstimate": 5})
    emu.advance_clock(DAY)
    rally.post("HierarchicalRequirement", {"ObjectID": a.oid, "ScheduleState": "Accepted", "PlanEstimate": 2})
    emu.advance_clock(DAY)
    rally.delete("HierarchicalRequirement", b.oid)
    return int(a.oid), int(b.oid)


def test_snapshots_with_attribute_access(connect: Connect, emu: Any) -> None:
    rally, transport = connect()
    a, _ = _sprint(rally, emu)
    transport.reset()
    result = rally.lookback({"ObjectID": a}, fields=STATE_FIELDS + ["PlanEstimate"],
                            hydrate=["ScheduleState", "_PreviousValues.ScheduleState"], sort={"_ValidFrom": 1})
    assert isinstance(result, LookbackResult) and result.resultCount == 3
    assert result.etl_date is not None and result.warnings == []
    snaps = list(result)
    assert all(isinstance(s, Snapshot) for s in snaps)
    assert [s.ScheduleState for s in snaps] == ["Defined", "In-Progress", "Accepted"]
    assert [s.get("_PreviousValues.ScheduleState") for s in snaps] == [None, "Defined", "In-Progress"]
    assert snaps[2].PlanEstimate == 2 and snaps[2].data["ObjectID"] == a
    assert snaps[0].valid_from == T0 and snaps[0].valid_to == T0 + timedelta(days=1)
    assert snaps[2].valid_to is None
    assert [r.method for r in transport.sent] == ["POST"]
    assert transport.sent[0].url.path.endswith(
        f"/analytics/v2.0/service/rally/workspace/{rally._lookback_workspace('current')}"
        "/artifact/snapshot/query.js")
    assert list(result) == []  # one pass, like Rally.get's result


def test_pages_are_fetched_concurrently_and_pinned(connect: Connect, emu: Any) -> None:
    rally, transport = connect()
    emu.set_clock(T0)
    oids = [int(rally.put("Defect", {"Name": f"D{i}"}).oid) for i in range(23)]
    transport.reset()
    transport.delay = 0.05
    result = rally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID", "Name"], pagesize=5,
                            sort={"ObjectID": 1})
    got = [s.ObjectID for s in result]
    assert got == oids and result.resultCount == 23
    bodies = _lookback_bodies(transport)
    assert sorted(b["start"] for b in bodies) == [0, 5, 10, 15, 20]
    assert bodies[0]["find"] == {"_TypeHierarchy": "Defect"}
    assert all(b["find"] == {"_TypeHierarchy": "Defect", "_ValidFrom": {"$lte": result.etl_date}}
               for b in bodies[1:])
    assert result.max_threads == 4 and transport.max_in_flight > 1
    transport.reset()
    one_by_one = rally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID"], pagesize=5,
                                sort={"ObjectID": 1}, threads=1)
    assert [s.ObjectID for s in one_by_one] == oids
    assert one_by_one.max_threads == 1 and transport.max_in_flight == 1


def test_limit_stops_early(connect: Connect, emu: Any) -> None:
    rally, transport = connect()
    emu.set_clock(T0)
    for i in range(12):
        rally.put("Defect", {"Name": f"D{i}"})
    transport.reset()
    result = rally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID"], pagesize=5, limit=7)
    assert len(list(result)) == 7
    assert sorted(b["start"] for b in _lookback_bodies(transport)) == [0, 5]
    assert [b["pagesize"] for b in _lookback_bodies(transport)] == [5, 5]


def test_state_at_a_date(connect: Connect, emu: Any) -> None:
    rally, _ = connect()
    a, b = _sprint(rally, emu)
    fields = ["ObjectID", "ScheduleState", "PlanEstimate"]
    day2 = {s.ObjectID: (s.ScheduleState, s.PlanEstimate)
            for s in rally.lookback_at(date(2024, 3, 3), {"_TypeHierarchy": "HierarchicalRequirement"},
                                       fields=fields, hydrate=["ScheduleState"])}
    assert day2 == {a: ("In-Progress", 3), b: ("Defined", 5)}
    now = rally.lookback_at("current", {"_TypeHierarchy": "HierarchicalRequirement"}, fields=fields,
                            hydrate="ScheduleState")
    assert [(s.ObjectID, s.ScheduleState) for s in now] == [(a, "Accepted")]  # B was deleted
    before = rally.lookback_at(T0 - timedelta(hours=1), {"ObjectID": {"$in": [a, b]}})
    assert before.resultCount == 0 and list(before) == []


def test_transitions_of_a_field(connect: Connect, emu: Any) -> None:
    rally, _ = connect()
    a, b = _sprint(rally, emu)
    moves = rally.lookback_transitions("ScheduleState", T0, T0 + timedelta(days=10),
                                       {"_TypeHierarchy": "HierarchicalRequirement"})
    assert [(t.object_id, t.before, t.after, t.at) for t in moves] == [
        (a, None, "Defined", T0), (a, "Defined", "In-Progress", T0 + timedelta(days=1)),
        (b, None, "Defined", T0 + timedelta(days=2)), (a, "In-Progress", "Accepted", T0 + timedelta(days=3))]
    accepted = rally.lookback_transitions("ScheduleState", date(2024, 3, 1), date(2024, 3, 8),
                                          {"ObjectID": a}, to_value="Accepted")
    assert [(t.before, t.after) for t in accepted] == [("In-Progress", "Accepted")]
    assert accepted[0].user is not None and isinstance(accepted[0].snapshot, Snapshot)
    estimates = rally.lookback_transitions("PlanEstimate", T0 + timedelta(hours=1), T0 + timedelta(days=10),
                                           {"ObjectID": a}, hydrate=False)
    assert [(t.before, t.after) for t in estimates] == [(3, 2)]


def test_compress_merges_runs_of_unrequested_changes(connect: Connect, emu: Any) -> None:
    rally, _ = connect()
    a, _ = _sprint(rally, emu)
    rally.post("HierarchicalRequirement", {"ObjectID": a, "Name": "A renamed"})
    full = rally.lookback({"ObjectID": a}, fields=["ObjectID", "ScheduleState"], hydrate=["ScheduleState"])
    merged = rally.lookback({"ObjectID": a}, fields=["ObjectID", "ScheduleState"], hydrate=["ScheduleState"],
                            compress=True)
    assert len(list(full)) == 4
    assert [s.ScheduleState for s in merged] == ["Defined", "In-Progress", "Accepted"]
    assert merged.resultCount == 4 and merged.compressedResultCount == 3


def test_dataframe(connect: Connect, emu: Any) -> None:
    pandas = pytest.importorskip("pandas")
    rally, _ = connect()
    a, _ = _sprint(rally, emu)
    frame = rally.lookback({"ObjectID": a}, fields=STATE_FIELDS, hydrate=["ScheduleState"],
                           sort={"_ValidFrom": 1}).to_dataframe()
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 3
    assert list(frame["ScheduleState"]) == ["Defined", "In-Progress", "Accepted"]
    assert "_ValidFrom" in frame.columns and "ObjectID" in frame.columns


def test_dataframe_without_pandas_is_a_clear_error(connect: Connect, emu: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rally, _ = connect()
    emu.set_clock(T0)
    rally.put("Defect", {"Name": "D"})
    result = rally.lookback({"_TypeHierarchy": "Defect"})
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'pyral\[pandas\]'"):
        result.to_dataframe()


def test_rallys_errors_raise_with_its_texts(connect: Connect, emu: Any) -> None:
    rally, transport = connect()
    with pytest.raises(RallyLookbackError) as info:
        rally.lookback({"ObjectID": {"$where": "1"}})
    assert info.value.status_code == 400 and info.value.errors
    assert "$where" in info.value.errors[0] and info.value.errors[0] in str(info.value)
    with pytest.raises(RallyLookbackError) as info:
        rally.lookback({"ObjectID": 1}, workspace=987654321)
    assert info.value.status_code in (403, 404)


def test_bad_input_sends_nothing(connect: Connect, emu: Any) -> None:
    rally, transport = connect()
    transport.reset()
    with pytest.raises(RallyQuerySyntaxError, match="not valid JSON"):
        rally.lookback("{ObjectID: ")
    with pytest.raises(ValueError, match="pagesize"):
        rally.lookback({}, pagesize=0)
    with pytest.raises(RallyContextError, match="No Such Workspace"):
        rally.lookback({}, workspace="No Such Workspace")
    assert _lookback_bodies(transport) == []


def test_bad_credentials(connect: Connect, emu: Any) -> None:
    rally, _ = connect()
    rally._transport._client.headers["ZSESSIONID"] = "not-a-key"
    with pytest.raises(RallyAuthError):
        rally.lookback({"ObjectID": 1})


def test_record_of_a_hydrated_reference(connect: Connect, emu: Any) -> None:
    rally, _ = connect()
    emu.set_clock(T0)
    story = rally.put("HierarchicalRequirement", {"Name": "A"})
    snap = next(rally.lookback({"ObjectID": int(story.oid)}, fields=["ObjectID", "Project"], hydrate=["Project"]))
    assert isinstance(snap.Project, Record) and snap.Project.Name == rally.getProject().Name
