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
from collections.abc import Sequence
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
    touched, links = backend.store.take_touched()
    rows = [row for oid, row in sorted(touched.items()) if is_tracked(backend, row.type)]
    if not rows:
        return 0
    revisions = {r.data.get("RevisionHistory"): (r.oid, r.data.get("RevisionNumber"))
                 for r in touched.values() if r.type == "Revision"}
    recorder = _Recorder(backend, user, revisions, links)
    return sum(recorder.run(rows[i:i + CHUNK]) for i in range(0, len(rows), CHUNK))


CHUNK = 500  # artifacts per batch of lookups (SQLite's parameter limit is far above)


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class _Recorder:
    """One recording pass over the artifacts one write operation touched, lookups batched.

    Values that need a query (Tags, Children, the item hierarchy) are carried over from the
    previous snapshot unless what they derive from changed in this write.
    """

    def __init__(self, backend: Backend, user: int | None, revisions: dict[Any, tuple[int, Any]],
                 links: set[int]) -> None:
        self.backend = backend
        self.store = backend.store
        self.user = user
        self.revisions = revisions  # RevisionHistory -> (Revision, number) of the revisions this write added
        self.links = links  # owners whose links (Tags ...) this write changed
        self.now = backend.clock.iso()
        self._rows: dict[int, Row] = {}
        self._parents: dict[int, int | None] = {}

    def run(self, rows: list[Row]) -> int:
        store = self.store
        oids = [r.oid for r in rows]
        self._rows.update((r.oid, r) for r in rows)
        last = {int(r[1]): r for r in store.execute(
            "SELECT id, oid, number, valid_to, user, data, revision, revnum FROM snapshots WHERE id IN"
            f" (SELECT max(id) FROM snapshots WHERE oid IN ({_marks(oids)}) GROUP BY oid)", oids)}
        closes = [(self.now, last[r.oid][0]) for r in rows
                  if r.deleted and r.oid in last and last[r.oid][3] == FOREVER]
        alive = [r for r in rows if not r.deleted]
        before = {oid: json.loads(rec[5]) for oid, rec in last.items()}
        extras = self._extras(alive, before)
        conn = store.conn
        opened = 0
        for row in alive:
            values = self.values(row, extras, before.get(row.oid, {}))
            prior = last.get(row.oid)
            previous = before.get(row.oid, {})
            current = prior if prior is not None and prior[3] == FOREVER else None
            if current is not None and previous == values:
                continue
            if current is not None:
                closes.append((self.now, current[0]))
            kind: str | None
            if prior is None:
                kind, prev = "Create", {k: None for k in values if k not in UNCHANGING}
            else:
                kind = None if current is not None else "RESTORE"
                prev = {k: previous.get(k) for k in sorted(set(values) | set(previous))
                        if values.get(k) != previous.get(k) and k not in UNCHANGING}
                if prior[4] != self.user:
                    prev["_User"] = prior[4]
            # The write's own revision; a derived change (task totals ...) keeps the last one.
            revision, revnum = self.revisions.get(row.data.get("RevisionHistory"),
                                                  (prior[6], prior[7]) if prior is not None else (None, None))
            snap = conn.execute(
                "INSERT INTO snapshots(oid, workspace, project, type, number, valid_from, valid_to, kind, user,"
                " revision, revnum, data, prev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (row.oid, row.workspace, row.project, row.type, int(prior[2]) + 1 if prior is not None else 0,
                 self.now, FOREVER, kind, self.user, revision, revnum, json.dumps(values),
                 json.dumps(prev))).lastrowid
            conn.executemany("INSERT OR IGNORE INTO snapshot_items(item, snap) VALUES (?, ?)",
                             [(item, snap) for item in values["_ItemHierarchy"]])
            opened += 1
        conn.executemany("UPDATE snapshots SET valid_to = ? WHERE id = ?", closes)
        return opened

    # -- batched lookups -------------------------------------------------------------------
    def _extras(self, rows: list[Row], before: dict[int, dict[str, Any]]) -> dict[tuple[str, int], list[int]]:
        """Tags and Children that must be read: (attr, oid) -> member OIDs."""
        out: dict[tuple[str, int], list[int]] = {}
        tagged = [r.oid for r in rows if r.oid in self.links or r.oid not in before]
        if tagged:
            for owner, target in self.store.execute(
                    f"SELECT owner, target FROM links WHERE attr = 'Tags' AND owner IN ({_marks(tagged)})"
                    " ORDER BY owner, pos", tagged):
                out.setdefault(("Tags", int(owner)), []).append(int(target))
        parents = [r.oid for r in rows if r.type.startswith("PortfolioItem/") or (
            r.data.get("DirectChildrenCount") != before.get(r.oid, {}).get("DirectChildrenCount", 0))]
        if parents:
            for parent, child, child_type in self.store.execute(
                    "SELECT json_extract(data, '$.\"Parent\"'), oid, type FROM objects WHERE deleted = 0 AND"
                    f" json_extract(data, '$.\"Parent\"') IN ({_marks(parents)}) ORDER BY oid", parents):
                parent_row = self._rows.get(int(parent))
                if parent_row is not None and (parent_row.type == child_type or (
                        parent_row.type.startswith("PortfolioItem/") and child_type.startswith("PortfolioItem/"))):
                    out.setdefault(("Children", int(parent)), []).append(int(child))
            for parent in parents:
                out.setdefault(("Children", parent), [])
        return out

    # -- what a snapshot holds -------------------------------------------------------------
    def values(self, row: Row, extras: dict[tuple[str, int], list[int]], previous: dict[str, Any]) -> dict[str, Any]:
        """The tracked field values of ``row`` (nulls and empty values left out); what needs a
        query and did not change comes from ``previous`` (the last snapshot's values)."""
        tdef = self.backend.schema(row.workspace).get(row.type)
        out: dict[str, Any] = {"ObjectID": row.oid, "CreationDate": row.created}
        if row.project is not None:
            out["Project"] = row.project
            out["_ProjectHierarchy"] = (previous["_ProjectHierarchy"] if previous.get("Project") == row.project
                                        else self.projects(row.project))
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
        for name in ("Tags", "Children"):
            members = extras[(name, row.oid)] if (name, row.oid) in extras else previous.get(name)
            if members:
                out[name] = members
        same_parents = previous and all(previous.get(k) == out.get(k) for k in ("Parent", "PortfolioItem"))
        out["_ItemHierarchy"] = previous["_ItemHierarchy"] if same_parents else self.items(row)
        return out

    def projects(self, project: int) -> list[int]:
        """Project OIDs from the top of the tree down to ``project``."""
        if not self._parents:
            self._parents = {int(oid): int(parent) if parent else None for oid, parent in self.store.execute(
                "SELECT oid, json_extract(data, '$.\"Parent\"') FROM objects WHERE type = 'Project'")}
        chain: list[int] = []
        cur: int | None = project
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = self._parents.get(cur)
        return chain[::-1]

    def items(self, row: Row) -> list[int]:
        """_ItemHierarchy: ancestors (parent stories, then portfolio items) down to the item itself."""
        chain = [row.oid]
        cur: Row | None = row
        while cur is not None and len(chain) < 64:
            up: Any = None
            if cur.type == "HierarchicalRequirement":
                up = cur.data.get("Parent") or cur.data.get("PortfolioItem")
            elif cur.type.startswith("PortfolioItem/"):
                up = cur.data.get("Parent")
            if not up or int(up) in chain:
                break
            chain.append(int(up))
            cur = self._row(int(up))
        return chain[::-1]

    def _row(self, oid: int) -> Row | None:
        if oid not in self._rows:
            row = self.store.get(oid, include_deleted=True)
            if row is None:
                return None
            self._rows[oid] = row
        return self._rows[oid]


def last_write(backend: Backend) -> str | None:
    """The time of the latest artifact write in the history (None if there is none)."""
    rows = backend.store.execute("SELECT max(valid_from) FROM snapshots")
    late = backend.store.execute("SELECT max(valid_to) FROM snapshots WHERE valid_to < ?", [FOREVER])
    stamps = [r[0][0] for r in (rows, late) if r and r[0][0]]
    return max(stamps) if stamps else None
