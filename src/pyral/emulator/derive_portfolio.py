"""PortfolioItem rollups, kept true after every write (rules and sources: docs/emulator.md).

Every portfolio item level (any type under PortfolioItem) gets, from the user stories attached to
it or to its descendants (its *leaf stories*) and the defects of those stories: story and defect
counts and estimates, accepted ones, unestimated ones, percents done, the actual start and end
dates, LateChildCount (where the level has it), its PreliminaryEstimate's values, StateChangedDate
and LastRollupDate.  A recomputation is a few aggregate SQL statements on the item and its
ancestors; derived writes do not bump versions.
"""

from __future__ import annotations

from typing import Any

from .backend import Backend
from .store import Row, value_sql

# What a change of one of these types' attributes changes in the rollups.
_TIMEBOX_DATE = {"Iteration": "EndDate", "Release": "ReleaseDate"}
_ESTIMATE_VALUES = ("Value", "CountValue")


def is_portfolio_item(backend: Backend, type_path: str) -> bool:
    """Is ``type_path`` a PortfolioItem level (by the type hierarchy, whatever its name)?"""
    tdef = backend.catalog.get(type_path)
    return tdef is not None and not tdef.abstract and backend.catalog.is_a(tdef, "PortfolioItem")


def after_write(backend: Backend, row: Row, before: Row | None, *, alive: bool = True) -> None:
    """Recompute the portfolio rollups that ``row``'s write changes (stories are handled by
    :func:`pyral.emulator.derive.after_write`, which calls :func:`rollup` for their items)."""
    old = before.data if before else {}
    new = row.data if alive else {}
    if row.type == "Defect":
        for story in _ids(old.get("Requirement"), new.get("Requirement")):
            found = backend.store.get(story)
            if found is not None and found.data.get("PortfolioItem"):
                rollup(backend, int(found.data["PortfolioItem"]))
    elif alive and is_portfolio_item(backend, row.type):
        created = before is None and not row.data.get("StateChangedDate")
        if (created and new.get("State")) or (before is not None and old.get("State") != new.get("State")):
            _save(backend, row.oid, {"StateChangedDate": backend.clock.iso()})
    elif row.type == "PreliminaryEstimate" and any(old.get(k) != new.get(k) for k in _ESTIMATE_VALUES):
        for oid in _referring(backend, "PreliminaryEstimate", row.oid):
            rollup(backend, oid)
    elif row.type in _TIMEBOX_DATE and before is not None:
        date = _TIMEBOX_DATE[row.type]
        if old.get(date) != new.get(date):
            items = set(_referring(backend, "Release", row.oid)) if row.type == "Release" else set()
            items.update(int(r[0]) for r in backend.store.execute(
                f"SELECT DISTINCT {value_sql('o', 'PortfolioItem')} FROM objects o"
                f" WHERE o.type = 'HierarchicalRequirement' AND o.deleted = 0 AND {value_sql('o', row.type)} = ?"
                f" AND {value_sql('o', 'PortfolioItem')} IS NOT NULL", [row.oid]))
            for oid in items:
                rollup(backend, oid)


def rollup(backend: Backend, pi: int) -> None:
    """All rollups of a PortfolioItem and, recursively, of its ancestors."""
    store = backend.store
    seen: set[int] = set()
    current: int | None = pi
    while current and current not in seen:
        seen.add(current)
        row = store.get(current)
        if row is None or not is_portfolio_item(backend, row.type):
            return
        marks, leaves = _leaf_pis(backend, row.oid)
        scope = [row.workspace, *leaves]  # (type, workspace, deleted, PortfolioItem) is an index
        values = {**_story_values(backend, marks, scope), **_defect_values(backend, marks, scope),
                  **_own_values(backend, row, marks, scope)}
        values["DirectChildrenCount"] = int(store.execute(
            "SELECT count(*) FROM objects WHERE deleted = 0 AND type LIKE 'PortfolioItem/%'"
            " AND json_extract(data, '$.\"Parent\"') = ?", [row.oid])[0][0])
        _totals(values)
        tdef = backend.schema(row.workspace).get(row.type)
        have = tdef.by_name if tdef is not None else {}
        values = {k: v for k, v in values.items() if k in have}
        if any(row.data.get(k) != v for k, v in values.items()) and "LastRollupDate" in have:
            values["LastRollupDate"] = backend.clock.iso()
        _save(backend, row.oid, values)
        parent = row.data.get("Parent")
        current = int(parent) if parent else None


def _story_values(backend: Backend, marks: str, scope: list[int | None]) -> dict[str, Any]:
    count, estimate, accepted, accepted_est, unestimated, started, ended = backend.store.execute(
        "SELECT count(*), coalesce(sum(json_extract(data, '$.\"PlanEstimate\"')), 0),"
        " coalesce(sum(json_extract(data, '$.\"ScheduleState\"') = 'Accepted'), 0),"
        " coalesce(sum(CASE WHEN json_extract(data, '$.\"ScheduleState\"') = 'Accepted'"
        " THEN json_extract(data, '$.\"PlanEstimate\"') END), 0),"
        " coalesce(sum(json_extract(data, '$.\"PlanEstimate\"') IS NULL), 0),"
        " min(json_extract(data, '$.\"InProgressDate\"')), max(json_extract(data, '$.\"AcceptedDate\"'))"
        " FROM objects WHERE type = 'HierarchicalRequirement' AND workspace = ? AND deleted = 0"
        f" AND json_extract(data, '$.\"PortfolioItem\"') IN ({marks})", scope)[0]
    return {
        "LeafStoryCount": int(count), "LeafStoryPlanEstimateTotal": float(estimate),
        "AcceptedLeafStoryCount": int(accepted), "AcceptedLeafStoryPlanEstimateTotal": float(accepted_est),
        "UnEstimatedLeafStoryCount": int(unestimated),
        "PercentDoneByStoryCount": _ratio(accepted, count),
        "PercentDoneByStoryPlanEstimate": _ratio(accepted_est, estimate),
        "ActualStartDate": started,
        "ActualEndDate": ended if count and accepted == count else None,
    }


def _defect_values(backend: Backend, marks: str, scope: list[int | None]) -> dict[str, Any]:
    """The live defects whose Requirement is one of the live leaf stories.  Walks the partial
    Requirement index (only defects that have a story are in it; SQLite does not seek a partial
    index from a join) and looks each story up by its ObjectID."""
    requirement = value_sql("d", "Requirement")
    count, estimate, accepted, accepted_est, unestimated = backend.store.execute(
        f"SELECT count(*), coalesce(sum({value_sql('d', 'PlanEstimate')}), 0),"
        f" coalesce(sum({value_sql('d', 'ScheduleState')} = 'Accepted'), 0),"
        f" coalesce(sum(CASE WHEN {value_sql('d', 'ScheduleState')} = 'Accepted'"
        f" THEN {value_sql('d', 'PlanEstimate')} END), 0),"
        f" coalesce(sum({value_sql('d', 'PlanEstimate')} IS NULL), 0)"
        f" FROM objects d CROSS JOIN objects s ON s.oid = {requirement}"
        f" WHERE {requirement} IS NOT NULL AND +d.type = 'Defect' AND +d.deleted = 0"
        " AND s.type = 'HierarchicalRequirement' AND s.workspace = ? AND s.deleted = 0"
        f" AND {value_sql('s', 'PortfolioItem')} IN ({marks})", scope)[0]
    return {
        "DefectCountRollup": int(count), "DefectPlanEstimateTotalRollup": float(estimate),
        "AcceptedDefectCountRollup": int(accepted), "AcceptedDefectEstimateTotalRollup": float(accepted_est),
        "UnEstimatedDefectCountRollup": int(unestimated),
        "PercentDoneByDefectCountRollup": _ratio(accepted, count),
        "PercentDoneByDefectEstimateRollup": _ratio(accepted_est, estimate),
    }


def _totals(values: dict[str, Any]) -> None:
    """Stories and their defects together."""
    count = values["LeafStoryCount"] + values["DefectCountRollup"]
    estimate = values["LeafStoryPlanEstimateTotal"] + values["DefectPlanEstimateTotalRollup"]
    accepted = values["AcceptedLeafStoryCount"] + values["AcceptedDefectCountRollup"]
    accepted_est = values["AcceptedLeafStoryPlanEstimateTotal"] + values["AcceptedDefectEstimateTotalRollup"]
    values.update({
        "TotalCountRollup": count, "TotalEstimateRollup": estimate,
        "AcceptedTotalCountRollup": accepted, "AcceptedTotalEstimateRollup": accepted_est,
        "UnEstimatedTotalCountRollup": values["UnEstimatedLeafStoryCount"] + values["UnEstimatedDefectCountRollup"],
        "PercentDoneByTotalCountRollup": _ratio(accepted, count),
        "PercentDoneByTotalEstimateRollup": _ratio(accepted_est, estimate),
    })


def _own_values(backend: Backend, row: Row, marks: str, scope: list[int | None]) -> dict[str, Any]:
    """Values read through the item's own references: its PreliminaryEstimate and its Release."""
    store = backend.store
    estimate = store.get(int(row.data["PreliminaryEstimate"])) if row.data.get("PreliminaryEstimate") else None
    values: dict[str, Any] = {
        "PreliminaryEstimateValue": estimate.data.get("Value") if estimate is not None else None,
        "PreliminaryEstimateCountValue": estimate.data.get("CountValue") if estimate is not None else None,
    }
    release = store.get(int(row.data["Release"])) if row.data.get("Release") else None
    due = release.data.get("ReleaseDate") if release is not None else None
    late = 0
    if due:
        late = store.execute(
            f"SELECT count(*) FROM objects s LEFT JOIN objects i ON i.oid = {value_sql('s', 'Iteration')}"
            f" LEFT JOIN objects r ON r.oid = {value_sql('s', 'Release')}"
            f" WHERE s.type = 'HierarchicalRequirement' AND s.workspace = ? AND s.deleted = 0"
            f" AND {value_sql('s', 'PortfolioItem')} IN ({marks})"
            f" AND ({value_sql('i', 'EndDate')} > ? OR {value_sql('r', 'ReleaseDate')} > ?)",
            [*scope, due, due])[0][0]
    values["LateChildCount"] = int(late)
    return values


def _leaf_pis(backend: Backend, pi: int) -> tuple[str, list[int]]:
    """SQL placeholders and ids of the item itself and all its PortfolioItem descendants (stories
    hang off the lowest level)."""
    out = [pi]
    frontier = [pi]
    while frontier:
        marks = ",".join("?" * len(frontier))
        rows = backend.store.execute(f"SELECT oid FROM objects WHERE deleted = 0 AND type LIKE 'PortfolioItem/%'"
                                     f" AND json_extract(data, '$.\"Parent\"') IN ({marks})", frontier)
        frontier = [int(r[0]) for r in rows if int(r[0]) not in out]
        out.extend(frontier)
    return ",".join("?" * len(out)), out


def _referring(backend: Backend, attr: str, target: int) -> list[int]:
    """The live portfolio items whose ``attr`` is ``target``."""
    return [int(r[0]) for r in backend.store.execute(
        f"SELECT oid FROM objects WHERE deleted = 0 AND type LIKE 'PortfolioItem/%'"
        f" AND json_extract(data, '$.\"{attr}\"') = ?", [target])]


def _ratio(part: float, whole: float) -> float:
    return round(float(part) / float(whole), 4) if whole else 0.0


def _ids(*values: Any) -> set[int]:
    return {int(v) for v in values if v is not None}


def _save(backend: Backend, oid: int, values: dict[str, Any]) -> None:
    row = backend.store.get(oid)
    if row is not None:
        backend.store.save_derived(row, values)
