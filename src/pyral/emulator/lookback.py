"""The Lookback API: ``/analytics/v2.0/service/rally/workspace/<oid>/artifact/snapshot/query.js``.

GET (each query-string value is JSON text) or POST (one JSON object, whatever the
Content-Type), both parsed leniently (JSON5: unquoted keys, single quotes).  Parameters:
``find`` (required), ``fields`` (names, or ``true``), ``hydrate``, ``sort``, ``start``,
``pagesize`` (default 100, at most 20000; 100 with ``fields=true``), ``compress`` and
``removeUnauthorizedSnapshots``.  The answer is Rally's flat envelope; failures are HTTP 400
(bad request) or 403 (workspace or projects the user may not read) with the text in ``Errors``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import json5

from . import access
from .history import TYPE_OIDS, type_chain
from .lookback_find import FindCompiler, FindError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .backend import Backend, Principal
    from .routing import Request

META = {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0"}
DEFAULT_PAGESIZE = 100
MAX_PAGESIZE = 20000
FIELDS_TRUE_PAGESIZE = 100
FIELDS_TRUE_WARNING = "Max page size limited to 100 when fields=true"
MINIMAL_FIELDS = ("ObjectID", "_ValidFrom", "_ValidTo", "Project")
# What hydrating a reference gives (besides ObjectID); other references stay OIDs.
HYDRATED_REFS: dict[str, tuple[tuple[str, str], ...]] = {
    "Project": (("Name", "Name"),),
    "Iteration": (("Name", "Name"), ("StartDate", "StartDate"), ("EndDate", "EndDate")),
    "Release": (("Name", "Name"), ("StartDate", "ReleaseStartDate"), ("ReleaseDate", "ReleaseDate"))}
# How a sort key reads a field (the find compiler's columns, then the document).
SORT_COLUMNS = {"ObjectID": "s.oid", "_ValidFrom": "s.valid_from", "_ValidTo": "s.valid_to",
                "_SnapshotNumber": "s.number", "_UnformattedID": "json_extract(s.data, '$.\"_UnformattedID\"')",
                "Project": "s.project", "_User": "s.user"}
# Fields not read from the snapshot document.
COMPUTED = {"_ValidFrom", "_ValidTo", "_SnapshotNumber", "_TypeHierarchy", "_SnapshotType", "_User", "_Revision",
            "_RevisionNumber", "_PreviousValues", "FormattedID"}
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PARAMS = ("find", "fields", "hydrate", "sort", "start", "pagesize", "compress", "removeUnauthorizedSnapshots")
Result = tuple[int, dict[str, Any]]


class LookbackError(Exception):
    """A request the endpoint refuses: HTTP ``status`` with ``message`` in Errors."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Query:
    """One request's parameters, checked."""

    find: dict[str, Any]
    fields: list[str] | None  # None: the minimal set; [] never
    all_fields: bool
    hydrate: list[str]
    sort: list[tuple[str, int]]
    start: int
    pagesize: int
    compress: bool
    remove_unauthorized: bool
    warnings: list[str] = field(default_factory=list)


def loads(text: str | bytes) -> Any:
    """JSON, or failing that JSON5 (Rally's parser accepts unquoted keys and single quotes)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return json.loads(text)
    except ValueError:
        return json5.loads(text)


def read_params(req: Request) -> dict[str, Any]:
    """The parameters of a GET (query string) or POST (JSON body) request."""
    out: dict[str, Any] = {}
    if req.method == "POST" and req.body.strip():
        try:
            body = loads(req.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise LookbackError(f"Could not parse the request body as JSON: {exc}") from None
        if not isinstance(body, dict):
            raise LookbackError("The request body must be a JSON object, e.g. {\"find\": {...}}")
        out.update(body)
    for name in PARAMS:
        raw = req.param(name)
        if raw is None or name in out:
            continue
        try:
            out[name] = loads(raw)
        except ValueError:
            if name == "find":
                raise LookbackError(f"Could not parse find as JSON: {raw}") from None
            out[name] = raw  # a bare word: sort=_ValidFrom, fields=Name
    return out


def _flag(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or value is None:
        raise LookbackError(f"{name} must be a non-negative integer, not {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise LookbackError(f"{name} must be a non-negative integer, not {value!r}") from None
    if number < 0 or number != float(value):
        raise LookbackError(f"{name} must be a non-negative integer, not {value!r}")
    return number


def _names(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, dict):  # Mongo's projection form {"Name": 1}
        return [str(k) for k, v in value.items() if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise LookbackError(f"{name} must be an array of field names")


def parse_query(params: dict[str, Any]) -> Query:
    if "find" not in params or params["find"] is None:
        raise LookbackError("find is required: give a find clause, e.g. {\"find\": {\"ObjectID\": 12345}}")
    find = params["find"]
    if not isinstance(find, dict):
        raise LookbackError("find must be a JSON object, e.g. {\"ObjectID\": 12345}")
    warnings: list[str] = []
    fields_value = params.get("fields")
    all_fields = fields_value is True or (isinstance(fields_value, str) and fields_value.lower() == "true")
    fields = None if fields_value in (None, False) or all_fields else _names(fields_value, "fields")
    hydrate = _names(params["hydrate"], "hydrate") if params.get("hydrate") else []
    sort: list[tuple[str, int]] = []
    raw_sort = params.get("sort")
    if isinstance(raw_sort, str) and raw_sort:
        sort = [(raw_sort.lstrip("-+"), -1 if raw_sort.startswith("-") else 1)]
    elif isinstance(raw_sort, dict):
        for key, direction in raw_sort.items():
            if direction not in (1, -1):
                raise LookbackError(f"sort directions are 1 or -1, not {direction!r} (for {key})")
            sort.append((str(key), int(direction)))
    elif raw_sort not in (None, ""):
        raise LookbackError("sort must be an object such as {\"_ValidFrom\": 1}")
    start = _int(params, "start", 0)
    pagesize = _int(params, "pagesize", DEFAULT_PAGESIZE)
    if pagesize == 0:
        raise LookbackError("pagesize must be at least 1")
    pagesize = min(pagesize, MAX_PAGESIZE)
    if all_fields:
        warnings.append(FIELDS_TRUE_WARNING)
        pagesize = min(pagesize, FIELDS_TRUE_PAGESIZE)
    return Query(find=find, fields=fields, all_fields=all_fields, hydrate=hydrate, sort=sort, start=start,
                 pagesize=pagesize, compress=_flag(params, "compress"),
                 remove_unauthorized=_flag(params, "removeUnauthorizedSnapshots"), warnings=warnings)


def error_envelope(message: str, etl: str) -> dict[str, Any]:
    return {**META, "Errors": [message], "Warnings": [], "TotalResultCount": 0, "HasMore": False,
            "StartIndex": 0, "PageSize": 0, "ETLDate": etl, "Results": []}


class Lookback:
    """Answers snapshot queries for one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.store = backend.store

    def handle(self, req: Request, workspace: str, principal: Principal) -> Result:
        etl = self.backend.clock.iso()
        try:
            return 200, self._query(req, workspace, principal, etl)
        except LookbackError as exc:
            return exc.status, error_envelope(exc.message, etl)

    # -- the query -------------------------------------------------------------------------
    def _query(self, req: Request, workspace_text: str, principal: Principal, etl: str) -> dict[str, Any]:
        began = time.perf_counter()
        if not workspace_text.isdigit():
            raise LookbackError(f"Invalid workspace ObjectID: {workspace_text}")
        workspace = int(workspace_text)
        ws = self.store.get(workspace)
        if ws is None or ws.type != "Workspace":
            raise LookbackError(f"Workspace {workspace} does not exist", 404)
        rights = access.policy(self.backend, principal)
        if not rights.is_workspace_admin(workspace) and workspace not in rights.visible_workspaces():
            raise LookbackError(f"Forbidden: not authorized to read workspace {workspace}", 403)
        query = parse_query(read_params(req))
        compiler = FindCompiler(types=lambda v: self._types(workspace, v), projects=self._project_tree,
                                ordered=lambda f: self._ordered(workspace, f))
        try:
            where, params = compiler.where(query.find)
        except FindError as exc:
            raise LookbackError(str(exc)) from None
        # "+": the workspace filters, it never drives the plan (see the snapshots indexes)
        where, params = f"+s.workspace = ? AND ({where})", [workspace, *params]
        parsed = time.perf_counter()
        if not rights.is_workspace_admin(workspace):
            allowed = rights.readable_projects()
            marks = ",".join("?" * len(allowed))
            inside = f"(s.project IS NULL OR s.project IN ({marks}))" if allowed else "s.project IS NULL"
            if query.remove_unauthorized:
                where, params = f"{where} AND {inside}", [*params, *allowed]
            else:
                denied = self.store.execute(f"SELECT DISTINCT s.project FROM snapshots s WHERE {where} AND NOT {inside}"
                                            " ORDER BY s.project LIMIT 100", [*params, *allowed])
                if denied:
                    raise LookbackError("Unauthorized for projects: " + ",".join(str(r[0]) for r in denied), 403)
        authorized = time.perf_counter()
        total = int(self.store.execute(f"SELECT count(*) FROM snapshots s WHERE {where}", params)[0][0])
        order = self._order(query.sort)
        document, previous = self._documents(query)
        rows = self.store.execute(
            "SELECT s.id, s.oid, s.type, s.number, s.valid_from, s.valid_to, s.kind, s.user, s.revision, s.revnum,"
            f" {document}, {previous} FROM snapshots s WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, query.pagesize, query.start])
        queried = time.perf_counter()
        typedefs = self._typedef_oids(workspace)
        chains = {t: self._hierarchy_oids(t, typedefs) for t in {r[2] for r in rows}}
        stored = self._stored_names(query)
        full = [self._snapshot(r, chains, stored) for r in rows]
        results = [self._project(snap, query) for snap in full]
        self._hydrate(results, query.hydrate, workspace)
        body: dict[str, Any] = {**META, "Errors": [], "Warnings": list(query.warnings),
                                "GeneratedQuery": self._generated(query, etl)}
        compressed = None
        if query.compress:
            results = self._compress(results, full)
            compressed = len(results)
        done = time.perf_counter()
        body.update({"TotalResultCount": total, "HasMore": query.start + len(rows) < total,
                     "StartIndex": query.start, "PageSize": query.pagesize, "ETLDate": etl})
        if compressed is not None:
            body["CompressedResultCount"] = compressed
        body["Results"] = results
        body["ThreadStats"] = {"cpuTime": f"{(done - began) * 1000:.6f}", "waitTime": "0", "waitCount": "0",
                               "blockedTime": "0", "blockedCount": "0"}
        body["Timings"] = {"preProcess": round((parsed - began) * 1000, 1),
                           "authorization": round((authorized - parsed) * 1000, 1),
                           "mongoQuery": round((queried - authorized) * 1000, 1),
                           "TOTAL": round((done - began) * 1000, 1)}
        return body

    def _order(self, sort: list[tuple[str, int]]) -> str:
        if not sort:
            return "s.valid_from, s.id"
        keys = []
        for name, direction in sort:
            expr = SORT_COLUMNS.get(name)
            if expr is None:
                if name.startswith("_PreviousValues."):
                    expr = f"json_extract(s.prev, '$.\"{name.split('.', 1)[1]}\"')"
                elif name.replace("_", "").isalnum():
                    expr = f"json_extract(s.data, '$.\"{name}\"')"
                else:
                    raise LookbackError(f"Cannot sort on {name}")
            keys.append(f"{expr} {'DESC' if direction < 0 else 'ASC'}")
        return ", ".join([*keys, "s.id"])

    # -- shaping ---------------------------------------------------------------------------
    @staticmethod
    def _stored_names(query: Query) -> list[str] | None:
        """The document fields a page needs (None: the whole document)."""
        if query.all_fields:
            return None
        names = query.fields if query.fields is not None else list(MINIMAL_FIELDS)
        wanted = {"_UnformattedID" if n == "FormattedID" else n for n in names}
        return ["ObjectID", *sorted(n for n in wanted if n not in COMPUTED and _PLAIN.match(n) and n != "ObjectID")]

    def _documents(self, query: Query) -> tuple[str, str]:
        """SQL reading the snapshot document and previous values: whole, or only what the
        requested fields need (a JSON array of them; decoding whole documents dominates a page)."""
        stored = self._stored_names(query)
        document = "s.data" if stored is None else \
            "json_extract(s.data, " + ", ".join(f"'$.\"{n}\"'" for n in [*stored, "ObjectID"]) + ")"
        wants_prev = query.all_fields or any(n.startswith("_PreviousValues") for n in query.fields or ())
        return document, ("s.prev" if wants_prev else "'{}'")

    @staticmethod
    def _snapshot(rec: Sequence[Any], chains: dict[str, list[int]], stored: list[str] | None) -> dict[str, Any]:
        """The fields of one stored snapshot a page needs, as Lookback names them."""
        _id, oid, type_path, number, valid_from, valid_to, kind, user, revision, revnum, data, prev = rec
        out: dict[str, Any]
        if stored is None:
            out = json.loads(data)
        else:
            out = {name: value for name, value in zip(stored, json.loads(data), strict=False) if value is not None}
        out["_ValidFrom"], out["_ValidTo"] = valid_from, valid_to
        out["_SnapshotNumber"] = number
        out["_TypeHierarchy"] = list(chains[type_path])
        out["_PreviousValues"] = json.loads(prev)
        if kind:
            out["_SnapshotType"] = kind
        if user is not None:
            out["_User"] = user
        if revision is not None:
            out["_Revision"] = revision
            out["_RevisionNumber"] = revnum
        out["__type"] = type_path  # internal: removed by _project
        return out

    def _project(self, snap: dict[str, Any], query: Query) -> dict[str, Any]:
        if query.all_fields:
            return {k: v for k, v in snap.items() if k != "__type"}
        names = query.fields if query.fields is not None else list(MINIMAL_FIELDS)
        out: dict[str, Any] = {}
        for name in names:
            if name == "FormattedID":
                if "_UnformattedID" in snap:
                    tdef = self.backend.catalog.get(snap["__type"])
                    out["FormattedID"] = f"{tdef.id_prefix if tdef else ''}{snap['_UnformattedID']}"
            elif name.startswith("_PreviousValues."):
                key = name.split(".", 1)[1]
                if key in snap["_PreviousValues"]:
                    out[name] = snap["_PreviousValues"][key]
            elif name in snap:
                out[name] = snap[name]
        return out

    def _hydrate(self, results: list[dict[str, Any]], names: list[str], workspace: int) -> None:
        if not names:
            return
        wanted: dict[str, str] = {}  # result key -> referenced field
        for name in names:
            base = name.split(".", 1)[1] if name.startswith("_PreviousValues.") else name
            if base in HYDRATED_REFS:
                wanted[name] = base
        refs = {int(r[key]) for r in results for key in wanted if isinstance(r.get(key), int)}
        refs |= {int(r["_PreviousValues"][b]) for r in results for b in HYDRATED_REFS
                 if "_PreviousValues" in names and isinstance(r.get("_PreviousValues"), dict)
                 and isinstance(r["_PreviousValues"].get(b), int)}
        rows = self.store.get_many(refs) if refs else {}

        def shown(base: str, oid: Any) -> Any:
            row = rows.get(oid) if isinstance(oid, int) else None
            if row is None:
                return oid
            return {"ObjectID": oid, **{out: row.data.get(attr) for out, attr in HYDRATED_REFS[base]}}

        names_by_oid = {oid: name for name, oid in self._typedef_oids(workspace).items()}
        for result in results:
            for key, base in wanted.items():
                if key in result:
                    result[key] = shown(base, result[key])
            if "_PreviousValues" in names and isinstance(result.get("_PreviousValues"), dict):
                prev = result["_PreviousValues"]
                for base in HYDRATED_REFS:
                    if base in prev:
                        prev[base] = shown(base, prev[base])
            if "_TypeHierarchy" in names and isinstance(result.get("_TypeHierarchy"), list):
                result["_TypeHierarchy"] = [self._type_name(t, names_by_oid) for t in result["_TypeHierarchy"]]

    @staticmethod
    def _type_name(oid: int, names_by_oid: dict[int, str]) -> str:
        for name, builtin in TYPE_OIDS.items():
            if builtin == oid:
                return name
        path = names_by_oid.get(oid, str(oid))
        return path.split("/")[-1]

    def _compress(self, results: list[dict[str, Any]], full: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Merge each object's consecutive snapshots whose requested values are all equal."""
        skip = {"_ValidFrom", "_ValidTo", "_SnapshotNumber", "_PreviousValues", "_SnapshotType", "_User",
                "_Revision", "_RevisionNumber"}
        kept: list[dict[str, Any]] = []
        last: dict[int, tuple[dict[str, Any], int, Any]] = {}
        for result, snap in zip(results, full, strict=True):
            oid, number = snap["ObjectID"], snap["_SnapshotNumber"]
            key = json.dumps({k: v for k, v in result.items() if k not in skip and not k.startswith("_PreviousValues")},
                             sort_keys=True, default=str)
            prior = last.get(oid)
            if prior is not None and prior[1] + 1 == number and prior[2] == key and \
                    prior[0].get("_ValidTo", snap["_ValidFrom"]) == snap["_ValidFrom"]:
                if "_ValidTo" in prior[0]:
                    prior[0]["_ValidTo"] = snap["_ValidTo"]
                last[oid] = (prior[0], number, key)
                continue
            kept.append(result)
            last[oid] = (result, number, key)
        return kept

    def _generated(self, query: Query, etl: str) -> dict[str, Any]:
        find = dict(query.find)
        bound = find.get("_ValidFrom")
        if bound is None:
            find["_ValidFrom"] = {"$lte": etl}
        elif isinstance(bound, dict) and "$lte" not in bound:
            find["_ValidFrom"] = {**bound, "$lte": etl}
        out: dict[str, Any] = {"find": find, "limit": query.pagesize, "skip": query.start,
                               "fields": True if query.all_fields else
                               {name: 1 for name in (query.fields or MINIMAL_FIELDS)}}
        if query.sort:
            out["sort"] = dict(query.sort)
        if query.compress:
            out["compress"] = True
        return out

    # -- lookups for the find compiler -----------------------------------------------------
    def _typedef_oids(self, workspace: int) -> dict[str, int]:
        rows = self.store.execute("SELECT oid, json_extract(data, '$.\"TypePath\"') FROM objects"
                                  " WHERE type = 'TypeDefinition' AND workspace = ?", [workspace])
        return {str(path): int(oid) for oid, path in rows}

    def _hierarchy_oids(self, type_path: str, typedefs: dict[str, int]) -> list[int]:
        tdef = self.backend.catalog.get(type_path)
        if tdef is None:
            return []
        chain = [TYPE_OIDS[name] for name in type_chain(self.backend, tdef) if name in TYPE_OIDS]
        if type_path in typedefs:
            chain.append(typedefs[type_path])
        return chain

    def _types(self, workspace: int, value: Any) -> list[str] | None:
        """Concrete type paths a _TypeHierarchy value (name, path, built-in or workspace OID) covers."""
        catalog = self.backend.catalog
        name: str | None = None
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            for builtin, oid in TYPE_OIDS.items():
                if oid == value:
                    name = builtin
            if name is None:
                for path, oid in self._typedef_oids(workspace).items():
                    if oid == value:
                        name = path
        elif isinstance(value, str):
            name = value
        if name is None:
            return None
        if name in ("PersistableObject", "DomainObject", "WorkspaceDomainObject"):
            name = "Artifact"
        tdef = catalog.get(name)
        if tdef is None:
            return None
        return [t.type_path for t in catalog.concrete(tdef) if catalog.is_a(t, "Artifact")]

    def _project_tree(self, project: int) -> list[int]:
        rows = self.store.execute(
            "WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT p.oid FROM objects p JOIN tree"
            " ON json_extract(p.data, '$.\"Parent\"') = tree.id WHERE p.type = 'Project')"
            " SELECT id FROM tree", [project])
        return [int(r[0]) for r in rows]

    def _ordered(self, workspace: int, name: str) -> Sequence[str] | None:
        schema = self.backend.schema(workspace)
        for type_name in ("HierarchicalRequirement", "Defect", "Task", "TestCase", "PortfolioItem/Feature"):
            tdef = schema.get(type_name)
            attr = tdef.attr(name) if tdef is not None else None
            if attr is not None and attr.name == name and attr.allowed and (
                    attr.type in ("STATE", "RATING") or attr.constrained):
                return [v for v in attr.allowed if v]
        return None

