"""``lookback`` and its helpers against the emulator's Lookback endpoint, over sockets, for both
``Rally`` and ``AsyncRally`` (through the test portal) where the behaviour is the same.

History is made with the emulator's clock: each write is stamped with the emulated time.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from client_helpers import CountingAsyncTransport

from pyral import AsyncRally, Rally
from pyral.client.lookback import AsyncLookbackResult, Record, Snapshot
from pyral.errors import RallyAuthError, RallyContextError, RallyLookbackError, RallyQuerySyntaxError
from pyral.protocol import oid_from_ref

T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)
DAY = 86400
Connect = Callable[..., tuple[Any, Any]]
STATE_FIELDS = ["ObjectID", "ScheduleState", "_PreviousValues.ScheduleState", "_ValidFrom", "_ValidTo"]


def _lookback_bodies(transport: Any, since: int = 0) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in transport.sent[since:] if "/analytics/v2.0/" in r.url.path]


def _sprint(rally: Any, emu: Any) -> tuple[int, int]:
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


def test_snapshots_with_attribute_access(connect_both: Connect, emu: Any) -> None:
    rally, transport = connect_both()
    a, _ = _sprint(rally, emu)
    mark = len(transport.sent)
    result = rally.lookback({"ObjectID": a}, fields=STATE_FIELDS + ["PlanEstimate"],
                            hydrate=["ScheduleState", "_PreviousValues.ScheduleState"], sort={"_ValidFrom": 1})
    assert result.resultCount == 3
    assert result.etl_date is not None and result.warnings == []
    snaps = list(result)
    assert all(isinstance(s, Snapshot) for s in snaps)
    assert [s.ScheduleState for s in snaps] == ["Defined", "In-Progress", "Accepted"]
    assert [s.get("_PreviousValues.ScheduleState") for s in snaps] == [None, "Defined", "In-Progress"]
    assert snaps[2].PlanEstimate == 2 and snaps[2].data["ObjectID"] == a
    assert snaps[0].valid_from == T0 and snaps[0].valid_to == T0 + timedelta(days=1)
    assert snaps[2].valid_to is None
    assert [r.method for r in transport.sent[mark:]] == ["POST"]
    workspace = oid_from_ref(rally.contextHelper.currentWorkspaceRef())
    assert transport.sent[mark].url.path.endswith(
        f"/analytics/v2.0/service/rally/workspace/{workspace}/artifact/snapshot/query.js")
    assert list(result) == []  # one pass, like Rally.get's result


def test_pages_are_fetched_concurrently_and_pinned(connect_both: Connect, emu: Any) -> None:
    rally, transport = connect_both()
    emu.set_clock(T0)
    oids = [int(rally.put("Defect", {"Name": f"D{i}"}).oid) for i in range(23)]
    mark, transport.max_in_flight = len(transport.sent), 0
    transport.delay = 0.05
    result = rally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID", "Name"], pagesize=5,
                            sort={"ObjectID": 1})
    got = [s.ObjectID for s in result]
    assert got == oids and result.resultCount == 23
    bodies = _lookback_bodies(transport, mark)
    assert sorted(b["start"] for b in bodies) == [0, 5, 10, 15, 20]
    assert bodies[0]["find"] == {"_TypeHierarchy": "Defect"}
    assert all(b["find"] == {"_TypeHierarchy": "Defect", "_ValidFrom": {"$lte": result.etl_date}}
               for b in bodies[1:])
    assert result.max_threads == 4 and transport.max_in_flight > 1
    transport.max_in_flight = 0
    one_by_one = rally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID"], pagesize=5,
                                sort={"ObjectID": 1}, threads=1)
    assert [s.ObjectID for s in one_by_one] == oids
    assert one_by_one.max_threads == 1 and transport.max_in_flight == 1


def test_limit_stops_early(connect_both: Connect, emu: Any) -> None:
    rally, transport = connect_both()
    emu.set_clock(T0)
    for i in range(12):
        rally.put("Defect", {"Name": f"D{i}"})
    mark = len(transport.sent)
    result = rally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID"], pagesize=5, limit=7)
    assert len(list(result)) == 7
    assert sorted(b["start"] for b in _lookback_bodies(transport, mark)) == [0, 5]
    assert [b["pagesize"] for b in _lookback_bodies(transport, mark)] == [5, 5]


def test_state_at_a_date(connect_both: Connect, emu: Any) -> None:
    rally, _ = connect_both()
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


def test_transitions_of_a_field(connect_both: Connect, emu: Any) -> None:
    rally, _ = connect_both()
    a, b = _sprint(rally, emu)
    moves = rally.lookback_transitions("ScheduleState", T0, T0 + timedelta(days=10),
                                       {"_TypeHierarchy": "HierarchicalRequirement"})
    assert [(t.object_id, t.before, t.after, t.at) for t in moves] == [
        (a, None, "Defined", T0), (a, "Defined", "In-Progress", T0 + timedelta(days=1)),
        (b, None, "Defined", T0 + timedelta(days=2)), (a, "In-Progress", "Accepted", T0 + timedelta(days=3))]
    accepted = rally.lookback_transitions("ScheduleState", date(2024, 3, 1), date(2024, 3, 8),
                                          {"ObjectID": a}, to_value="Accepted")
    assert [(t.before, t.after) for t in accepted] == [("In-Progress", "Accepted")]
    left = rally.lookback_transitions("ScheduleState", T0, T0 + timedelta(days=10), {"ObjectID": a},
                                      from_value="Defined")
    assert [(t.before, t.after) for t in left] == [("Defined", "In-Progress")]
    assert accepted[0].user is not None and isinstance(accepted[0].snapshot, Snapshot)
    estimates = rally.lookback_transitions("PlanEstimate", T0 + timedelta(hours=1), T0 + timedelta(days=10),
                                           {"ObjectID": a}, hydrate=False)
    assert [(t.before, t.after) for t in estimates] == [(3, 2)]


def test_compress_merges_runs_of_unrequested_changes(connect_both: Connect, emu: Any) -> None:
    rally, _ = connect_both()
    a, _ = _sprint(rally, emu)
    rally.post("HierarchicalRequirement", {"ObjectID": a, "Name": "A renamed"})
    full = rally.lookback({"ObjectID": a}, fields=["ObjectID", "ScheduleState"], hydrate=["ScheduleState"])
    merged = rally.lookback({"ObjectID": a}, fields=["ObjectID", "ScheduleState"], hydrate=["ScheduleState"],
                            compress=True)
    assert len(list(full)) == 4
    assert [s.ScheduleState for s in merged] == ["Defined", "In-Progress", "Accepted"]
    assert merged.resultCount == 4 and merged.compressedResultCount == 3


def test_dataframe(connect: Connect, emu: Any) -> None:
    pandas = importlib.import_module("pandas")  # setup.sh installs every extra: fail, not skip
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


def test_rallys_errors_raise_with_its_texts(connect_both: Connect, emu: Any) -> None:
    rally, transport = connect_both()
    with pytest.raises(RallyLookbackError) as info:
        rally.lookback({"ObjectID": {"$where": "1"}})
    assert info.value.status_code == 400 and info.value.errors
    assert "$where" in info.value.errors[0] and info.value.errors[0] in str(info.value)
    with pytest.raises(RallyLookbackError) as info:
        rally.lookback({"ObjectID": 1}, workspace=987654321)
    assert info.value.status_code in (403, 404)


def test_bad_input_sends_nothing(connect_both: Connect, emu: Any) -> None:
    rally, transport = connect_both()
    mark = len(transport.sent)
    with pytest.raises(RallyQuerySyntaxError, match="not valid JSON"):
        rally.lookback("{ObjectID: ")
    with pytest.raises(ValueError, match="pagesize"):
        rally.lookback({}, pagesize=0)
    with pytest.raises(RallyContextError, match="No Such Workspace"):
        rally.lookback({}, workspace="No Such Workspace")
    assert _lookback_bodies(transport, mark) == []


def test_bad_credentials(connect_both: Connect, emu: Any) -> None:
    rally, _ = connect_both()
    rally._transport._client.headers["ZSESSIONID"] = "not-a-key"
    with pytest.raises(RallyAuthError):
        rally.lookback({"ObjectID": 1})


def test_record_of_a_hydrated_reference(connect_both: Connect, emu: Any) -> None:
    rally, _ = connect_both()
    emu.set_clock(T0)
    story = rally.put("HierarchicalRequirement", {"Name": "A"})
    snap = next(rally.lookback({"ObjectID": int(story.oid)}, fields=["ObjectID", "Project"], hydrate=["Project"]))
    assert isinstance(snap.Project, Record) and snap.Project.Name == rally.getProject().Name


def test_async_result(emu: Any) -> None:
    pandas = importlib.import_module("pandas")  # setup.sh installs every extra: fail, not skip
    with Rally(emu.url, apikey=emu.admin_api_key) as rally:
        emu.set_clock(T0)
        for i in range(12):
            rally.put("Defect", {"Name": f"D{i}"})

    async def main() -> None:
        transport = CountingAsyncTransport(delay=0.02)
        async with AsyncRally(emu.url, apikey=emu.admin_api_key, http_transport=transport) as arally:
            result = await arally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID", "Name"], pagesize=2,
                                           sort={"ObjectID": 1})
            assert isinstance(result, AsyncLookbackResult) and result.resultCount == 12
            first = [snap async for snap in result][:3]
            assert [s.Name for s in first] == ["D0", "D1", "D2"]
            assert result.max_threads == 4 and transport.max_in_flight > 1
            frame = await (await arally.lookback({"_TypeHierarchy": "Defect"}, fields=["Name"])).to_dataframe()
            assert isinstance(frame, pandas.DataFrame) and sorted(frame["Name"]) == sorted(f"D{i}" for i in range(12))
            early = await arally.lookback({"_TypeHierarchy": "Defect"}, fields=["ObjectID"], pagesize=1)
            async for _ in early:
                break  # leaving early cancels the pages in flight
            sent = len(transport.sent)
            await asyncio.sleep(0.1)
            assert len(transport.sent) == sent and transport.in_flight == 0
            moves = await arally.lookback_transitions("Name", T0, T0 + timedelta(days=1), {"_TypeHierarchy": "Defect"},
                                                      hydrate=False)
            assert len(moves) == 12 and all(t.before is None for t in moves)
    asyncio.run(main())
