"""Flow states: each project's Team Board columns, mapped onto schedule states.

Rally creates one FlowState per schedule state with every project (named after it, ordered
like it); artifacts carry ``FlowState`` and a read-only ``FlowStateChangedDate``.  The rules
here keep the two consistent (wsapi-more.md §1): setting FlowState sets ScheduleState to its
mapping; changing only ScheduleState moves FlowState to the project's first column with that
mapping; moving an artifact to another project moves it to the same mapping there.
"""

from __future__ import annotations

from typing import Any

from .catalog import SCHEDULE_STATES, TypeDef
from .errors import WsapiError
from .store import Row, Store

FLOW_PREFIX = "Validation error: FlowState.ScheduleStateMapping"


def create_defaults(store: Store, workspace: int | None, project: int) -> list[Row]:
    """The flow states Rally creates with a project: one per schedule state, in order."""
    out = []
    for index, state in enumerate(SCHEDULE_STATES, start=1):
        history = store.insert("RevisionHistory", {}, workspace=workspace)
        out.append(store.insert("FlowState", {
            "Name": state, "OrderIndex": index, "ScheduleStateMapping": state, "WIPLimit": None,
            "AgeThreshold": None, "ExitPolicy": None, "NonValueAdd": None, "RevisionHistory": history.oid,
        }, workspace=workspace, project=project))
    return out


def project_states(store: Store, project: int | None, *, exclude: int | None = None) -> list[Row]:
    """A project's flow states by OrderIndex (then ObjectID)."""
    if project is None:
        return []
    rows = store.select("o.type = 'FlowState' AND o.deleted = 0 AND o.project = ? AND o.oid IS NOT ?",
                        [project, exclude])
    return sorted(rows, key=lambda r: (r.data.get("OrderIndex") is None, r.data.get("OrderIndex") or 0, r.oid))


def first_for(store: Store, project: int | None, schedule_state: Any, *, exclude: int | None = None) -> int | None:
    """The lowest-ordered flow state of ``project`` mapped to ``schedule_state`` (its ObjectID)."""
    if project is None or schedule_state is None:
        return None
    rows = store.execute(
        "SELECT oid FROM objects WHERE project = ? AND type = 'FlowState' AND deleted = 0 AND oid IS NOT ?"
        " AND json_extract(data, '$.\"ScheduleStateMapping\"') = ?"
        " ORDER BY json_extract(data, '$.\"OrderIndex\"') IS NULL, json_extract(data, '$.\"OrderIndex\"'), oid"
        " LIMIT 1", [project, exclude, schedule_state])
    return int(rows[0][0]) if rows else None


def _rank(state: Any) -> int:
    return SCHEDULE_STATES.index(state) if state in SCHEDULE_STATES else -1


# -- FlowState objects ---------------------------------------------------------------------

def place(store: Store, data: dict[str, Any], project: int | None, *, exclude: int | None = None) -> None:
    """Give a (new or edited) flow state its OrderIndex and check the board stays in order.

    Without OrderIndex a state goes to the end; mapped schedule states may never go backwards
    along the board (Rally's text, KB-145540); taking an occupied OrderIndex shifts the
    columns from there one to the right.
    """
    states = project_states(store, project, exclude=exclude)
    index = data.get("OrderIndex")
    if index is None:
        index = max((int(s.data.get("OrderIndex") or 0) for s in states), default=0) + 1
    mapping = data.get("ScheduleStateMapping")
    before = [s for s in states if (s.data.get("OrderIndex") or 0) < index]
    after = [s for s in states if (s.data.get("OrderIndex") or 0) >= index]
    if before and _rank(before[-1].data.get("ScheduleStateMapping")) > _rank(mapping):
        raise WsapiError(f"{FLOW_PREFIX}Mapped schedule state must be greater than or equal to "
                         f"{before[-1].data.get('ScheduleStateMapping')}.")
    if after and _rank(after[0].data.get("ScheduleStateMapping")) < _rank(mapping):
        raise WsapiError(f"{FLOW_PREFIX}Mapped schedule state must be less than or equal to "
                         f"{after[0].data.get('ScheduleStateMapping')}.")
    if any(s.data.get("OrderIndex") == index for s in after):
        for s in after:
            s.data["OrderIndex"] = int(s.data.get("OrderIndex") or 0) + 1
            store.save(s, bump=False)
    data["OrderIndex"] = index


def on_flow_state_delete(store: Store, row: Row) -> None:
    """Artifacts in a deleted column move to the project's first other column of that mapping."""
    users = store.select("o.deleted = 0 AND json_extract(o.data, '$.\"FlowState\"') = ?", [row.oid])
    replacement = first_for(store, row.project, row.data.get("ScheduleStateMapping"), exclude=row.oid)
    for art in users:
        art.data["FlowState"] = replacement
        art.data["FlowStateChangedDate"] = store.clock.iso()
        store.save(art, bump=False)


# -- artifacts -----------------------------------------------------------------------------

def _check_project(tdef: TypeDef, state: Row, project: int | None) -> None:
    if state.type != "FlowState" or state.project != project:
        raise WsapiError(f"Validation error: {tdef.name}.FlowState must be a flow state of the "
                         f"{tdef.name}'s project")


def on_artifact_create(store: Store, tdef: TypeDef, data: dict[str, Any], project: int | None) -> None:
    """Fill FlowState from ScheduleState, or ScheduleState from a given FlowState."""
    if data.get("FlowState"):
        state = store.get(int(data["FlowState"]))
        assert state is not None  # resolved as a reference already
        _check_project(tdef, state, project)
        data["ScheduleState"] = state.data.get("ScheduleStateMapping")
    else:
        data["FlowState"] = first_for(store, project, data.get("ScheduleState"))
    data["FlowStateChangedDate"] = None  # the create sets it to CreationDate


def on_artifact_update(store: Store, tdef: TypeDef, row: Row, before: Row) -> None:
    """Keep FlowState and ScheduleState consistent after an update of ``row``."""
    old_state = before.data.get("FlowState")
    new_state = row.data.get("FlowState")
    if new_state != old_state and new_state:
        state = store.get(int(new_state))
        assert state is not None
        _check_project(tdef, state, row.project)
        row.data["ScheduleState"] = state.data.get("ScheduleStateMapping")
    elif new_state == old_state:
        current = store.get(int(new_state)) if new_state else None
        schedule = row.data.get("ScheduleState")
        if (current is None or current.project != row.project
                or current.data.get("ScheduleStateMapping") != schedule):
            row.data["FlowState"] = first_for(store, row.project, schedule)
    if row.data.get("FlowState") != old_state:
        row.data["FlowStateChangedDate"] = store.clock.iso()
