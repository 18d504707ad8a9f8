"""SQLite storage for the emulator: objects, collection links, binary content, counters.

Every Rally object is one row of ``objects``.  A handful of attributes live in real columns
(ObjectID, Workspace, Project, FormattedID number, DragAndDropRank, dates, version, UUID) so
that scoping, ordering and paging use indexes; every other attribute value is in the ``data``
JSON document, references stored as the target's ObjectID.  Stored collections (Tags,
Milestones, Predecessors ...) are rows of ``links``.

The store knows nothing of Rally rules; it only persists.  One connection, serialised by a
re-entrant lock; writes happen inside :meth:`Store.transaction`, so a failed request never
leaves half its changes behind.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid as uuidlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock

try:  # a current SQLite (3.45+) stores documents as JSONB: attribute reads are ~3x faster
    import sqlean as sqlite3  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - the emulator extra installs sqlean.py
    import sqlite3  # type: ignore[no-redef,unused-ignore]

JSONB = tuple(int(p) for p in sqlite3.sqlite_version.split(".")[:2]) >= (3, 45)
DATA_IN = "jsonb(?)" if JSONB else "?"  # how a document is written
DATA_OUT = "json(data)" if JSONB else "data"  # how it is read back as text

OBJECTS_TABLE = """
CREATE TABLE IF NOT EXISTS objects (
    oid INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    workspace INTEGER,
    project INTEGER,
    uuid TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    fid INTEGER,
    rank TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    data BLOB NOT NULL
)"""  # the layout of every object row (also the in-memory table of virtual_query.py)

SCHEMA = OBJECTS_TABLE + """;
CREATE INDEX IF NOT EXISTS objects_type_ws ON objects(type, workspace, deleted);
CREATE INDEX IF NOT EXISTS objects_project ON objects(project, type);
CREATE INDEX IF NOT EXISTS objects_fid ON objects(workspace, fid);
CREATE INDEX IF NOT EXISTS objects_rank ON objects(workspace, rank);
-- Queries filter on type + workspace + deleted and order by FormattedID or Rank: with the type
-- leading, a page of 200 reads ~200 index entries instead of walking the workspace's NULL-fid
-- and NULL-rank rows (revisions, histories) first.
CREATE INDEX IF NOT EXISTS objects_type_fid ON objects(type, workspace, deleted, fid);
CREATE INDEX IF NOT EXISTS objects_type_rank ON objects(type, workspace, deleted, rank);
CREATE TABLE IF NOT EXISTS links (
    owner INTEGER NOT NULL,
    attr TEXT NOT NULL,
    target INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    PRIMARY KEY (owner, attr, target)
);
CREATE INDEX IF NOT EXISTS links_target ON links(target, attr);
CREATE TABLE IF NOT EXISTS blobs (oid INTEGER PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters (scope TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
    user INTEGER PRIMARY KEY,
    password TEXT,
    api_key TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Lookback API history: one row per artifact snapshot (see history.py), valid in the half-open
-- window [valid_from, valid_to); the current one has valid_to 9999-01-01T00:00:00.000Z.
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    oid INTEGER NOT NULL,
    workspace INTEGER,
    project INTEGER,
    type TEXT NOT NULL,
    number INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    kind TEXT,
    user INTEGER,
    revision INTEGER,
    revnum INTEGER,
    data TEXT NOT NULL,
    prev TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_oid ON snapshots(oid, number);
-- The workspace is never an index's leading column: every find is in one workspace, so it would
-- not narrow anything, and SQLite would pick it over the selective columns.
CREATE INDEX IF NOT EXISTS snapshots_by_type_to ON snapshots(type, valid_to, valid_from);
CREATE INDEX IF NOT EXISTS snapshots_by_type_from ON snapshots(type, valid_from);
CREATE INDEX IF NOT EXISTS snapshots_by_project ON snapshots(project, valid_to, valid_from);
CREATE INDEX IF NOT EXISTS snapshots_by_from ON snapshots(valid_from);
CREATE INDEX IF NOT EXISTS snapshots_by_iteration ON snapshots(json_extract(data, '$."Iteration"'), valid_to)
    WHERE json_extract(data, '$."Iteration"') IS NOT NULL;
CREATE INDEX IF NOT EXISTS snapshots_by_release ON snapshots(json_extract(data, '$."Release"'), valid_to)
    WHERE json_extract(data, '$."Release"') IS NOT NULL;
CREATE INDEX IF NOT EXISTS snapshots_by_state ON snapshots(json_extract(data, '$."ScheduleState"'), valid_to)
    WHERE json_extract(data, '$."ScheduleState"') IS NOT NULL;
-- _ItemHierarchy: the snapshot's item and all its ancestors, one row each.
CREATE TABLE IF NOT EXISTS snapshot_items (
    item INTEGER NOT NULL,
    snap INTEGER NOT NULL,
    PRIMARY KEY (item, snap)
) WITHOUT ROWID;
"""

# Attributes whose value lives in a column rather than in ``data``.
COLUMNS: dict[str, str] = {
    "ObjectID": "oid",
    "Workspace": "workspace",
    "Project": "project",
    "FormattedID": "fid",
    "DragAndDropRank": "rank",
    "CreationDate": "created",
    "LastUpdateDate": "updated",
    "LastUpdatedDate": "updated",  # Project's and the OKR types' spelling (WSAPI 2025)
    "VersionId": "version",
    "ObjectUUID": "uuid",
}

# Frequently filtered JSON attributes get expression indexes (the compiler emits the same text).
# Reference and lookup attributes used across types (task -> work product, revision -> history,
# user by UserName ...): partial expression indexes, so rows without the attribute cost nothing.
INDEXED_JSON = ("Name", "Parent", "WorkProduct", "Requirement", "PortfolioItem", "UserName", "TestCase",
                "Artifact", "RevisionHistory", "User", "TypeDef", "TypePath", "ElementName")

# Attributes queries filter on, indexed behind (type, workspace, deleted) and ahead of project,
# so that a query's count(*), project-scoped or not, is an index range instead of a
# json_extract of every row of the type.
SCOPED_JSON = ("ScheduleState", "State", "Owner", "Iteration", "Release", "Parent", "PortfolioItem",
               "Priority", "Severity")

# ``Name contains "x"`` compiles to instr(lower(Name), ...): this index covers it (a scan of the
# index instead of the table: 100k stories ~140 ms -> ~15 ms).
LOWER_NAME = "lower(json_extract(data, '$.\"Name\"'))"

FIRST_OID = 100_000_001
INT64 = range(-2**63, 2**63)  # what SQLite can bind; any other ObjectID names nothing


def json_path(attr: str) -> str:
    return '$."' + attr.replace('"', '') + '"'


def value_sql(alias: str, attr: str) -> str:
    """SQL expression reading attribute ``attr`` of the row aliased ``alias``."""
    col = COLUMNS.get(attr)
    if col is not None:
        return f"{alias}.{col}"
    return f"json_extract({alias}.data, '{json_path(attr)}')"


@dataclass
class Row:
    """One stored object."""

    oid: int
    type: str
    workspace: int | None
    project: int | None
    uuid: str
    version: int
    created: str
    updated: str
    fid: int | None
    rank: str | None
    deleted: bool
    data: dict[str, Any] = field(default_factory=dict)

    def get(self, attr: str, default: Any = None) -> Any:
        col = COLUMNS.get(attr)
        if col is not None:
            return getattr(self, col)
        return self.data.get(attr, default)

    def has(self, attr: str) -> bool:
        return attr in COLUMNS or attr in self.data


_COLS = ("oid", "type", "workspace", "project", "uuid", "version", "created", "updated", "fid", "rank",
         "deleted", "data")
_SELECT = "SELECT " + ", ".join(_COLS[:-1]) + f", {DATA_OUT} FROM objects"
_SELECT_O = "SELECT " + ", ".join("o." + c for c in _COLS[:-1]) + f", {DATA_OUT.replace('data', 'o.data')} FROM objects o"


def _row(rec: Sequence[Any]) -> Row:
    return Row(oid=rec[0], type=rec[1], workspace=rec[2], project=rec[3], uuid=rec[4], version=rec[5],
               created=rec[6], updated=rec[7], fid=rec[8], rank=rec[9], deleted=bool(rec[10]),
               data=json.loads(rec[11]))


def _copy(row: Row) -> Row:
    """A snapshot of ``row`` as written (its document copied one level deep)."""
    return Row(oid=row.oid, type=row.type, workspace=row.workspace, project=row.project, uuid=row.uuid,
               version=row.version, created=row.created, updated=row.updated, fid=row.fid, rank=row.rank,
               deleted=row.deleted, data=dict(row.data))


class Store:
    """Persistence for one emulator instance (``path=None`` keeps everything in memory)."""

    def __init__(self, path: str | None = None, *, clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or Clock()  # stamps every write; the backend owning this store shares it
        # What was written since the last take_touched(): rows as written, owners whose links changed.
        self.touched: dict[int, Row] = {}
        self.touched_links: set[int] = set()
        self.touched_stale = False  # a savepoint was rolled back since: re-read before trusting them
        # Writes per object type (rolled-back ones included, and bumped again by the undo), and
        # whole-store loads: what a cache derived from some types compares (see :meth:`writes_of`).
        self._writes: dict[str, int] = {}
        self._written: set[str] = set()  # types written in the open transaction
        self._loads = 0
        self.lock = threading.RLock()
        self._depth = 0
        self.conn = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys = OFF")
        if path:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA mmap_size = 1073741824")  # read pages straight from the OS cache
        self.conn.execute("PRAGMA cache_size = -65536")
        self.conn.executescript(SCHEMA)
        for attr in INDEXED_JSON:
            expr = value_sql("objects", attr).replace("objects.", "")
            self.conn.execute(f'CREATE INDEX IF NOT EXISTS "objects_jp_{attr}" ON objects({expr})'
                              f" WHERE {expr} IS NOT NULL")
        for attr in SCOPED_JSON:
            expr = value_sql("objects", attr).replace("objects.", "")
            self.conn.execute(f'CREATE INDEX IF NOT EXISTS "objects_tjp_{attr}" ON objects(type, workspace, deleted,'
                              f" {expr}, project)")
        # ``project`` last, as in the indexes above: a query limited to projects (``project=`` with
        # its scope) counts its matches from this index alone, as an unscoped one does, instead of
        # reading every matching row for its project (20,000 stories: ~33 ms -> ~3 ms a count).
        self.conn.execute("DROP INDEX IF EXISTS objects_tj_lower_name")  # the same without project
        self.conn.execute(f"CREATE INDEX IF NOT EXISTS objects_tj_lower_name_project ON objects(type, workspace,"
                          f" deleted, {LOWER_NAME}, project)")
        self.conn.execute("PRAGMA optimize=0x10002")  # statistics for the planner (cheap, bounded)

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, savepoint: bool = False) -> Iterator[None]:
        """All writes inside commit together or not at all.

        Re-entrant: a nested block joins the enclosing transaction, or with ``savepoint=True``
        becomes a savepoint, so a failure inside it undoes only that block (one batch entry,
        say) while the enclosing transaction goes on.  Every write operation of the service
        layer is a savepoint block.
        """
        with self.lock:
            depth = self._depth
            undo: tuple[str, ...]
            if depth == 0:
                begin, commit, undo = "BEGIN IMMEDIATE", "COMMIT", ("ROLLBACK",)
            elif savepoint:
                begin, commit, undo = f"SAVEPOINT sp{depth}", f"RELEASE sp{depth}", (
                    f"ROLLBACK TO sp{depth}", f"RELEASE sp{depth}")
            else:
                begin, commit, undo = "", "", ()
            if begin:
                self.conn.execute(begin)
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                for statement in undo:
                    self.conn.execute(statement)
                self._count(self._written)  # what a cache saw inside the undone block is no longer true
                if depth == 0:  # nothing was written: forget what was touched
                    self.touched, self.touched_links, self.touched_stale = {}, set(), False
                elif savepoint:  # part was undone: the rows as written may no longer be true
                    self.touched_stale = True
                raise
            else:
                self._depth -= 1
                if commit:
                    self.conn.execute(commit)
            finally:
                if depth == 0:
                    self._written = set()

    def _count(self, types: Iterable[str]) -> None:
        for name in types:
            self._writes[name] = self._writes.get(name, 0) + 1

    def writes_of(self, types: Iterable[str]) -> tuple[int, int]:
        """A stamp that changes whenever an object of one of ``types`` is written (or a write is
        undone) or the whole store is replaced: (loads, writes of those types).  Read it under
        :attr:`lock` to pair it with what the store holds at that moment."""
        with self.lock:
            return self._loads, sum(self._writes.get(name, 0) for name in types)

    def fingerprint(self, types: Sequence[str]) -> str:
        """A digest of every object of ``types`` as stored (columns and document): equal
        digests, equal objects, however the store got there (a reset, an import, an undone write)."""
        marks = ",".join("?" * len(types))
        digest = hashlib.sha256()
        with self.lock:
            for rec in self.conn.execute(f"SELECT oid, type, workspace, project, uuid, version, created, updated,"
                                         f" deleted, {DATA_OUT} FROM objects WHERE type IN ({marks}) ORDER BY oid",
                                         list(types)):
                digest.update(repr(rec).encode())
        return digest.hexdigest()

    def _wrote(self, type_name: str) -> None:
        self._written.add(type_name)
        self._count((type_name,))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    # -- counters and ids ------------------------------------------------------------------
    def next_counter(self, scope: str, start: int = 1) -> int:
        """The next value of a named sequence (one atomic statement)."""
        with self.lock:
            rec = self.conn.execute(
                "INSERT INTO counters(scope, value) VALUES (?, ?)"
                " ON CONFLICT(scope) DO UPDATE SET value = value + 1 RETURNING value", (scope, start)).fetchone()
        return int(rec[0])

    def new_oid(self) -> int:
        return self.next_counter("oid", FIRST_OID)

    # -- objects ---------------------------------------------------------------------------
    def insert(self, type_path: str, data: dict[str, Any], *, workspace: int | None = None,
               project: int | None = None, fid: int | None = None, rank: str | None = None,
               oid: int | None = None, created: str | None = None) -> Row:
        oid = oid if oid is not None else self.new_oid()
        stamp = created or self.clock.iso()
        row = Row(oid=oid, type=type_path, workspace=workspace, project=project,
                  uuid=str(uuidlib.uuid4()), version=1, created=stamp, updated=stamp, fid=fid,
                  rank=rank, deleted=False, data=dict(data))
        with self.transaction():
            self.conn.execute(
                "INSERT INTO objects(oid, type, workspace, project, uuid, version, created, updated, fid,"
                f" rank, deleted, data) VALUES (?,?,?,?,?,?,?,?,?,?,0,{DATA_IN})",
                (row.oid, row.type, row.workspace, row.project, row.uuid, row.version, row.created,
                 row.updated, row.fid, row.rank, json.dumps(row.data)))
            self.touched[row.oid] = _copy(row)
            self._wrote(row.type)
        return row

    def get(self, oid: int, *, include_deleted: bool = False) -> Row | None:
        if oid not in INT64:
            return None
        with self.lock:
            rec = self.conn.execute(_SELECT + " WHERE oid = ?", (oid,)).fetchone()
        if rec is None:
            return None
        row = _row(rec)
        if row.deleted and not include_deleted:
            return None
        return row

    def get_many(self, oids: Iterable[int]) -> dict[int, Row]:
        wanted = sorted({int(o) for o in oids if o is not None and int(o) in INT64})
        out: dict[int, Row] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            marks = ",".join("?" * len(chunk))
            with self.lock:
                recs = self.conn.execute(_SELECT + f" WHERE oid IN ({marks}) AND deleted = 0", chunk).fetchall()
            for rec in recs:
                row = _row(rec)
                out[row.oid] = row
        return out

    def save(self, row: Row, *, bump: bool = True) -> Row:
        """Write back a modified row; bumps version and LastUpdateDate unless told not to."""
        if bump:
            row.version += 1
            row.updated = self.clock.iso()
        with self.transaction():
            self.conn.execute(
                "UPDATE objects SET type=?, workspace=?, project=?, version=?, updated=?, fid=?, rank=?,"
                f" deleted=?, data={DATA_IN} WHERE oid=?",
                (row.type, row.workspace, row.project, row.version, row.updated, row.fid, row.rank,
                 int(row.deleted), json.dumps(row.data), row.oid))
            self.touched[row.oid] = _copy(row)
            self._wrote(row.type)
        return row

    def save_derived(self, row: Row, values: dict[str, Any]) -> None:
        """Store derived (read-only, computed) values on ``row`` when any differs from what it
        holds; no version bump, as Rally does not count a rollup as an edit."""
        if any(row.data.get(k) != v for k, v in values.items()):
            row.data.update(values)
            self.save(row, bump=False)

    def take_touched(self) -> tuple[dict[int, Row], set[int]]:
        """The rows written since the last call and the owners whose links changed, forgetting
        them.  Rows are as written, or re-read when a rolled-back savepoint may have undone some
        (a row that no longer exists is left out)."""
        with self.lock:
            rows, self.touched = self.touched, {}
            links, self.touched_links = self.touched_links, set()
            if self.touched_stale and rows:
                self.touched_stale = False
                fresh: dict[int, Row] = {}
                oids = sorted(rows)
                for i in range(0, len(oids), 500):
                    chunk = oids[i:i + 500]
                    fresh.update((r.oid, r) for r in self.select(f"o.oid IN ({','.join('?' * len(chunk))})", chunk))
                rows = fresh
        return rows, links

    def purge(self, oid: int) -> None:
        self.touched.pop(oid, None)
        with self.transaction():
            gone = self.conn.execute("SELECT type FROM objects WHERE oid = ?", (oid,)).fetchone()
            if gone is not None:
                self._wrote(str(gone[0]))
            self.conn.execute("DELETE FROM objects WHERE oid = ?", (oid,))
            self.conn.execute("DELETE FROM links WHERE owner = ? OR target = ?", (oid, oid))
            self.conn.execute("DELETE FROM blobs WHERE oid = ?", (oid,))

    def select(self, where: str, params: Sequence[Any], *, order: str = "o.oid", limit: int = -1,
               offset: int = 0) -> list[Row]:
        sql = f"{_SELECT_O} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        with self.lock:
            recs = self.conn.execute(sql, [*params, limit, offset]).fetchall()
        return [_row(r) for r in recs]

    def count(self, where: str, params: Sequence[Any]) -> int:
        with self.lock:
            rec = self.conn.execute(f"SELECT count(*) FROM objects o WHERE {where}", list(params)).fetchone()
        return int(rec[0])

    # -- links -----------------------------------------------------------------------------
    def links(self, owner: int, attr: str) -> list[int]:
        return [r[0] for r in self.execute(
            "SELECT l.target FROM links l JOIN objects t ON t.oid = l.target AND t.deleted = 0"
            " WHERE l.owner = ? AND l.attr = ? ORDER BY l.pos", (owner, attr))]

    def set_links(self, owner: int, attr: str, targets: Sequence[int]) -> None:
        self.touched_links.add(owner)
        with self.transaction():
            self.conn.execute("DELETE FROM links WHERE owner = ? AND attr = ?", (owner, attr))
            self.add_links(owner, attr, targets)

    def add_links(self, owner: int, attr: str, targets: Sequence[int]) -> None:
        self.touched_links.add(owner)
        with self.transaction():
            rec = self.conn.execute("SELECT coalesce(max(pos), 0) FROM links WHERE owner = ? AND attr = ?",
                                    (owner, attr)).fetchone()
            pos = int(rec[0])
            for target in targets:
                pos += 1
                self.conn.execute("INSERT OR IGNORE INTO links(owner, attr, target, pos) VALUES (?,?,?,?)",
                                  (owner, attr, target, pos))

    def remove_links(self, owner: int, attr: str, targets: Sequence[int]) -> None:
        self.touched_links.add(owner)
        with self.transaction():
            for target in targets:
                self.conn.execute("DELETE FROM links WHERE owner = ? AND attr = ? AND target = ?",
                                  (owner, attr, target))

    # -- binary content --------------------------------------------------------------------
    def put_blob(self, oid: int, content: bytes) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO blobs(oid, content) VALUES (?, ?)", (oid, content))

    def get_blob(self, oid: int) -> bytes | None:
        rows = self.execute("SELECT content FROM blobs WHERE oid = ?", (oid,))
        return bytes(rows[0][0]) if rows else None

    # -- credentials and meta --------------------------------------------------------------
    def set_credentials(self, user: int, *, password: str | None = None, api_key: str | None = None) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO credentials(user) VALUES (?)", (user,))
            if password is not None:
                self.conn.execute("UPDATE credentials SET password = ? WHERE user = ?", (password, user))
            if api_key is not None:
                self.conn.execute("UPDATE credentials SET api_key = NULL WHERE api_key = ?", (api_key,))
                self.conn.execute("UPDATE credentials SET api_key = ? WHERE user = ?", (api_key, user))

    def credentials(self, user: int) -> tuple[str | None, str | None]:
        rows = self.execute("SELECT password, api_key FROM credentials WHERE user = ?", (user,))
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def user_for_api_key(self, api_key: str) -> int | None:
        rows = self.execute("SELECT user FROM credentials WHERE api_key = ?", (api_key,))
        return int(rows[0][0]) if rows else None

    def get_meta(self, key: str) -> str | None:
        rows = self.execute("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- whole-store export / import -------------------------------------------------------
    TABLES = ("objects", "links", "blobs", "counters", "credentials", "meta", "snapshots", "snapshot_items")

    def dump(self) -> dict[str, list[list[Any]]]:
        """Every table as lists of rows (blobs as hex), for ``GET /emulator/export``."""
        out: dict[str, list[list[Any]]] = {}
        with self.lock:
            for table in self.TABLES:
                select = _SELECT if table == "objects" else f"SELECT * FROM {table}"
                rows = self.conn.execute(select).fetchall()
                out[table] = [[v.hex() if isinstance(v, bytes) else v for v in r] for r in rows]
        return out

    def load(self, dump: dict[str, list[list[Any]]]) -> None:
        """Replace the whole store with a :meth:`dump` (atomically)."""
        self.touched, self.touched_links, self.touched_stale = {}, set(), False
        with self.transaction():
            self._loads += 1
            for table in self.TABLES:
                self.conn.execute(f"DELETE FROM {table}")
                for rec in dump.get(table, []):
                    if table == "blobs":
                        rec = [rec[0], bytes.fromhex(rec[1])]
                    marks = ",".join("?" * len(rec))
                    if table == "objects":  # the document column, written as the store keeps it
                        marks = marks[:-1] + DATA_IN
                        self.conn.execute(f"INSERT INTO objects({', '.join(_COLS)}) VALUES ({marks})", rec)
                        continue
                    self.conn.execute(f"INSERT INTO {table} VALUES ({marks})", rec)

    def close(self) -> None:
        with self.lock:
            self.conn.close()
