"""Timebox and capacity rollups kept true after every write (docs/emulator.md, "Test runs,
timeboxes, discussion").

* ``ChildrenPlannedVelocity`` of an Iteration/Release: the sum of the PlannedVelocity of the
  timeboxes of the same type, Name and dates in the projects below its own (Rally's timebox pages
  roll up "all projects that have the same iteration name and time box").
* ``Release.ReleaseBacklogItemsCount``: the live schedulable items of the release that no iteration holds.
* ``UserIterationCapacity.TaskEstimates``: the Estimates of the user's live tasks in the iteration and
  project; ``Load`` = TaskEstimates / Capacity (null when Capacity is 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .backend import Backend
from .store import Row, value_sql

SCHEDULABLE = ("HierarchicalRequirement", "Defect", "DefectSuite", "TestSet")
DATES = {"Iteration": ("StartDate", "EndDate"), "Release": ("ReleaseStartDate", "ReleaseDate")}


def after_write(backend: Backend, row: Row, before: Row | None, *, alive: bool = True) -> None:
    """Recompute the timebox and capacity rollups that depend on ``row``."""
    old = before.data if before else {}
    new = row.data if alive else {}
    born_or_gone = before is None or not alive
    if row.type in DATES:
        _same_timeboxes_above(backend, row, {old.get("Name"), new.get("Name")} - {None})
        if alive:
            children_velocity(backend, row.oid)
            if row.type == "Release" and before is None:
                release_backlog(backend, row.oid)
    elif row.type == "Project" and before is not None and old.get("Parent") != new.get("Parent"):
        for top in _ids(old.get("Parent"), new.get("Parent")):
            for project in [top, *_ancestors(backend, top)]:
                for (timebox,) in backend.store.execute(
                        "SELECT oid FROM objects WHERE type IN ('Iteration', 'Release') AND deleted = 0"
                        " AND project = ?", [project]):
                    children_velocity(backend, int(timebox))
    elif row.type in SCHEDULABLE:
        moved = born_or_gone or (before is not None and before.project != row.project)
        if born_or_gone or old.get("Release") != new.get("Release") or old.get("Iteration") != new.get("Iteration"):
            for release in _ids(old.get("Release"), new.get("Release")):
                release_backlog(backend, release)
        if moved or old.get("Iteration") != new.get("Iteration"):
            capacities(backend, _ids(old.get("Iteration"), new.get("Iteration")))
    elif row.type == "Task":
        if born_or_gone or any(old.get(k) != new.get(k) for k in ("Owner", "Iteration", "Estimate")):
            capacities(backend, _ids(old.get("Iteration"), new.get("Iteration")))
    elif row.type == "UserIterationCapacity" and alive:
        capacity(backend, row.oid)


def children_velocity(backend: Backend, timebox: int) -> None:
    store = backend.store
    row = store.get(timebox)
    if row is None or row.type not in DATES or row.project is None:
        return
    below = _descendants(backend, row.project)
    total = 0.0
    if below:
        start, end = DATES[row.type]
        marks = ",".join("?" * len(below))
        total = float(store.execute(
            f"SELECT coalesce(sum({value_sql('o', 'PlannedVelocity')}), 0) FROM objects o"
            f" WHERE o.type = ? AND o.deleted = 0 AND o.project IN ({marks}) AND {value_sql('o', 'Name')} = ?"
            f" AND {value_sql('o', start)} IS ? AND {value_sql('o', end)} IS ?",
            [row.type, *below, row.data.get("Name"), row.data.get(start), row.data.get(end)])[0][0])
    backend.store.save_derived(row, {"ChildrenPlannedVelocity": round(total, 6)})


def release_backlog(backend: Backend, release: int) -> None:
    store = backend.store
    row = store.get(release)
    if row is None or row.type != "Release":
        return
    count = 0
    for type_name in SCHEDULABLE:  # one range of the (type, workspace, deleted, Release) index each
        count += store.execute(
            f"SELECT count(*) FROM objects o WHERE o.type = ? AND o.workspace = ? AND o.deleted = 0"
            f" AND {value_sql('o', 'Release')} = ? AND {value_sql('o', 'Iteration')} IS NULL",
            [type_name, row.workspace, release])[0][0]
    backend.store.save_derived(row, {"ReleaseBacklogItemsCount": int(count)})


def capacities(backend: Backend, iterations: Iterable[int]) -> None:
    """Recompute every capacity of these iterations (a team has a handful per iteration)."""
    for iteration in set(iterations):
        timebox = backend.store.get(iteration)
        if timebox is None:
            continue
        for (oid,) in backend.store.execute(
                f"SELECT o.oid FROM objects o WHERE o.type = 'UserIterationCapacity' AND o.workspace = ?"
                f" AND o.deleted = 0 AND {value_sql('o', 'Iteration')} = ?", [timebox.workspace, iteration]):
            capacity(backend, int(oid))


def capacity(backend: Backend, oid: int) -> None:
    store = backend.store
    row = store.get(oid)
    if row is None or row.type != "UserIterationCapacity":
        return
    estimates = float(store.execute(
        f"SELECT coalesce(sum({value_sql('t', 'Estimate')}), 0) FROM objects t WHERE t.type = 'Task'"
        f" AND t.workspace = ? AND t.deleted = 0 AND {value_sql('t', 'Owner')} = ?"
        f" AND {value_sql('t', 'Iteration')} = ? AND t.project = ?",
        [row.workspace, row.data.get("User"), row.data.get("Iteration"), row.project])[0][0])
    cap = row.data.get("Capacity")
    load = round(estimates / float(cap), 2) if isinstance(cap, int | float) and cap else None
    backend.store.save_derived(row, {"TaskEstimates": round(estimates, 6), "Load": load})


def _same_timeboxes_above(backend: Backend, row: Row, names: set[Any]) -> None:
    """The timeboxes of ``row``'s type and name(s) in the projects above it count ``row``."""
    if row.project is None or not names:
        return
    above = _ancestors(backend, row.project)
    if not above:
        return
    marks, nmarks = ",".join("?" * len(above)), ",".join("?" * len(names))
    for (oid,) in backend.store.execute(
            f"SELECT o.oid FROM objects o WHERE o.type = ? AND o.deleted = 0 AND o.project IN ({marks})"
            f" AND {value_sql('o', 'Name')} IN ({nmarks})", [row.type, *above, *names]):
        children_velocity(backend, int(oid))


def _ancestors(backend: Backend, project: int) -> list[int]:
    out: list[int] = []
    current = backend.store.get(project)
    while current is not None and current.data.get("Parent") and int(current.data["Parent"]) not in out:
        out.append(int(current.data["Parent"]))
        current = backend.store.get(out[-1])
    return out


def _descendants(backend: Backend, project: int) -> list[int]:
    out: list[int] = []
    frontier = [project]
    while frontier:
        marks = ",".join("?" * len(frontier))
        rows = backend.store.execute(
            f"SELECT oid FROM objects WHERE type = 'Project' AND deleted = 0"
            f" AND {value_sql('objects', 'Parent')} IN ({marks})", frontier)
        frontier = [int(r[0]) for r in rows if int(r[0]) not in out and int(r[0]) != project]
        out.extend(frontier)
    return out


def _ids(*values: Any) -> set[int]:
    return {int(v) for v in values if v is not None}
