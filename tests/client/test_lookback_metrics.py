"""Cumulative flow, burn-up and cycle time computed from synthetic snapshot histories."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pyral.client.lookback import Snapshot
from pyral.model.lookback_metrics import burnup, cumulative_flow, cycle_times, days_between

END = "9999-01-01T00:00:00.000Z"


def _history(oid: int, *changes: tuple[str, str, float | None]) -> list[dict[str, object]]:
    """Snapshots of one item: (valid-from, state, estimate) per change, each closing the previous."""
    out = []
    for i, (when, state, estimate) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else END
        out.append({"ObjectID": oid, "_ValidFrom": when, "_ValidTo": until, "ScheduleState": state,
                    "PlanEstimate": estimate})
    return out


SNAPS = (
    _history(1, ("2024-03-01T09:00:00.000Z", "Defined", 3), ("2024-03-02T10:00:00.000Z", "In-Progress", 3),
             ("2024-03-04T10:00:00.000Z", "Accepted", 3))
    + _history(2, ("2024-03-02T09:00:00.000Z", "Defined", 5), ("2024-03-03T12:00:00.000Z", "In-Progress", 8))
    # created and deleted within the range: its last snapshot closes on 03-03
    + [{"ObjectID": 3, "_ValidFrom": "2024-03-01T00:00:00.000Z", "_ValidTo": "2024-03-03T08:00:00.000Z",
        "ScheduleState": "Defined", "PlanEstimate": 1}]
    # went straight to Accepted on day 3, before the range on day 0
    + _history(4, ("2024-02-28T10:00:00.000Z", "Defined", 2), ("2024-03-03T23:59:59.999Z", "Accepted", 2))
)


def test_cumulative_flow_counts_the_state_at_each_days_end() -> None:
    flow = cumulative_flow([Snapshot(s) for s in SNAPS], date(2024, 3, 1), date(2024, 3, 4))
    assert flow.days == days_between(date(2024, 3, 1), date(2024, 3, 4))
    assert list(flow.series)[:4] == ["Defined", "In-Progress", "Completed", "Accepted"]
    assert flow.series["Defined"] == [3, 3, 0, 0]
    assert flow.series["In-Progress"] == [0, 1, 2, 1]
    assert flow.series["Accepted"] == [0, 0, 1, 2]
    assert flow.series["Completed"] == [0, 0, 0, 0]


def test_unknown_states_come_last() -> None:
    snaps = [{"ObjectID": 9, "_ValidFrom": "2024-03-01T00:00:00.000Z", "_ValidTo": END, "ScheduleState": "Idea"},
             {"ObjectID": 8, "_ValidFrom": "2024-03-01T00:00:00.000Z", "_ValidTo": END}]
    flow = cumulative_flow(snaps, date(2024, 3, 1), date(2024, 3, 1), states=["Defined"])
    assert flow.series == {"Defined": [0], "Idea": [1], "": [1]}


def test_burnup_sums_estimates_of_scope_and_done() -> None:
    up = burnup(SNAPS, date(2024, 3, 1), date(2024, 3, 4))
    assert up.series["scope"] == [6, 11, 13, 13]
    assert up.series["done"] == [0, 0, 2, 5]
    counted = burnup(SNAPS, date(2024, 3, 1), date(2024, 3, 4), measure=None)
    assert counted.series["scope"] == [3, 4, 3, 3]


def test_cycle_times() -> None:
    times = cycle_times(SNAPS)
    assert [(c.object_id, c.days) for c in times] == [(4, 0.0), (1, 2.0)]
    assert times[1].started == datetime(2024, 3, 2, 10, tzinfo=UTC)
    assert [c.object_id for c in cycle_times(SNAPS, since=date(2024, 3, 4))] == [1]
    assert cycle_times(SNAPS, until=date(2024, 3, 2)) == []
    assert [c.object_id for c in cycle_times(SNAPS, start_state="Defined", end_state="In-Progress")] == [1, 2, 4]


@pytest.mark.parametrize(("call", "text"), [
    (lambda: cumulative_flow(SNAPS, date(2024, 3, 4), date(2024, 3, 1)), "ends"),
    (lambda: cycle_times(SNAPS, start_state="Doing"), "unknown state 'Doing'"),
    (lambda: cycle_times(SNAPS, start_state="Accepted", end_state="Defined"), "comes before"),
    (lambda: burnup([{"ObjectID": 1}], date(2024, 3, 1), date(2024, 3, 2)), "_ValidFrom"),
    (lambda: burnup([42], date(2024, 3, 1), date(2024, 3, 2)), "mapping"),
])
def test_bad_input(call: object, text: str) -> None:
    with pytest.raises((ValueError, TypeError), match=text):
        call()  # type: ignore[operator]
