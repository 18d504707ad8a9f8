"""``POST <type>/<oid>/copy``: a new object made from an existing one (WSAPI 2025, 17 types).

The copy is a create from the source's writable values, so it is validated like one (Rally
refuses to copy an item whose drop-down value is no longer allowed, KB-102900).  The emulator's
choices, recorded in docs/emulator.md: the Name gets a ``[Copy of] `` prefix; the writable link
collections (Tags, Milestones, ...) are copied; owned children (Tasks, Steps, Results,
Discussion, Attachments) and everything read-only or derived are not; a User copy is not
emulated (a new user needs a unique UserName, which a copy without a body cannot give).
"""

from __future__ import annotations

from typing import Any

from . import catalog_today, service
from .catalog import TypeDef
from .errors import WsapiError
from .store import Row

NAME_PREFIX = "[Copy of] "
NEVER_COPIED = {"Workspace", "Subscription", "DragAndDropRank", "FormattedID", "ObjectID", "ObjectUUID"}


def copyable(tdef: TypeDef) -> bool:
    """Whether WSAPI has ``<type>/<oid>/copy`` for this type (every portfolio item level has it)."""
    names = catalog_today.copyable_types() - {"User"}
    return tdef.name in names or (tdef.is_portfolio_item and "Feature" in names)


def copy(ctx: service.WriteContext, tdef: TypeDef, row: Row) -> Row:
    """Create the copy of ``row`` (a ``tdef``) and return it."""
    if not copyable(tdef):
        raise WsapiError(f"Cannot copy an object of type {tdef.name}")
    payload: dict[str, Any] = {}
    for attr in tdef.attrs:
        if attr.name in NEVER_COPIED or (attr.read_only and not attr.create_only):
            continue
        if attr.type == "COLLECTION":
            spec = attr.collection
            if spec is not None and spec.kind == "link":
                members = ctx.store.links(row.oid, attr.name)
                if members:
                    payload[attr.name] = [{"_ref": str(oid)} for oid in members]
            continue
        value = row.project if attr.name == "Project" else row.data.get(attr.name)
        if value is not None:
            payload[attr.name] = value
    if isinstance(payload.get("Name"), str):
        payload["Name"] = NAME_PREFIX + payload["Name"]
    sub = service.WriteContext(ctx.backend, ctx.principal, row.workspace, ctx.project, tdef.name, ctx.warnings)
    return service.create(sub, tdef, payload)
