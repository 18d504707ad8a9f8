"""Iteration and Release rollups, computed when read: the sums over the work scheduled in them.

``PlanEstimate`` is the sum of the scheduled work items' PlanEstimate; the task totals are the sums
of their task totals; a Release's ``Accepted`` is the PlanEstimate of its accepted items.  Rally
answers 0.0 where nothing is scheduled (wsapi-more.md §7: rollups are 0.0, never null).
"""

from __future__ import annotations

from .catalog import TypeDef, WorkspaceSchema
from .store import Row, Store, value_sql

ROLLUPS = {"PlanEstimate", "TaskEstimateTotal", "TaskRemainingTotal", "TaskActualTotal", "Accepted"}


def is_rollup(tdef: TypeDef, name: str) -> bool:
    return tdef.name in ("Iteration", "Release") and name in ROLLUPS and name in tdef.by_name


def rollup(store: Store, schema: WorkspaceSchema, tdef: TypeDef, row: Row, name: str) -> float:
    """One rollup of one Iteration or Release."""
    base = schema.get("SchedulableArtifact")
    types = [t.type_path for t in schema.catalog.concrete(base)] if base else []
    if not types:
        return 0.0
    marks = ",".join("?" * len(types))
    summed = "PlanEstimate" if name == "Accepted" else name
    where = f"o.deleted = 0 AND o.type IN ({marks}) AND {value_sql('o', tdef.name)} = ?"
    params: list[object] = [*types, row.oid]
    if name == "Accepted":
        where += f" AND {value_sql('o', 'ScheduleState')} IN ('Accepted', 'Released')"
    recs = store.execute(f"SELECT coalesce(sum({value_sql('o', summed)}), 0) FROM objects o WHERE {where}", params)
    return float(recs[0][0])
