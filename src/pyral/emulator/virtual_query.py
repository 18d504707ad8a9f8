"""``query`` and ``order`` over catalog objects (no stored rows), by the one query compiler.

Typedef ``Attributes`` and built-in ``AllowedValues``/``AllowedQueryOperators`` are rows made
per request (``virtual_members.py``).  They are loaded into a private in-memory SQLite table of
the store's layout and selected with the SQL that :class:`QueryCompiler` makes for stored
objects of the same type, so every operator means the same on both (ARCHITECTURE.md says why
this beats a second evaluator).  Without ``order`` (and on ties) they keep the catalog's order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from .catalog import TypeDef, WorkspaceSchema
from .query_compiler import QueryCompiler
from .query_parser import parse_query
from .store import OBJECTS_TABLE, Row, sqlite3


def select(rows: Sequence[Row], tdef: TypeDef, schema: WorkspaceSchema, *, query: str | None,
           order: str | None, today: date, related: Sequence[Row] = ()) -> list[Row]:
    """The ``rows`` (all of type ``tdef``) that ``query`` matches, sorted as ``order`` asks;
    ``related`` rows are there for dotted paths only.  QueryError (Rally's texts) on bad input."""
    compiler = QueryCompiler(schema, today)  # catalog objects are readable by anyone who reached them
    node = parse_query(query or "")
    where, params = compiler.where(node, tdef) if node is not None else ("1", [])
    compiler.order_by(order, tdef)  # Rally's refusals, for the order as given
    if node is None and not (order or "").strip():
        return list(rows)  # already in the catalog's order
    terms = compiler.order_by(f"{order or ''},Rank", tdef)  # ties: the catalog's order (``rank``)
    con = sqlite3.connect(":memory:")
    try:
        con.execute(OBJECTS_TABLE)
        con.executemany("INSERT OR IGNORE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                        [(r.oid, r.type, r.workspace, r.project, r.uuid, r.version, r.created, r.updated, r.fid,
                          f"{k:06d}", json.dumps(r.data)) for k, r in enumerate([*rows, *related])])
        found = con.execute(f"SELECT o.oid FROM objects o WHERE o.type = ? AND o.deleted = 0 AND ({where})"
                            f" ORDER BY {terms}", [tdef.type_path, *params]).fetchall()
    finally:
        con.close()
    by_oid = {r.oid: r for r in rows}
    return [by_oid[oid] for (oid,) in found if oid in by_oid]
