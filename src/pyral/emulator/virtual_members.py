"""Built-in attributes' allowed values and query operators: objects made from the catalog.

They have no stored rows, so their OIDs are virtual (:func:`member_oid`) and a list of them is
answered from rendered dictionaries: :func:`order_objects` sorts such a list as an ``order``
parameter asks, :func:`project` cuts each object to what ``fetch`` (and ``compact=true``) asks,
in the shapes the renderer gives stored objects of the same types.
"""

from __future__ import annotations

import uuid
from typing import Any

from .catalog import TypeDef
from .refs import API_PREFIX
from .render import META, Fetch

# Virtual OIDs: -(|attribute OID| * 1000 + n), n in 1..500 the value at index n-1, n in
# 501..999 the operator at index n-501 (docs/emulator.md, Fidelity choices).
_MEMBERS = 1000
_OPERATORS = 500
_IDENTITY = ("_ref", "_refObjectUUID", "_objectVersion", "_refObjectName")


def member_oid(attr_oid: int, index: int, value: bool) -> int:
    """The virtual OID of a built-in attribute's allowed value or query operator (a custom
    attribute's operators too: its positive OID decodes as its negative)."""
    return -(abs(attr_oid) * _MEMBERS + index + (1 if value else _OPERATORS + 1))


def member_of(oid: int) -> tuple[int, int, bool] | None:
    """(attribute OID, index, is a value) of a virtual member OID, None if it is not one."""
    if oid >= 0:
        return None
    attr, rest = divmod(-oid, _MEMBERS)
    if attr == 0 or rest == 0:
        return None
    return (-attr, rest - 1, True) if rest <= _OPERATORS else (-attr, rest - _OPERATORS - 1, False)


def uuid_for(oid: int) -> str:
    """A stable UUID for catalog objects that have no stored row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pyral-emulator:{oid}"))


def order_objects(objects: list[dict[str, Any]], order: str | None) -> list[dict[str, Any]]:
    """``objects`` sorted by an ``order`` parameter (already checked against the type), else as
    they are (the catalog's order); ties keep their order, nulls first, as SQLite sorts them."""
    keys = [k.split() for k in (order or "").split(",") if k.strip()]
    out = list(objects)
    for words in reversed(keys):  # a stable sort per key, last key first
        name = words[0].lower()
        descending = len(words) > 1 and words[1].lower() == "desc"

        def key(obj: dict[str, Any], name: str = name) -> tuple[int, Any]:
            value = next((v for k, v in obj.items() if k.lower() == name), None)
            if isinstance(value, dict):
                value = value.get("_refObjectName")
            if value is None:
                return (0, "")
            return (1, value) if isinstance(value, int | float) and not isinstance(value, bool) else (2, str(value))

        out.sort(key=key, reverse=descending)
    return out


def project(obj: dict[str, Any], tdef: TypeDef, fetch: Fetch, *, compact: bool, top: bool) -> dict[str, Any]:
    """``obj`` (a full rendered object with ``_type``) as ``fetch`` asks: its identity, then the
    attributes wanted (all for ``fetch=true``, or without fetch on a read by ref); ``compact``:
    relative refs, no version keys, no ``_refObjectName`` (these types have no Name)."""
    full = fetch.mode == "all" or (top and fetch.mode == "none")
    wanted = [a.name for a in tdef.attrs if a.name in obj and (full or fetch.wants(a))]
    if compact:
        out: dict[str, Any] = {"_ref": _relative(obj["_ref"]), "_refObjectUUID": obj["_refObjectUUID"]}
        out.update({name: _compact_value(obj[name]) for name in wanted})
    else:
        out = dict(META)
        out.update({k: obj[k] for k in _IDENTITY if k in obj})
        if fetch.mode == "none" and not top:
            out.pop("_objectVersion", None)
        out.update({name: obj[name] for name in wanted})
    if "CreationDate" in wanted and "_CreatedAt" in obj:
        out["_CreatedAt"] = obj["_CreatedAt"]
    if not top:
        out["_type"] = obj["_type"]
    return out


def _relative(ref: str) -> str:
    at = ref.find(API_PREFIX)
    return ref[at + len(API_PREFIX):] if at >= 0 else ref


def _compact_value(value: Any) -> Any:
    if isinstance(value, dict) and "_ref" in value:
        return {k: (_relative(v) if k == "_ref" else v) for k, v in value.items() if k not in META}
    return value
