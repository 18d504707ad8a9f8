"""Collection summaries: ``fetch=Tasks:summary[State;Owner+Blocked]`` (wsapi-more.md §2).

Each row gets one top-level ``Summary`` object keyed by collection name, holding ``Count`` and one
map per grouping: ``{"<value>": <count>}``.  A single grouping keeps the attribute's casing
(``State``); a combined one is lower-cased and joined with ``+`` (``state+blocked``), as are its
value keys (``Completed+false``).  Values are display strings: booleans ``true``/``false``,
numbers as text, references by ``_refObjectName``, null as ``-- No Entry --``.  Counts come from
one grouped SQL statement per collection and page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .catalog import AttrDef, TypeDef, WorkspaceSchema
from .errors import WsapiError
from .store import Row, Store, value_sql

NO_ENTRY = "-- No Entry --"
GROUPABLE = {"STRING", "RATING", "STATE", "BOOLEAN", "INTEGER", "QUANTITY", "DECIMAL", "DATE", "OBJECT"}
_SPEC = re.compile(r"summary(?:\[(?P<inner>[^\]]*)\])?", re.IGNORECASE)

Summaries = tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]


def parse_part(name: str, rest: str) -> tuple[str, tuple[tuple[str, ...], ...]] | None:
    """``Tasks`` + ``summary[State;State+Blocked]`` -> ("tasks", (("State",), ("State", "Blocked")))."""
    m = _SPEC.fullmatch(rest.strip())
    if m is None:
        return None
    groupings = []
    for group in (m.group("inner") or "").split(";"):
        names = tuple(n for n in re.split(r"[+\s]+", group.strip()) if n)
        if names:
            groupings.append(names)
    return name.lower(), tuple(groupings)


def _label(attr: AttrDef, value: Any, names: dict[int, str]) -> str:
    if value is None or value == "":
        return NO_ENTRY
    if attr.type == "BOOLEAN":
        return "true" if value in (1, True, "true") else "false"
    if attr.type == "OBJECT":
        return names.get(int(value), str(value))
    if attr.type == "INTEGER":
        return str(int(value))
    if attr.type in ("QUANTITY", "DECIMAL"):
        return str(float(value))
    return str(value)


def _grouping_attrs(child: TypeDef, collection: str, names: tuple[str, ...]) -> list[AttrDef]:
    out = []
    for name in names:
        attr = child.attr(name)
        if attr is None:
            raise WsapiError(f"Could not parse: Cannot summarize {collection} by unknown attribute {name}")
        if attr.type not in GROUPABLE or attr.custom:
            raise WsapiError(f"Could not parse: {child.name}.{attr.name} cannot be used in a collection summary")
        out.append(attr)
    return out


def collection_summaries(store: Store, schema: WorkspaceSchema, rows: list[Row], summaries: Summaries,
                         count: Callable[[Row, TypeDef, AttrDef], int],
                         ref_name: Callable[[Row], str]) -> dict[int, dict[str, Any]]:
    """``Summary`` objects for ``rows`` (row oid -> summary); ``count`` gives a collection's Count."""
    out: dict[int, dict[str, Any]] = {r.oid: {} for r in rows}
    by_type: dict[str, list[Row]] = {}
    for r in rows:
        by_type.setdefault(r.type, []).append(r)
    for coll_name, groupings in summaries:
        for type_path, group in by_type.items():
            tdef = schema.get(type_path)
            attr = tdef.attr(coll_name) if tdef else None
            if tdef is None or attr is None or attr.type != "COLLECTION" or attr.collection is None:
                continue  # summaries work on collections only; anything else is left out
            child = schema.get(attr.collection.child)
            for r in group:
                out[r.oid][attr.name] = {"Count": count(r, tdef, attr)}
            if child is None:
                continue
            for names in groupings:
                gattrs = _grouping_attrs(child, attr.name, names)
                key = gattrs[0].name if len(gattrs) == 1 else "+".join(a.name.lower() for a in gattrs)
                for r in group:
                    out[r.oid][attr.name][key] = {}
                for owner, values, n in _grouped(store, schema, group, attr, child, gattrs):
                    refs = [int(v) for a, v in zip(gattrs, values, strict=True) if a.type == "OBJECT" and v is not None]
                    names_by_oid = {o: ref_name(row) for o, row in store.get_many(refs).items()} if refs else {}
                    label = "+".join(_label(a, v, names_by_oid) for a, v in zip(gattrs, values, strict=True))
                    bucket = out[owner][attr.name][key]
                    bucket[label] = bucket.get(label, 0) + n
    return out


def _grouped(store: Store, schema: WorkspaceSchema, group: list[Row], attr: AttrDef, child: TypeDef,
             gattrs: list[AttrDef]) -> list[tuple[int, tuple[Any, ...], int]]:
    spec = attr.collection
    assert spec is not None
    oids = [r.oid for r in group]
    marks = ",".join("?" * len(oids))
    exprs = [value_sql("c", a.name) for a in gattrs]
    cols = ", ".join(exprs)
    if spec.kind == "inverse":
        types = [t.type_path for t in schema.catalog.concrete(child)]
        via = value_sql("c", spec.via)
        sql = (f"SELECT {via}, {cols}, count(*) FROM objects c WHERE c.deleted = 0"
               f" AND c.type IN ({','.join('?' * len(types))}) AND {via} IN ({marks}) GROUP BY {via}, {cols}")
        params: list[Any] = [*types, *oids]
    elif spec.kind == "link":
        sql = (f"SELECT l.owner, {cols}, count(*) FROM links l JOIN objects c ON c.oid = l.target AND c.deleted = 0"
               f" WHERE l.attr = ? AND l.owner IN ({marks}) GROUP BY l.owner, {cols}")
        params = [attr.name, *oids]
    elif spec.kind == "reverse":
        sql = (f"SELECT l.target, {cols}, count(*) FROM links l JOIN objects c ON c.oid = l.owner AND c.deleted = 0"
               f" WHERE l.attr = ? AND l.target IN ({marks}) GROUP BY l.target, {cols}")
        params = [spec.via, *oids]
    else:
        return []  # computed collections (typedef attributes ...) have a Count only
    return [(int(r[0]), tuple(r[1:-1]), int(r[-1])) for r in store.execute(sql, params)]
