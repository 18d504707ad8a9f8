"""Flow metrics from Lookback snapshots: cumulative flow, burn-up, cycle time (pure functions).

Input is any iterable of snapshots (:class:`pyral.client.lookback.Snapshot` or plain dicts) that carry
``ObjectID``, ``_ValidFrom``, ``_ValidTo`` and the measured fields.  A day's value is the state at
the end of that day (midnight UTC of the next day), the convention of Rally's own charts.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..protocol.lookback import parse_time

SCHEDULE_STATES = ("Defined", "In-Progress", "Completed", "Accepted", "Released")
DONE_STATES = ("Accepted", "Released")


@dataclass
class DailySeries:
    """Named series over consecutive days (``series[name][i]`` belongs to ``days[i]``)."""

    days: list[date]
    series: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class CycleTime:
    """One item's trip from the start state to the end state."""

    object_id: Any
    started: datetime
    finished: datetime

    @property
    def days(self) -> float:
        """The cycle time in (fractional) days."""
        return (self.finished - self.started).total_seconds() / 86400


@dataclass(frozen=True)
class _Span:
    object_id: Any
    valid_from: datetime
    valid_to: datetime | None
    values: Mapping[str, Any]


def _raw(snapshot: Any) -> Mapping[str, Any]:
    data = getattr(snapshot, "data", snapshot)
    if not isinstance(data, Mapping):
        raise TypeError(f"a snapshot must be a mapping or have .data, not {type(snapshot).__name__}")
    return data


def _spans(snapshots: Iterable[Any]) -> list[_Span]:
    spans = []
    for snapshot in snapshots:
        data = _raw(snapshot)
        start = data.get("_ValidFrom")
        if not isinstance(start, str):
            raise ValueError("snapshots need _ValidFrom (request it in fields)")
        end = data.get("_ValidTo")
        spans.append(_Span(data.get("ObjectID"), parse_time(start),
                           parse_time(end) if isinstance(end, str) and not end.startswith("9999") else None,
                           data))
    return spans


def days_between(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive (a reversed range is an error)."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _day_ends(days: Sequence[date]) -> list[datetime]:
    return [parse_time(f"{d + timedelta(days=1)}T00:00:00+00:00") for d in days]


def _covered(span: _Span, ends: list[datetime]) -> range:
    """Indexes of the day ends that fall in ``[valid_from, valid_to)``."""
    first = bisect.bisect_left(ends, span.valid_from)
    last = len(ends) if span.valid_to is None else bisect.bisect_left(ends, span.valid_to)
    return range(first, last)


def _label(value: Any) -> str:
    return "" if value is None else str(value)


def cumulative_flow(snapshots: Iterable[Any], start: date, end: date, *, field: str = "ScheduleState",
                    states: Sequence[str] = SCHEDULE_STATES) -> DailySeries:
    """Per day, how many items were in each value of ``field`` (states in ``states`` order,
    then any others in the order met; a missing value counts as ``""``)."""
    days = days_between(start, end)
    ends = _day_ends(days)
    counts: dict[str, list[float]] = {s: [0.0] * len(days) for s in states}
    for span in _spans(snapshots):
        label = _label(span.values.get(field))
        row = counts.setdefault(label, [0.0] * len(days))
        for i in _covered(span, ends):
            row[i] += 1
    return DailySeries(days, counts)


def burnup(snapshots: Iterable[Any], start: date, end: date, *, measure: str | None = "PlanEstimate",
           field: str = "ScheduleState", done: Sequence[str] = DONE_STATES) -> DailySeries:
    """Per day: ``scope`` (sum of ``measure`` over every item; item count if ``measure`` is None)
    and ``done`` (the same over items whose ``field`` is in ``done``)."""
    days = days_between(start, end)
    ends = _day_ends(days)
    scope = [0.0] * len(days)
    finished = [0.0] * len(days)
    for span in _spans(snapshots):
        amount = 1.0 if measure is None else float(span.values.get(measure) or 0)
        is_done = _label(span.values.get(field)) in done
        for i in _covered(span, ends):
            scope[i] += amount
            if is_done:
                finished[i] += amount
    return DailySeries(days, {"scope": scope, "done": finished})


def cycle_times(snapshots: Iterable[Any], *, start_state: str = "In-Progress", end_state: str = "Accepted",
                field: str = "ScheduleState", states: Sequence[str] = SCHEDULE_STATES,
                since: date | None = None, until: date | None = None) -> list[CycleTime]:
    """Items that reached ``end_state`` (or a later state): from their first entry at or beyond
    ``start_state`` to their first entry at or beyond ``end_state``; ``since``/``until``
    (inclusive days) keep the items that finished in that range.  Sorted by finish time."""
    order = {s: i for i, s in enumerate(states)}
    for name in (start_state, end_state):
        if name not in order:
            raise ValueError(f"unknown state {name!r}; known: {', '.join(states)}")
    if order[end_state] < order[start_state]:
        raise ValueError(f"{end_state!r} comes before {start_state!r}")
    by_item: dict[Any, list[_Span]] = {}
    for span in _spans(snapshots):
        by_item.setdefault(span.object_id, []).append(span)
    lo = parse_time(f"{since}T00:00:00+00:00") if since else None
    hi = parse_time(f"{until + timedelta(days=1)}T00:00:00+00:00") if until else None
    out = []
    for object_id, spans in by_item.items():
        spans.sort(key=lambda s: s.valid_from)
        started = finished = None
        for span in spans:
            rank = order.get(_label(span.values.get(field)), -1)
            if started is None and rank >= order[start_state]:
                started = span.valid_from
            if rank >= order[end_state]:
                finished = span.valid_from
                break
        if started is None or finished is None:
            continue
        if (lo and finished < lo) or (hi and finished >= hi):
            continue
        out.append(CycleTime(object_id, started, finished))
    out.sort(key=lambda c: (c.finished, str(c.object_id)))
    return out
