"""Lookback API history: artifact snapshots, recorded after every write of the service layer.

:func:`record` runs once at the end of each write operation (``service.recorded``).  For each
artifact the operation wrote (the store's touched rows, derived writes included), it compares
the artifact's tracked values with its current snapshot and, when they differ, closes that
snapshot (``_ValidTo`` = now) and opens a new one with ``_PreviousValues`` holding the old value
of every field that changed.  A delete closes the current snapshot; a restore from the recycle
bin opens one whose ``_SnapshotType`` is ``RESTORE``; the first snapshot is ``Create``.
Every time comes from the backend's clock.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .store import Row

if TYPE_CHECKING:
    from .backend import Backend
    from .catalog import TypeDef

FOREVER = "9999-01-01T00:00:00.000Z"

# Built-in type OIDs of _TypeHierarchy.  Rally's published samples show -51001..-51005 (root to
# Requirement), -51038 (HierarchicalRequirement) and -51078 (PortfolioItem); the others are
# unconfirmed, so the emulator picks stable negatives of its own (see docs/emulator.md).
TYPE_OIDS: dict[str, int] = {
    "PersistableObject": -51001, "DomainObject": -51002, "WorkspaceDomainObject": -51003,
    "Artifact": -51004, "Requirement": -51005, "HierarchicalRequirement": -51038, "PortfolioItem": -51078,
    "Defect": -51006, "Task": -51009, "TestCase": -51012, "DefectSuite": -51015, "TestSet": -51020,
}
ROOTS = ("PersistableObject", "DomainObject", "WorkspaceDomainObject")

# Not in snapshots: bookkeeping, rich text and links (as in Rally's Lookback data).
SKIPPED = {"RevisionHistory", "VersionId", "LastUpdateDate", "ObjectUUID", "Subscription", "Workspace",
           "Recycled", "Description", "Notes", "Attachments", "Discussion", "LatestDiscussionAgeInMinutes",
           "FormattedID"}
# Never in _PreviousValues: identity, and hierarchies (their changes show as Parent/Project changes).
UNCHANGING = {"ObjectID", "_ItemHierarchy", "_ProjectHierarchy"}


def is_tracked(backend: Backend, type_path: str) -> bool:
    """Does Lookback keep history for objects of this type (the artifacts)?"""
    tdef = backend.catalog.get(type_path)
    return tdef is not None and not tdef.abstract and backend.catalog.is_a(tdef, "Artifact")


def type_chain(backend: Backend, tdef: TypeDef) -> list[str]:
    """Type names from the root to ``tdef`` (SchedulableArtifact left out, as in Rally's samples)."""
    chain: list[str] = []
    cur: TypeDef | None = tdef
    while cur is not None and cur.name not in ROOTS:
        if cur.name != "SchedulableArtifact":
            chain.append(cur.type_path)
        cur = backend.catalog.get(cur.parent) if cur.parent else None
    return [*ROOTS, *reversed(chain)]


def record(backend: Backend, user: int | None) -> int:
    """Snapshot every artifact written since the last call; returns how many snapshots were opened."""
    touched = backend.store.take_touched()
    oids = sorted(oid for oid, type_path in touched.items() if is_tracked(backend, type_path))
    if not oids:
        return 0
    recorder = _Recorder(backend, user)
    return sum(recorder.snapshot(oid) for oid in oids)


class _Recorder:
    """One recording pass: shares lookups (project parents, revisions) across its artifacts."""

    def __init__(self, backend: Backend, user: int | None) -> None:
        self.backend = backend
        self.store = backend.store
        self.user = user
        self.now = backend.clock.iso()
        self._parents: dict[int, int | None] = {}

    def snapshot(self, oid: int) -> int:
        row = self.store.get(oid, include_deleted=True)
        last = self.store.execute(
            "SELECT id, number, valid_to, user, data FROM snapshots WHERE oid = ? ORDER BY number DESC LIMIT 1", [oid])
        current = last[0] if last and last[0][2] == FOREVER else None
        if row is None or row.deleted:
            if current is not None:
                self._close(current[0])
            return 0
        values = self.values(row)
        if current is not None and json.loads(current[4]) == values:
            return 0
        if current is not None:
            self._close(current[0])
        before: dict[str, Any] = json.loads(last[0][4]) if last else {}
        kind: str | None
        if not last:
            kind, prev = "Create", {k: None for k in values if k not in UNCHANGING}
        else:
            kind = None if current is not None else "RESTORE"
            prev = {k: before.get(k) for k in sorted(set(values) | set(before))
                    if values.get(k) != before.get(k) and k not in UNCHANGING}
            if last[0][3] != self.user:
                prev["_User"] = last[0][3]
        number = int(last[0][1]) + 1 if last else 0
        revision, revnum = self._revision(row)
        cur = self.store.conn.execute(
            "INSERT INTO snapshots(oid, workspace, project, type, number, valid_from, valid_to, kind, user, revision,"
            " revnum, data, prev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (oid, row.workspace, row.project, row.type, number, self.now, FOREVER, kind, self.user, revision,
             revnum, json.dumps(values), json.dumps(prev)))
        snap = cur.lastrowid
        self.store.conn.executemany("INSERT OR IGNORE INTO snapshot_items(item, snap) VALUES (?, ?)",
                                    [(item, snap) for item in self.items(row)])
        return 1

    def _close(self, snap: int) -> None:
        self.store.conn.execute("UPDATE snapshots SET valid_to = ? WHERE id = ?", (self.now, snap))

    # -- what a snapshot holds -------------------------------------------------------------
    def values(self, row: Row) -> dict[str, Any]:
        """The tracked field values of ``row`` (nulls and empty values left out)."""
        tdef = self.backend.schema(row.workspace).get(row.type)
        out: dict[str, Any] = {"ObjectID": row.oid, "CreationDate": row.created}
        if row.project is not None:
            out["Project"] = row.project
            out["_ProjectHierarchy"] = self.projects(row.project)
        if row.fid is not None:
            out["_UnformattedID"] = row.fid
        if row.rank is not None:
            out["DragAndDropRank"] = row.rank
        for key, value in row.data.items():
            if key in SKIPPED or value is None or value == "" or value == []:
                continue
            attr = tdef.by_name.get(key) if tdef is not None else None
            if attr is not None and attr.type in ("TEXT", "WEB_LINK", "BINARY_DATA", "COLLECTION"):
                continue
            out[key] = value
        tags = self.store.links(row.oid, "Tags")
        if tags:
            out["Tags"] = tags
        children = self.children(row)
        if children:
            out["Children"] = children
        out["_ItemHierarchy"] = self.items(row)
        return out

    def projects(self, project: int) -> list[int]:
        """Project OIDs from the top of the tree down to ``project``."""
        chain: list[int] = []
        cur: int | None = project
        while cur is not None and cur not in chain:
            chain.append(cur)
            if cur not in self._parents:
                prow = self.store.get(cur)
                parent = prow.data.get("Parent") if prow is not None else None
                self._parents[cur] = int(parent) if parent else None
            cur = self._parents[cur]
        return chain[::-1]

    def children(self, row: Row) -> list[int]:
        if row.type == "HierarchicalRequirement":
            if not row.data.get("DirectChildrenCount"):
                return []
            kind = "HierarchicalRequirement"
        elif row.type.startswith("PortfolioItem/"):
            kind = "PortfolioItem/%"
        else:
            return []
        return [int(r[0]) for r in self.store.execute(
            "SELECT oid FROM objects WHERE type LIKE ? AND deleted = 0 AND json_extract(data, '$.\"Parent\"') = ?"
            " ORDER BY oid", [kind, row.oid])]

    def items(self, row: Row) -> list[int]:
        """_ItemHierarchy: ancestors (parent stories, then portfolio items) down to the item itself."""
        chain = [row.oid]
        cur: Row | None = row
        while cur is not None and len(chain) < 64:
            if cur.type in ("HierarchicalRequirement",) or cur.type.startswith("PortfolioItem/"):
                up = cur.data.get("Parent") or (cur.data.get("PortfolioItem") if cur.type == "HierarchicalRequirement"
                                                else None)
            else:
                up = None
            if not up or int(up) in chain:
                break
            chain.append(int(up))
            cur = self.store.get(int(up))
        return chain[::-1]

    def _revision(self, row: Row) -> tuple[int | None, int | None]:
        history = row.data.get("RevisionHistory")
        if not history:
            return None, None
        rows = self.store.execute(
            "SELECT oid, json_extract(data, '$.\"RevisionNumber\"') FROM objects WHERE type = 'Revision'"
            " AND json_extract(data, '$.\"RevisionHistory\"') = ? ORDER BY oid DESC LIMIT 1", [history])
        return (int(rows[0][0]), rows[0][1]) if rows else (None, None)


def last_write(backend: Backend) -> str | None:
    """The time of the latest artifact write in the history (None if there is none)."""
    rows = backend.store.execute("SELECT max(valid_from) FROM snapshots")
    late = backend.store.execute("SELECT max(valid_to) FROM snapshots WHERE valid_to < ?", [FOREVER])
    stamps = [r[0][0] for r in (rows, late) if r and r[0][0]]
    return max(stamps) if stamps else None
