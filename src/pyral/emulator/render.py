"""Fetch shaping: turning stored rows into Rally's JSON objects.

* no fetch / ``false``: bare refs; ``true``: every attribute; a list: the listed attributes,
  applied to nested references too (``shallowFetch``: top level only).
* references are nested objects; collections are always summaries with ``Count`` (plus
  ``_tagsNameArray`` for Tags and Milestones); v2.0 never inlines collection members.
* key order follows Rally: ref keys, ``_objectVersion``, ``_refObjectName``, fields, ``_type``.

Rows needed for nested references and collection counts are loaded in batches per page, so a
page costs a fixed number of SQL statements whatever its size.  Catalog objects with no stored
row (built-in attributes, their values, query operators) are rows too (``virtual_members.py``,
:meth:`Renderer.include`): every object, stored or not, is shaped here and only here.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import discussion_age
from .catalog import AttrDef, TypeDef, WorkspaceSchema
from .refs import API_PREFIX, collection_ref, object_ref
from .store import COLUMNS, Row, Store
from .summary import Summaries, collection_summaries, parse_part

META = {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0"}
MAX_DEPTH = 3
TAG_NAME_COLLECTIONS = {"Tags", "Milestones"}


@dataclass(frozen=True)
class Fetch:
    """A parsed fetch parameter."""

    mode: str  # "none" | "all" | "list"
    names: frozenset[str] = frozenset()
    shallow: bool = False
    summaries: Summaries = ()  # ``Tasks:summary[State]`` entries (top-level rows only)

    @classmethod
    def parse(cls, fetch: str | None, shallow: str | None = None, *, default: str = "none") -> Fetch:
        raw, is_shallow = (shallow, True) if shallow not in (None, "") else (fetch, False)
        if raw is None or raw.strip() == "":
            return cls(default)
        text = raw.strip().strip('"').strip("'").strip()
        low = text.lower()
        if low == "true":
            return cls("all")
        if low == "false":
            return cls("none")
        names = set()
        summaries = []
        for part in text.split(","):
            head, colon, rest = part.partition(":")
            name = head.split("[", 1)[0].strip().strip('"')
            if name:
                names.add(name.lower())
                parsed = parse_part(name, rest) if colon else None
                if parsed is not None:
                    summaries.append(parsed)
        return cls("list", frozenset(names), is_shallow, tuple(summaries))

    def wants(self, attr: AttrDef) -> bool:
        if self.mode == "all":
            return True
        if self.mode == "none":
            return False
        low = attr.name.lower()
        return low in self.names or (attr.custom and low.startswith("c_") and low[2:] in self.names)

    def nested(self) -> Fetch:
        """The fetch applied to objects one level down."""
        if self.mode == "list" and not self.shallow:
            return Fetch("list", self.names) if self.summaries else self
        return Fetch("none")


def created_at(stamp: str, now: datetime) -> str:
    """Rally's human ``_CreatedAt``: ``just now``, ``N minutes ago``, ``today at ...``, ``Oct 7``."""
    try:
        when = datetime.fromisoformat(stamp[:19]).replace(tzinfo=UTC)  # strptime costs ~50 us a call
    except ValueError:
        return ""
    age = (now - when).total_seconds()
    if age < 60:
        return "just now"
    if age < 3600:
        minutes = int(age // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    if when.date() == now.date():
        return f"today at {when.strftime('%I:%M %p').lstrip('0').lower()}"
    if when.year == now.year:
        return f"{when.strftime('%b')} {when.day}"
    return f"{when.strftime('%b')} {when.day}, {when.year}"


def empty_value(attr: AttrDef) -> Any:
    """What Rally shows for an unset attribute, by attribute type (wsapi-more.md §7).

    TEXT is ``""``; a drop-down shows its own empty value (``"None"`` for RATING lists, ``""``
    for a STRING list that allows ``""``); any other STRING, numbers, dates and objects are null.
    """
    if attr.type == "TEXT":
        return ""
    if attr.type == "RATING":
        return "None"
    if attr.type == "STRING" and attr.allowed and "" in attr.allowed:
        return ""
    if attr.type == "WEB_LINK":
        return {}
    return None


def builtin_attribute_name(element: str) -> str:
    """``_refObjectName`` of a built-in AttributeDefinition: its element name in lower camel
    case (schemaSuccess.json: ``Workspace`` is ``workspace``; its few irregular internal names,
    ``ObjectID`` as ``oid``, are not reproduced)."""
    return element[:1].lower() + element[1:]


def ref_name(tdef: TypeDef, row: Row) -> str:
    """``_refObjectName`` of an object."""
    data = row.data
    if tdef.name == "User":
        return str(data.get("DisplayName") or data.get("UserName") or "")
    if tdef.name == "AttributeDefinition" and row.oid < 0:  # a built-in attribute
        return builtin_attribute_name(str(data.get("ElementName") or ""))
    if "Name" in data and data["Name"] is not None:
        return str(data["Name"])
    if tdef.name == "AllowedAttributeValue":
        return str(data.get("StringValue", ""))
    if tdef.name == "AllowedQueryOperator":
        return str(data.get("OperatorName", ""))
    return f"{tdef.name}_{row.oid}"


@dataclass
class Renderer:
    """Renders rows of one workspace schema for one request (base URL = scheme://host:port)."""

    store: Store
    schema: WorkspaceSchema
    base: str
    subscription: int
    compact: bool = False  # ``compact=true`` (wsapi-more.md §3)
    permissions: Callable[[Row, TypeDef], str] | None = None  # ``includePermissions=true``: ``_p``
    # Which of these rows may the caller read?  A reference to anything else renders as null.
    visible: Callable[[list[Row]], set[int]] | None = None
    # SQL limiting rows of a type (at an alias) to what the caller may read: collection counts
    # count only the members the caller could list.
    readable: Callable[[TypeDef, str], tuple[str, list[Any]]] | None = None
    _rows: dict[int, Row] = field(default_factory=dict)
    _hidden: set[int] = field(default_factory=set)
    _counts: dict[tuple[int, str], int] = field(default_factory=dict)
    _tag_names: dict[tuple[int, str], list[dict[str, str]]] = field(default_factory=dict)
    _seen: set[int] = field(default_factory=set)  # compact: objects already emitted in full
    _latest_posts: dict[int, str | None] = field(default_factory=dict)  # LatestDiscussionAgeInMinutes

    # -- public ----------------------------------------------------------------------------
    def include(self, rows: Iterable[Row]) -> None:
        """Make rows with no stored copy (catalog objects, ``virtual_members.py``) reachable as
        reference targets; the caller has already decided they may be read."""
        self._rows.update((r.oid, r) for r in rows)

    def objects(self, rows: list[Row], fetch: Fetch, *, top: bool = False) -> list[dict[str, Any]]:
        """Render a page of rows (prefetching their references and collection counts)."""
        self._prefetch(rows, fetch, depth=0, top=top)
        out = [self.obj(r, fetch, top=top) for r in rows]
        if fetch.summaries and rows:
            summaries = collection_summaries(self.store, self.schema, rows, fetch.summaries, self._count,
                                             lambda row: ref_name(self.tdef(row), row))
            for obj, row in zip(out, rows, strict=True):
                type_name = obj.pop("_type", None)
                obj["Summary"] = summaries[row.oid]
                if type_name is not None:
                    obj["_type"] = type_name
        return out

    def obj(self, row: Row, fetch: Fetch, *, top: bool = False, depth: int = 0) -> dict[str, Any]:
        tdef = self.tdef(row)
        if self.compact:
            return self._compact_obj(row, tdef, fetch, top=top, depth=depth)
        out: dict[str, Any] = dict(META)
        out["_ref"] = object_ref(self.base, tdef.type_path, row.oid)
        out["_refObjectUUID"] = row.uuid
        if fetch.mode == "none" and not top:
            out["_refObjectName"] = ref_name(tdef, row)
            self._permission(out, row, tdef)
            out["_type"] = tdef.type_path
            return out
        out["_objectVersion"] = str(row.version)
        out["_refObjectName"] = ref_name(tdef, row)
        for attr in self._plan(tdef, fetch, top):
            out[attr.name] = self.value(row, tdef, attr, fetch, depth)
            if attr.name == "CreationDate":
                out["_CreatedAt"] = created_at(row.created, self.store.clock.now())
        self._permission(out, row, tdef)
        if not top:
            out["_type"] = tdef.type_path
        return out

    def _compact_obj(self, row: Row, tdef: TypeDef, fetch: Fetch, *, top: bool, depth: int) -> dict[str, Any]:
        """``compact=true``: no API version keys or ``_objectVersion``, relative refs, no
        ``_refObjectName`` without a Name, and a nested object already emitted in this response
        reduced to its ``_ref``."""
        ref = object_ref("", tdef.type_path, row.oid)[len(API_PREFIX):]
        if depth > 0 and row.oid in self._seen:
            return {"_ref": ref}
        self._seen.add(row.oid)
        out: dict[str, Any] = {"_ref": ref, "_refObjectUUID": row.uuid}
        if tdef.name == "User" or "Name" in tdef.by_name:
            out["_refObjectName"] = ref_name(tdef, row)
        if not (fetch.mode == "none" and not top):
            for attr in self._plan(tdef, fetch, top):
                out[attr.name] = self.value(row, tdef, attr, fetch, depth)
                if attr.name == "CreationDate":
                    out["_CreatedAt"] = created_at(row.created, self.store.clock.now())
        self._permission(out, row, tdef)
        if not top:
            out["_type"] = tdef.type_path
        return out

    def _permission(self, out: dict[str, Any], row: Row, tdef: TypeDef) -> None:
        if self.permissions is not None:
            out["_p"] = self.permissions(row, tdef)

    def _plan(self, tdef: TypeDef, fetch: Fetch, top: bool) -> tuple[AttrDef, ...]:
        """The attributes rendered for a type under a fetch (computed once per request)."""
        key = (tdef.type_path, fetch, top)
        plans = self.schema.plans  # shared by every request on this schema (plans are pure)
        plan = plans.get(key)
        if plan is None:
            full = fetch.mode == "all" or (top and fetch.mode == "none")
            plan = tuple(a for a in tdef.attrs
                         if (full and not a.hidden) or fetch.wants(a))
            if len(plans) > 4096:
                plans.clear()
            plans[key] = plan
        return plan

    def bare(self, row: Row) -> dict[str, Any]:
        return self.obj(row, Fetch("none"))

    def tdef(self, row: Row) -> TypeDef:
        tdef = self.schema.get(row.type)
        assert tdef is not None, row.type
        return tdef

    # -- values ----------------------------------------------------------------------------
    def value(self, row: Row, tdef: TypeDef, attr: AttrDef, fetch: Fetch, depth: int) -> Any:
        name = attr.name
        if attr.type == "COLLECTION":
            return self.summary(row, tdef, attr)
        if name == "Subscription":
            return self.ref_value(self.subscription, fetch, depth)
        if name == "FormattedID":
            return f"{tdef.id_prefix or ''}{row.fid}" if row.fid is not None else None
        if name == "VersionId":
            return str(row.version)
        if name == "SchemaVersion" and tdef.name in ("Workspace", "Project"):
            return self.schema.version()
        if name == "ScheduleStatePrefix":
            state = row.data.get("ScheduleState") or ""
            return "P" if state == "In-Progress" else state[:1]
        if name == "Content" and attr.type == "BINARY_DATA":
            blob = self.store.get_blob(row.oid)
            return base64.b64encode(blob).decode("ascii") if blob is not None else ""
        raw = row.get(name) if name in COLUMNS else None
        if raw is None:  # permissions keep their Project/Workspace in the document
            raw = row.data.get(name)
        if name == "UsageCount" and tdef.name == "Tag":
            return self._tag_usage(row.oid)
        if name == discussion_age.ATTRIBUTE:
            if row.oid not in self._latest_posts:
                self._load_latest_posts([row], tdef)
            return discussion_age.age_minutes(self._latest_posts.get(row.oid), self.store.clock.now())
        if attr.type == "OBJECT":
            if raw is None or isinstance(raw, dict):
                return raw
            return self.ref_value(int(raw), fetch, depth)
        if raw is None and attr.type == "BOOLEAN":
            return False  # Rally never answers null for a boolean (docs/emulator.md, Conformance)
        if raw is None:
            return empty_value(attr)
        return raw

    def _tag_usage(self, oid: int) -> int:
        """Tag.UsageCount: how many live objects carry the tag."""
        recs = self.store.execute("SELECT count(*) FROM links l JOIN objects o ON o.oid = l.owner AND o.deleted = 0"
                                  " WHERE l.attr = 'Tags' AND l.target = ?", [oid])
        return int(recs[0][0])

    def ref_value(self, oid: int, fetch: Fetch, depth: int) -> dict[str, Any] | None:
        if oid in self._hidden:
            return None
        row = self._rows.get(oid)
        if row is None:
            row = self.store.get(oid)
            if row is None:
                return None
            self._admit({oid: row})
            if oid in self._hidden:
                return None
        nested = fetch.nested() if depth + 1 < MAX_DEPTH else Fetch("none")
        if nested.mode == "list":
            return self.obj(row, nested, depth=depth + 1)
        return self.bare(row)

    def summary(self, row: Row, tdef: TypeDef, attr: AttrDef) -> dict[str, Any]:
        spec = attr.collection
        child = self.schema.get(spec.child) if spec else None
        out: dict[str, Any] = {} if self.compact else dict(META)
        ref = collection_ref(self.base, tdef.type_path, row.oid, attr.name)
        out["_ref"] = ref[len(self.base) + len(API_PREFIX):] if self.compact else ref
        out["_type"] = child.type_path if child else (attr.target or "DomainObject")
        if attr.name in TAG_NAME_COLLECTIONS:
            key = (row.oid, attr.name)
            if key not in self._tag_names:
                self._load_tag_names([row], attr)
            out["_tagsNameArray"] = self._tag_names.get(key, [])
        key = (row.oid, attr.name)
        if key not in self._counts:
            self._load_counts([row], tdef, attr)
        out["Count"] = self._counts.get(key, 0)
        return out

    def _count(self, row: Row, tdef: TypeDef, attr: AttrDef) -> int:
        key = (row.oid, attr.name)
        if key not in self._counts:
            self._load_counts([row], tdef, attr)
        return self._counts.get(key, 0)

    # -- batch loading ---------------------------------------------------------------------
    def _prefetch(self, rows: list[Row], fetch: Fetch, depth: int, top: bool = False) -> None:
        if not rows or depth >= MAX_DEPTH:
            return
        by_type: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            by_type[r.type].append(r)
        ref_ids: set[int] = set()
        for type_path, group in by_type.items():
            tdef = self.schema.get(type_path)
            if tdef is None:
                continue
            for attr in self._plan(tdef, fetch, top):
                if attr.name == "Subscription":
                    ref_ids.add(self.subscription)
                elif attr.name == discussion_age.ATTRIBUTE:
                    self._load_latest_posts(group, tdef)
                elif attr.type == "COLLECTION":
                    self._load_counts(group, tdef, attr)
                    if attr.name in TAG_NAME_COLLECTIONS:
                        self._load_tag_names(group, attr)
                elif attr.type == "OBJECT":
                    for r in group:
                        v = r.get(attr.name)
                        if isinstance(v, int):
                            ref_ids.add(v)
        missing = [o for o in ref_ids if o not in self._rows]
        loaded = self._admit(self.store.get_many(missing))
        nested = fetch.nested()
        if nested.mode == "list" and loaded:
            self._prefetch(list(loaded.values()), nested, depth + 1)

    def _admit(self, loaded: dict[int, Row]) -> dict[int, Row]:
        """Keep loaded reference targets; the ones the caller may not read are remembered as hidden."""
        if self.visible is not None and loaded:
            seen = self.visible(list(loaded.values()))
            self._hidden.update(o for o in loaded if o not in seen)
            loaded = {o: r for o, r in loaded.items() if o in seen}
        self._rows.update(loaded)
        return loaded

    def _load_counts(self, rows: Iterable[Row], tdef: TypeDef, attr: AttrDef) -> None:
        spec = attr.collection
        oids = [r.oid for r in rows]
        for o in oids:
            self._counts.setdefault((o, attr.name), 0)
        if spec is None or not oids:
            return
        marks = ",".join("?" * len(oids))
        member = self.schema.get(spec.child)
        alias = "c" if spec.kind == "inverse" else "t"
        vis, vis_args = (self.readable(member, alias) if self.readable is not None and member is not None
                         else ("1", []))
        if spec.kind == "inverse":
            if member is None:
                return
            types = [t.type_path for t in self.schema.catalog.concrete(member)]
            tmarks = ",".join("?" * len(types))
            from .store import value_sql

            col = value_sql("c", spec.via)
            recs = self.store.execute(
                f"SELECT {col}, count(*) FROM objects c WHERE c.deleted = 0 AND c.type IN ({tmarks})"
                f" AND {col} IN ({marks}) AND ({vis}) GROUP BY {col}", [*types, *oids, *vis_args])
        elif spec.kind == "link":
            recs = self.store.execute(
                "SELECT l.owner, count(*) FROM links l JOIN objects t ON t.oid = l.target AND t.deleted = 0"
                f" WHERE l.attr = ? AND l.owner IN ({marks}) AND ({vis}) GROUP BY l.owner",
                [attr.name, *oids, *vis_args])
        elif spec.kind == "reverse":
            recs = self.store.execute(
                "SELECT l.target, count(*) FROM links l JOIN objects t ON t.oid = l.owner AND t.deleted = 0"
                f" WHERE l.attr = ? AND l.target IN ({marks}) AND ({vis}) GROUP BY l.target",
                [spec.via, *oids, *vis_args])
        else:
            recs = self._virtual_counts(tdef, attr, list(rows))
        for owner, count in recs:
            self._counts[(int(owner), attr.name)] = int(count)

    def _virtual_counts(self, tdef: TypeDef, attr: AttrDef, rows: list[Row]) -> list[tuple[int, int]]:
        spec = attr.collection
        assert spec is not None
        out: list[tuple[int, int]] = []
        for r in rows:
            if spec.via == "typedef-attrs":
                target = self.schema.get(str(r.data.get("TypePath", "")))
                out.append((r.oid, len(target.attrs) if target else 0))
            elif spec.via == "allowed-values":
                found = self.schema.catalog.attr_by_oid(r.oid)
                allowed = found[1].allowed if found else r.data.get("AllowedValueList")
                out.append((r.oid, len(allowed or ())))
            elif spec.via == "root-projects":
                recs = self.store.execute(
                    "SELECT count(*) FROM objects c WHERE c.deleted = 0 AND c.type = 'Project' AND c.workspace = ?"
                    " AND json_extract(c.data, '$.\"Parent\"') IS NULL", [r.oid])
                out.append((r.oid, int(recs[0][0])))
            elif spec.via == "pi-children":
                recs = self.store.execute(
                    "SELECT count(*) FROM objects c WHERE c.deleted = 0 AND json_extract(c.data, '$.\"Parent\"') = ?"
                    " AND c.type LIKE 'PortfolioItem/%'", [r.oid])
                out.append((r.oid, int(recs[0][0])))
            elif spec.via == "query-operators":
                found = self.schema.catalog.attr_by_oid(r.oid)
                out.append((r.oid, len(self.schema.catalog.operators(found[1])) if found else 0))
        return out

    def _load_latest_posts(self, rows: list[Row], tdef: TypeDef) -> None:
        for r in rows:
            self._latest_posts.setdefault(r.oid, None)
        self._latest_posts.update(discussion_age.latest_posts(self.store, self.schema, tdef, rows))

    def _load_tag_names(self, rows: Iterable[Row], attr: AttrDef) -> None:
        oids = [r.oid for r in rows]
        for o in oids:
            self._tag_names.setdefault((o, attr.name), [])
        if not oids:
            return
        marks = ",".join("?" * len(oids))
        recs = self.store.execute(
            "SELECT l.owner, t.oid, t.type, json_extract(t.data, '$.\"Name\"') FROM links l"
            " JOIN objects t ON t.oid = l.target AND t.deleted = 0"
            f" WHERE l.attr = ? AND l.owner IN ({marks}) ORDER BY l.owner, l.pos", [attr.name, *oids])
        for owner, oid, type_path, name in recs:
            self._tag_names[(int(owner), attr.name)].append(
                {"Name": name or "", "_ref": f"/{str(type_path).lower()}/{oid}"})
