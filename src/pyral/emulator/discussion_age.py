"""``LatestDiscussionAgeInMinutes``: computed when an object is read, never stored.

The age changes with time alone, so a stored value would be wrong a minute later: it is the whole
minutes from the newest live post of the object's ``Discussion`` (its CreationDate) to the
emulator's clock now, null without a post (docs/emulator.md, "Test runs, timeboxes, discussion").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .catalog import TypeDef, WorkspaceSchema
from .clock import parse_iso
from .store import Row, Store, value_sql

ATTRIBUTE = "LatestDiscussionAgeInMinutes"


def latest_posts(store: Store, schema: WorkspaceSchema, tdef: TypeDef, rows: Iterable[Row]) -> dict[int, str]:
    """The CreationDate of the newest live post of each row (rows without a post are left out)."""
    attr = tdef.attr("Discussion")
    spec = attr.collection if attr is not None else None
    oids = [r.oid for r in rows]
    if spec is None or not oids:
        return {}
    member = schema.get(spec.child)
    if member is None:
        return {}
    types = [t.type_path for t in schema.catalog.concrete(member)]
    col = value_sql("p", spec.via)
    recs = store.execute(
        f"SELECT {col}, max(p.created) FROM objects p WHERE p.deleted = 0"
        f" AND p.type IN ({','.join('?' * len(types))}) AND {col} IN ({','.join('?' * len(oids))}) GROUP BY {col}",
        [*types, *oids])
    return {int(owner): str(created) for owner, created in recs if owner is not None and created}


def age_minutes(created: str | None, now: datetime) -> int | None:
    """Whole minutes from ``created`` to ``now`` (never negative); None without a post."""
    if not created:
        return None
    return max(0, int((now - parse_iso(created)).total_seconds() // 60))
