"""WSAPI handlers: read, query, create, update, delete, collections, batch, schema.

Each handler takes the decoded :class:`~pyral.emulator.routing.Request`, the resolved route and
the authenticated principal, and returns ``(status, body)``.  Logical failures are HTTP 200
with Rally's texts in ``Errors``; scoping, paging and fetch shaping follow the protocol notes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from . import access, copying, envelopes, errors, service
from .backend import Backend, Principal
from .catalog import AttrDef, TypeDef, WorkspaceSchema
from .errors import WsapiError
from .payload import load_json
from .query_compiler import QueryCompiler
from .query_parser import QueryError, parse_query
from .refs import API_PREFIX, object_ref, parse_ref
from .render import META, Fetch, Renderer, builtin_attribute_name
from .routing import Request, Route, route
from .store import Row, value_sql
from .store import sqlite3 as sqlite
from .virtual_members import attrdef_row, member_of, member_row, uuid_for
from .virtual_query import select as select_virtual

DEFAULT_PAGESIZE = 20
MAX_PAGESIZE = 2000
MAX_START = 2**62  # beyond any store; keeps SQLite's 64-bit OFFSET from overflowing
Result = tuple[int, dict[str, Any]]
log = logging.getLogger("pyral.emulator")


def schema_not_found() -> Result:
    """Rally's answer to a schema request for a workspace the caller cannot see."""
    return 200, envelopes.query_error("Cannot find object to read", pagesize=200)


class Handlers:
    """The WSAPI surface over one :class:`Backend`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.store = backend.store

    # -- entry -----------------------------------------------------------------------------
    def handle(self, req: Request, rt: Route, principal: Principal) -> Result:
        try:
            try:
                return self._dispatch(req, rt, principal)
            except (OverflowError, RecursionError, sqlite.OperationalError) as exc:
                # Input past a limit of SQLite or Python (a number, a nesting, a statement size):
                # the request is refused like any bad input; its transaction was already undone.
                log.warning("refused %s %s: %s: %s", req.method, req.path, type(exc).__name__, exc)
                raise WsapiError(f"Could not parse: the request exceeds a limit of the server ({exc})") from None
        except WsapiError as exc:
            if rt.kind == "create":
                return 200, envelopes.create_result(None, [exc.message], exc.warnings)
            if rt.kind in ("query", "collection"):
                return 200, envelopes.query_error(exc.message)
            return 200, envelopes.operation_result(errors=[exc.message], warnings=exc.warnings)

    def _dispatch(self, req: Request, rt: Route, principal: Principal) -> Result:
        if rt.kind == "authorize":
            return self.authorize(req, principal)
        if rt.kind == "batch":
            return self.batch(req, principal)
        if rt.kind == "schema":
            return self.schema(req, rt, principal)
        if rt.kind == "scoped_attribute":
            return self.scoped_attribute(req, rt, principal)
        tdef = self._type(req, rt.type_name, principal)
        if rt.kind in ("create", "update", "delete", "copy", "collection_add", "collection_remove"):
            self._check_key(req, principal)
        if rt.kind == "query":
            # Rally answers /user and /subscription without a query with the caller's own object
            # (upstream pyral relies on it when connecting with an API key).
            if rt.type_name.lower() in ("user", "subscription") and not req.param("query"):
                return self.current(req, tdef, principal)
            return self.query(req, tdef, principal)
        if rt.kind == "read":
            assert rt.oid is not None
            return self.read(req, tdef, rt.oid, principal)
        if rt.kind == "create":
            return self.create(req, tdef, principal)
        if rt.kind == "update":
            assert rt.oid is not None
            return self.update(req, tdef, rt.oid, principal)
        if rt.kind == "delete":
            assert rt.oid is not None
            return self.delete(req, tdef, rt.oid, principal)
        if rt.kind == "copy":
            assert rt.oid is not None
            return self.copy(req, tdef, rt.oid, principal)
        if rt.kind == "collection":
            assert rt.oid is not None
            return self.collection(req, tdef, rt.oid, rt.attr, principal)
        if rt.kind in ("collection_add", "collection_remove"):
            assert rt.oid is not None
            return self.collection_change(req, tdef, rt.oid, rt.attr, principal, rt.kind.endswith("add"))
        raise WsapiError(f"Unsupported request: {req.method} {req.path}")

    # -- helpers ---------------------------------------------------------------------------
    def _type(self, req: Request, name: str, principal: Principal) -> TypeDef:
        workspace = self._workspace(req, principal)
        tdef = self.backend.schema(workspace).get(name)
        if tdef is None:
            raise errors.unknown_type(name)
        return tdef

    def _check_key(self, req: Request, principal: Principal) -> None:
        """Under Basic auth every write needs the session's security token as ``key``."""
        if principal.via_api_key:
            return
        if not self.backend.token_valid(req.cookies.get("JSESSIONID"), principal.oid, req.param("key")):
            raise errors.invalid_key()

    def _param_row(self, req: Request, name: str, type_name: str) -> Row | None:
        """The object a ``workspace=``/``project=`` parameter names (None: absent or ``null``)."""
        value = req.param(name)
        if not value or value.strip().lower() == "null":
            return None
        memo = req.context_rows
        if memo is not None and (name, value) in memo:
            return memo[(name, value)]  # type: ignore[no-any-return]
        parsed = parse_ref(value)
        if parsed is None:
            raise errors.bad_reference(value)
        row = self.store.get(parsed[1])
        if row is None or row.type != type_name:
            raise WsapiError(f"Could not read: {type_name} {parsed[1]} does not exist")
        if memo is not None:  # workspaces and projects are never deleted nor change type
            memo[(name, value)] = row
        return row

    def _workspace(self, req: Request, principal: Principal) -> int | None:
        """The workspace a request works in: ``workspace=``, else the user's default, else the
        first (by name) the user may see."""
        row = self._param_row(req, "workspace", "Workspace")
        if row is not None:
            # A workspace the user may not see yields empty results (the visibility filter).
            return row.oid
        default, _ = self.backend.user_defaults(principal)
        if default:
            return default
        visible = None if principal.sub_admin else access.policy(self.backend, principal).visible_workspaces()
        rows = self.store.select("o.type = 'Workspace' AND o.deleted = 0", [],
                                 order="json_extract(o.data, '$.\"Name\"'), o.oid")
        for row in rows:
            if visible is None or row.oid in visible:
                return row.oid
        return None

    def renderer(self, req: Request, workspace: int | None, principal: Principal) -> Renderer:
        """A renderer for this request and caller; on reads ``compact=true`` and
        ``includePermissions=true`` (wsapi-more.md §3) shape the output."""
        rights = access.policy(self.backend, principal)
        permissions = self._permission_digits(principal) if req.flag("includePermissions", False) else None
        return Renderer(self.store, self.backend.schema(workspace), req.base, self.backend.subscription,
                        compact=req.flag("compact", False), permissions=permissions,
                        visible=None if principal.sub_admin else rights.visible,
                        readable=None if principal.sub_admin else rights.read_filter)

    def _permission_digits(self, principal: Principal) -> Callable[[Row, TypeDef], str]:
        """``_p``: "2" on the caller's own User, "7" where the caller may change the object (the
        access policy the write path applies), else "0" (wsapi-more.md §3, values observed)."""
        rights = access.policy(self.backend, principal)

        def digit(row: Row, tdef: TypeDef) -> str:
            if tdef.name == "User" and row.oid == principal.oid:
                return "2"
            if row.oid < 0:  # a catalog object (built-in attribute, value, operator): read-only
                return "0"
            return "7" if rights.can_write(row) else "0"

        return digit

    def _paging(self, req: Request) -> tuple[int, int]:
        try:
            start = int(req.param("start") or 1)
        except ValueError:
            raise WsapiError(f'Could not parse: start must be a positive integer, not "{req.param("start")}"') from None
        try:
            size = int(req.param("pagesize") or DEFAULT_PAGESIZE)
        except ValueError:
            raise WsapiError(f'Could not parse: pagesize must be a positive integer, not "{req.param("pagesize")}"') from None
        return min(max(start, 1), MAX_START), min(max(size, 1), MAX_PAGESIZE)

    def _scope_projects(self, req: Request, principal: Principal, workspace: int | None) -> list[int] | None:
        """Projects a query is limited to (None: the whole workspace)."""
        row = self._param_row(req, "project", "Project")
        if row is None:
            return None
        ids = {row.oid}
        if req.flag("projectScopeDown", True):
            ids |= self._related_projects(row.oid, down=True)
        if req.flag("projectScopeUp", False):
            ids |= self._related_projects(row.oid, down=False)
        return sorted(ids)

    def _related_projects(self, oid: int, *, down: bool) -> set[int]:
        if down:
            sql = ("WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT p.oid FROM objects p JOIN tree"
                   " ON json_extract(p.data, '$.\"Parent\"') = tree.id WHERE p.type = 'Project' AND p.deleted = 0)"
                   " SELECT id FROM tree")
        else:
            sql = ("WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT json_extract(p.data, '$.\"Parent\"')"
                   " FROM objects p JOIN tree ON p.oid = tree.id WHERE json_extract(p.data, '$.\"Parent\"') IS NOT NULL)"
                   " SELECT id FROM tree")
        return {int(r[0]) for r in self.store.execute(sql, [oid])}

    def _visibility(self, tdef: TypeDef, principal: Principal, workspace: int | None, alias: str = "o"
                    ) -> tuple[str, list[Any]]:
        """SQL limiting rows to what the principal may read (the access module decides)."""
        return access.policy(self.backend, principal).read_filter(tdef, alias)

    def _compile(self, req: Request, tdef: TypeDef, schema: WorkspaceSchema, principal: Principal
                 ) -> tuple[str, list[Any], str]:
        rights = access.policy(self.backend, principal)
        compiler = QueryCompiler(schema, self.backend.clock.now().date(),
                                 resolve=lambda sql, params: [int(r[0]) for r in self.store.execute(sql, params)],
                                 visible=None if principal.sub_admin else rights.read_filter)
        try:
            node = parse_query(req.param("query") or "")
            where, params = compiler.where(node, tdef) if node is not None else ("1", [])
            order = compiler.order_by(req.param("order"), tdef)
        except QueryError as exc:
            raise WsapiError(str(exc)) from None
        return where, params, order

    # -- query -----------------------------------------------------------------------------
    def query(self, req: Request, tdef: TypeDef, principal: Principal) -> Result:
        if not tdef.queryable:
            raise WsapiError(f"Cannot query objects of type {tdef.name}")
        workspace = self._workspace(req, principal)
        schema = self.backend.schema(workspace)
        start, size = self._paging(req)
        members = self._members(req, tdef, schema)
        union = self.backend.catalog.union(tdef, members) if tdef.abstract else tdef
        where, params, order = self._compile(req, union, schema, principal)
        types = [t.type_path for t in members]
        clauses = [f"o.type IN ({','.join('?' * len(types))})", "o.deleted = 0"]
        args: list[Any] = list(types)
        if tdef.workspace_scoped:
            clauses.append("o.workspace IS ?")
            args.append(workspace)
        if tdef.has_project:
            projects = self._scope_projects(req, principal, workspace)
            if projects is not None:
                clauses.append(f"o.project IN ({','.join('?' * len(projects))})")
                args.extend(projects)
        return self._page(req, principal, workspace, tdef, clauses, args, (where, params, order), start, size,
                          default_fetch="none")

    def _members(self, req: Request, tdef: TypeDef, schema: WorkspaceSchema) -> list[TypeDef]:
        """The concrete types a query covers: ``types=a,b`` (on an abstract type such as
        ``/artifact``: type paths, case-insensitive, PI sub-types allowed), else all of them."""
        raw = req.param("types")
        if not tdef.abstract or not raw or not raw.strip():
            return [schema.get(t.type_path) or t for t in self.backend.catalog.concrete(tdef)]
        out: dict[str, TypeDef] = {}
        for name in raw.split(","):
            if not name.strip():
                continue
            member = schema.get(name.strip())
            if member is None:
                raise errors.unknown_type(name.strip())
            if not self.backend.catalog.is_a(member, tdef.type_path):
                raise WsapiError(f"Could not parse: {member.name} is not a type of {tdef.name}")
            for concrete in self.backend.catalog.concrete(member):
                out.setdefault(concrete.type_path, schema.get(concrete.type_path) or concrete)
        return list(out.values())

    def _page(self, req: Request, principal: Principal, workspace: int | None, tdef: TypeDef,
              clauses: list[str], args: list[Any], compiled: tuple[str, list[Any], str], start: int, size: int,
              *, default_fetch: str) -> Result:
        """Run a query (scope clauses + visibility + compiled filter) and render one page of it."""
        where, params, order = compiled
        vis_sql, vis_args = self._visibility(tdef, principal, workspace)
        sql = " AND ".join([*clauses, vis_sql, f"({where})"])
        args = [*args, *vis_args, *params]
        total = self.store.count(sql, args)
        rows = self.store.select(sql, args, order=order, limit=size, offset=start - 1)
        fetch = Fetch.parse(req.param("fetch"), req.param("shallowFetch"), default=default_fetch)
        results = self.renderer(req, workspace, principal).objects(rows, fetch)
        body = envelopes.query_result(results, total, start, size)
        if req.flag("compact", False):
            for key in META:
                body["QueryResult"].pop(key, None)
        return 200, body

    def current(self, req: Request, tdef: TypeDef, principal: Principal) -> Result:
        """``GET /user`` and ``GET /subscription``: the caller's own user or subscription."""
        oid = principal.oid if tdef.name == "User" else self.backend.subscription
        row = self.store.get(oid)
        assert row is not None
        fetch = Fetch.parse(req.param("fetch"), req.param("shallowFetch"), default="all")
        obj = self.renderer(req, None, principal).objects([row], fetch, top=True)[0]
        return 200, envelopes.single(tdef.name, obj)

    # -- read ------------------------------------------------------------------------------
    def _get_row(self, tdef: TypeDef, oid: int, principal: Principal) -> Row | None:
        row = self.store.get(oid)
        if row is None:
            return None
        row_t = self.backend.schema(row.workspace).get(row.type)
        if row_t is None or not self.backend.catalog.is_a(row_t, tdef.type_path):
            return None
        if not self._may_read(row, row_t, principal):
            return None
        return row

    def _may_read(self, row: Row, tdef: TypeDef, principal: Principal) -> bool:
        return access.policy(self.backend, principal).can_read(row)

    def read(self, req: Request, tdef: TypeDef, oid: int, principal: Principal) -> Result:
        if tdef.name == "AttributeDefinition" and oid < 0:
            return self._builtin_attrdef(req, oid, self._workspace(req, principal))
        if tdef.name in ("AllowedAttributeValue", "AllowedQueryOperator") and oid < 0:
            return self._builtin_member_read(req, tdef.name, oid, principal)
        row = self._get_row(tdef, oid, principal)
        if row is None:
            raise errors.not_found_read()
        row_t = self.backend.schema(row.workspace).get(row.type)
        assert row_t is not None
        fetch = Fetch.parse(req.param("fetch"), req.param("shallowFetch"), default="all")
        obj = self.renderer(req, row.workspace, principal).objects([row], fetch, top=True)[0]
        if row_t.name == "AttributeDefinition":
            obj.update(self._custom_attrdef_fields(req, row))
        return 200, envelopes.single(row_t.name, obj)

    # -- writes ----------------------------------------------------------------------------
    def _payload(self, req: Request, tdef: TypeDef | None) -> tuple[str, Any]:
        body = load_json(req.body)
        if not isinstance(body, dict) or len(body) != 1:
            raise WsapiError("Cannot parse input stream as JSON document: expected one object keyed by the type name")
        key, value = next(iter(body.items()))
        if tdef is not None:
            wrapper_t = self.backend.catalog.get(key)
            if wrapper_t is None or not (self.backend.catalog.is_a(tdef, wrapper_t.type_path)
                                         or self.backend.catalog.is_a(wrapper_t, tdef.type_path)):
                raise WsapiError(f"Cannot parse input stream: the wrapper {key} does not match type {tdef.name}")
        return key, value

    def _write_ctx(self, req: Request, principal: Principal, wrapper: str) -> service.WriteContext:
        workspace = self._param_row(req, "workspace", "Workspace")
        project = self._param_row(req, "project", "Project")
        return service.WriteContext(self.backend, principal, workspace.oid if workspace else None,
                                    project.oid if project else None, wrapper)

    def _echo(self, req: Request, row: Row, principal: Principal) -> dict[str, Any]:
        fetch = Fetch.parse(req.param("fetch"), req.param("shallowFetch"), default="all")
        obj = self.renderer(req, row.workspace, principal).objects([row], fetch, top=True)[0]
        obj["_type"] = self.backend.schema(row.workspace).get(row.type).type_path  # type: ignore[union-attr]
        return obj

    def _write_and_rank(self, req: Request, ctx: service.WriteContext, write: Callable[[], Row]) -> Row:
        """Run a create/update and the rank parameters in one transaction (all or nothing)."""
        with self.store.transaction(savepoint=True):
            row = write()
            above, below, to = req.param("rankAbove"), req.param("rankBelow"), req.param("rankTo")
            if above or below or to:
                row = service.rank(ctx, row, above=above, below=below, to=to)
        return row

    def create(self, req: Request, tdef: TypeDef, principal: Principal) -> Result:
        wrapper, payload = self._payload(req, tdef)
        ctx = self._write_ctx(req, principal, wrapper)
        try:
            row = self._write_and_rank(req, ctx, lambda: service.create(ctx, tdef, payload))
        except WsapiError as exc:
            return 200, envelopes.create_result(None, [exc.message], ctx.warnings)
        return 200, envelopes.create_result(self._echo(req, row, principal), warnings=ctx.warnings)

    def update(self, req: Request, tdef: TypeDef, oid: int, principal: Principal) -> Result:
        row = self._get_row(tdef, oid, principal)
        if row is None:
            raise errors.not_found_update(tdef.name, oid)
        wrapper, payload = self._payload(req, tdef)
        ctx = self._write_ctx(req, principal, wrapper)
        target = row
        try:
            row = self._write_and_rank(req, ctx, lambda: service.update(ctx, target, payload))
        except WsapiError as exc:
            return 200, envelopes.operation_result(errors=[exc.message], warnings=ctx.warnings)
        return 200, envelopes.operation_result(obj=self._echo(req, row, principal), warnings=ctx.warnings)

    def copy(self, req: Request, tdef: TypeDef, oid: int, principal: Principal) -> Result:
        """The copy in the read envelope (the 2025 description answers copy with its read response)."""
        row = self._get_row(tdef, oid, principal)
        if row is None:
            raise errors.not_found_read()
        row_t = self.backend.schema(row.workspace).get(row.type)
        assert row_t is not None
        ctx = self._write_ctx(req, principal, row_t.name)
        with self.store.transaction(savepoint=True):
            new = copying.copy(ctx, row_t, row)
        fetch = Fetch.parse(req.param("fetch"), req.param("shallowFetch"), default="all")
        obj = self.renderer(req, new.workspace, principal).objects([new], fetch, top=True)[0]
        return 200, envelopes.single(row_t.name, obj, ctx.warnings)

    def delete(self, req: Request, tdef: TypeDef, oid: int, principal: Principal) -> Result:
        row = self._get_row(tdef, oid, principal)
        if row is None:
            raise errors.not_found_delete()
        ctx = self._write_ctx(req, principal, tdef.name)
        service.delete(ctx, row)
        return 200, envelopes.operation_result()

    # -- collections -----------------------------------------------------------------------
    def _collection_attr(self, tdef: TypeDef, row: Row, name: str) -> tuple[TypeDef, AttrDef]:
        row_t = self.backend.schema(row.workspace).get(row.type)
        assert row_t is not None
        attr = row_t.attr(name)
        if attr is None or attr.type != "COLLECTION" or attr.collection is None:
            raise WsapiError(f'Could not read: "{name}" is not a collection of {row_t.name}')
        return row_t, attr

    def collection(self, req: Request, tdef: TypeDef, oid: int, name: str, principal: Principal) -> Result:
        if tdef.name == "AttributeDefinition" and name.lower() in ("allowedvalues", "allowedqueryoperators"):
            return self._allowed_values(req, oid, name.lower() == "allowedvalues", principal)
        row = self._get_row(tdef, oid, principal)
        if row is None:
            raise errors.not_found_read()
        row_t, attr = self._collection_attr(tdef, row, name)
        spec = attr.collection
        assert spec is not None
        schema = self.backend.schema(row.workspace)
        start, size = self._paging(req)
        if spec.kind == "virtual" and spec.via == "typedef-attrs":
            return self._typedef_attributes(req, row, start, size)
        child = schema.get(spec.child)
        if child is None:
            raise WsapiError(f'Could not read: "{name}" is not a collection of {row_t.name}')
        where, params, order = self._compile(req, child, schema, principal)
        default_order = req.param("order") in (None, "")
        types = [t.type_path for t in self.backend.catalog.concrete(child)]
        clauses = [f"o.type IN ({','.join('?' * len(types))})", "o.deleted = 0"]
        args: list[Any] = list(types)
        if spec.kind == "inverse":
            clauses.append(f"{value_sql('o', spec.via)} = ?")
            args.append(row.oid)
            if default_order and child.name == "Revision":
                order = f"{value_sql('o', 'RevisionNumber')} DESC, o.oid DESC"  # newest first, as Rally lists them
        elif spec.kind == "link":
            clauses.append("o.oid IN (SELECT target FROM links WHERE owner = ? AND attr = ?)")
            args.extend([row.oid, attr.name])
            if default_order:
                order = (f"(SELECT pos FROM links WHERE owner = {int(row.oid)} AND attr = '{attr.name}'"
                         " AND target = o.oid), o.oid")
        elif spec.kind == "reverse":
            clauses.append("o.oid IN (SELECT owner FROM links WHERE target = ? AND attr = ?)")
            args.extend([row.oid, spec.via])
        elif spec.via == "root-projects":
            clauses.append("o.workspace = ? AND json_extract(o.data, '$.\"Parent\"') IS NULL")
            args.append(row.oid)
        elif spec.via == "pi-children":
            clauses.append("json_extract(o.data, '$.\"Parent\"') = ?")
            args.append(row.oid)
        # A collection read without fetch returns its members with their fields: upstream
        # pyral's own live tests (revision history, binary attachments) read fields straight
        # from such fetch-less collection GETs, so real Rally must answer that way.
        return self._page(req, principal, row.workspace, child, clauses, args, (where, params, order), start, size,
                          default_fetch="all")

    def collection_change(self, req: Request, tdef: TypeDef, oid: int, name: str, principal: Principal,
                          adding: bool) -> Result:
        row = self._get_row(tdef, oid, principal)
        if row is None:
            raise errors.not_found_read()
        row_t, attr = self._collection_attr(tdef, row, name)
        body = load_json(req.body, empty={})
        items: Any = None
        if isinstance(body, dict):
            for key, value in body.items():
                if key.lower() in ("collectionitems", attr.name.lower()):
                    items = value
        if not isinstance(items, list):
            raise WsapiError('Cannot parse input stream: expected {"CollectionItems": [ ... ]}')
        ctx = self._write_ctx(req, principal, attr.name)
        ctx.workspace = ctx.workspace or row.workspace
        if adding:
            added = service.collection_add(ctx, row, attr, items)
            fetch = Fetch.parse(req.param("fetch"), None, default="none")
            if fetch.mode == "none":
                fetch = Fetch("list", frozenset({"name", "objectid"}))
            rendered = self.renderer(req, row.workspace, principal).objects(added, fetch)
            return 200, envelopes.operation_result(results=rendered, warnings=ctx.warnings)
        service.collection_remove(ctx, row, attr, items)
        return 200, envelopes.operation_result(warnings=ctx.warnings)

    # -- metadata --------------------------------------------------------------------------
    def _subscription_ref(self, req: Request) -> dict[str, Any]:
        sub = self.store.get(self.backend.subscription)
        return {"_ref": f"{req.base}{API_PREFIX}/subscription/{self.backend.subscription}",
                "_refObjectName": sub.data.get("Name") if sub else "", "_refObjectUUID": sub.uuid if sub else ""}

    def attrdef_json(self, req: Request, tdef: TypeDef, attr: AttrDef, workspace: int | None,
                     *, inline_values: bool = False, sub_ref: dict[str, Any] | None = None,
                     schema: WorkspaceSchema | None = None) -> dict[str, Any]:
        """An AttributeDefinition as typedef Attributes and reads show it (``AllowedValues`` a
        collection reference with a Count, as WSAPI v2.0 gives it); ``inline_values``: the schema
        endpoint's form, which lists constrained values inline (the real schema capture).
        ``sub_ref`` and ``schema``: the subscription's ref and the workspace's schema, when the
        caller renders many attributes and has them already."""
        base = req.base + API_PREFIX
        sub_ref = sub_ref if sub_ref is not None else self._subscription_ref(req)
        schema = schema if schema is not None else self.backend.schema(workspace)
        target = schema.get(attr.target) if attr.target else None
        if inline_values and attr.allowed is not None and attr.inline_allowed and attr.type != "RATING":
            allowed: Any = [{"ObjectID": None, "StringValue": v, "_ref": "null", "_type": "AllowedAttributeValue"}
                            for v in attr.allowed]
        elif inline_values:
            allowed = {"_ref": f"{base}/attributedefinition/{attr.oid}/AllowedValues", "_type": "AllowedAttributeValue"}
        else:
            allowed = {**META, "_ref": f"{base}/attributedefinition/{attr.oid}/AllowedValues",
                       "_type": "AllowedAttributeValue", "Count": len(attr.allowed or ())}
        operators: dict[str, Any] = {"_ref": f"{base}/attributedefinition/{attr.oid}/AllowedQueryOperators",
                                     "_type": "AllowedQueryOperator"}
        if not inline_values:
            operators = {**META, **operators, "Count": len(self.backend.catalog.operators(attr))}
        camel = builtin_attribute_name(attr.name)
        out: dict[str, Any] = {} if inline_values else self._attrdef_object_fields(req, tdef, attr, workspace)
        nested: dict[str, Any] = {} if inline_values else dict(META)  # WSAPI reads: getSuccess.json's ref shape
        if not inline_values:
            sub_ref = {**META, **sub_ref, "_type": "Subscription"}
        return out | {
            "AllowedQueryOperators": operators,
            "AllowedValueType": ({**nested, "_ref": f"{base}/typedefinition/{target.oid}",
                                  "_refObjectName": target.name, "_refObjectUUID": uuid_for(target.oid),
                                  **({} if inline_values else {"_type": "TypeDefinition"})} if target else None),
            "AllowedValues": allowed,
            "AttributeType": attr.type, "Constrained": attr.constrained, "Custom": attr.custom,
            "DetailedType": None, "ElementName": attr.name, "Filterable": attr.filterable,
            "Hidden": attr.hidden, "MaxFractionalDigits": attr.max_fraction, "MaxLength": attr.max_length,
            "Name": attr.display_name, "ReadOnly": attr.read_only, "Required": attr.required,
            "SchemaType": attr.schema_type, "Sortable": attr.sortable, "Subscription": sub_ref,
            "Workspace": ({**nested, "_ref": f"{base}/workspace/{workspace}", "_refObjectName": "",
                           "_refObjectUUID": uuid_for(workspace or 0),
                           **({} if inline_values else {"_type": "Workspace"})} if attr.custom else None),
            "_ref": f"{base}/attributedefinition/{attr.oid}", "_refObjectName": camel,
            "_refObjectUUID": uuid_for(attr.oid),
        }

    def _attrdef_object_fields(self, req: Request, tdef: TypeDef, attr: AttrDef,
                               workspace: int | None) -> dict[str, Any]:
        """The fields a WSAPI read of an AttributeDefinition adds to the schema endpoint's form
        (schemaSuccess.json's AttributeDefinition type): identity, dates and admin-page flags.
        A built-in attribute has the catalog's OID and is dated like its TypeDefinition."""
        clauses = ["o.type = 'TypeDefinition'", "o.deleted = 0", f"{value_sql('o', 'TypePath')} = ?"]
        args: list[Any] = [tdef.type_path]
        if workspace is not None:
            clauses.append("o.workspace = ?")
            args.append(workspace)
        trows = self.store.select(" AND ".join(clauses), args, limit=1)
        trow = trows[0] if trows else None
        return {
            "CreationDate": trow.created if trow else None, "ObjectID": attr.oid,
            "ObjectUUID": uuid_for(attr.oid), "VersionId": "0",
            "Hideable": not attr.required, "Note": None, "Owned": attr.custom,
            "RealAttributeType": attr.type, "SystemRequired": attr.required and not attr.custom,
            "Type": attr.schema_type,
            "TypeDefinition": ({**META, "_ref": object_ref(req.base, "TypeDefinition", trow.oid),
                                "_refObjectName": tdef.name, "_refObjectUUID": trow.uuid, "_type": "TypeDefinition"}
                               if trow else None),
            "VisibleOnlyToAdmins": False,
        }

    def schema(self, req: Request, rt: Route, principal: Principal) -> Result:
        """``GET /slm/schema/v2.0/workspace/<oid>[/<hash>]``: every TypeDefinition with its attributes."""
        workspace = self.schema_workspace(rt, principal)
        if workspace is None:
            return schema_not_found()
        return 200, self.schema_document(req, workspace)

    def schema_workspace(self, rt: Route, principal: Principal) -> int | None:
        """The workspace a schema request names (by itself or by one of its projects), if the
        caller may read it; None is answered with :func:`schema_not_found`."""
        assert rt.oid is not None
        row = self.store.get(rt.oid)
        workspace = row.workspace if row is not None and rt.type_name == "project" else rt.oid
        ws_row = self.store.get(workspace) if workspace else None
        if ws_row is None or ws_row.type != "Workspace" or not self._may_read(ws_row, self.backend.type("Workspace"), principal):
            return None
        return ws_row.oid

    def schema_document(self, req: Request, workspace: int) -> dict[str, Any]:
        """The schema endpoint's body for ``workspace``: the same for every caller (of the
        request only ``req.base`` is read)."""
        ws_row = self.store.get(workspace)
        assert ws_row is not None
        schema = self.backend.schema(workspace)
        typedefs = self.store.select("o.type = 'TypeDefinition' AND o.workspace = ? AND o.deleted = 0", [workspace])
        by_path = {r.data.get("TypePath"): r for r in typedefs}
        base = req.base + API_PREFIX
        sub_ref = self._subscription_ref(req)
        ws_ref = {"_ref": f"{base}/workspace/{workspace}", "_refObjectName": ws_row.data.get("Name"),
                  "_refObjectUUID": ws_row.uuid}
        results = []
        for tdef in schema.types():
            trow = by_path.get(tdef.type_path)
            if trow is None:
                continue
            parent_row = self.store.get(int(trow.data["Parent"])) if trow.data.get("Parent") else None
            results.append({
                "Abstract": tdef.abstract,
                "Attributes": [self.attrdef_json(req, tdef, a, workspace, inline_values=True, sub_ref=sub_ref,
                                                 schema=schema) for a in tdef.attrs],
                "Creatable": tdef.creatable, "Deletable": tdef.deletable, "DisplayName": tdef.display_name,
                "ElementName": tdef.name, "IDPrefix": tdef.id_prefix, "Name": trow.data.get("Name"),
                "ObjectID": trow.oid, "Ordinal": tdef.ordinal,
                "Parent": ({"_ref": object_ref(req.base, "TypeDefinition", parent_row.oid),
                            "_refObjectName": parent_row.data.get("ElementName"), "_refObjectUUID": parent_row.uuid}
                           if parent_row else None),
                "Queryable": tdef.queryable, "ReadOnly": tdef.read_only, "Restorable": tdef.restorable,
                "RevisionHistory": {"_ref": f"{base}/revisionhistory/{trow.oid}",
                                    "_refObjectName": f"RevisionHistory_{trow.oid}",
                                    "_refObjectUUID": uuid_for(trow.oid)},
                "Subscription": sub_ref, "TypePath": tdef.type_path, "UserListable": tdef.user_listable,
                "Workspace": ws_ref, "_ref": object_ref(req.base, "TypeDefinition", trow.oid),
                "_refObjectName": tdef.name, "_refObjectUUID": trow.uuid,
            })
        return envelopes.query_result(results, len(results), 1, 200)

    def _typedef_attributes(self, req: Request, row: Row, start: int, size: int) -> Result:
        """``typedefinition/<oid>/Attributes``: the schema endpoint's objects in their WSAPI form,
        selected and sorted by the one compiler (``virtual_query.py``)."""
        schema = self.backend.schema(row.workspace)
        tdef = schema.get(str(row.data.get("TypePath")))
        attrs = list(tdef.attrs) if tdef else []
        items = {a.oid: {**META, **self.attrdef_json(req, tdef, a, row.workspace), "_type": "AttributeDefinition"}  # type: ignore[arg-type]
                 for a in attrs}
        rows = [attrdef_row(obj, oid, row.workspace) for oid, obj in items.items()]
        chosen = self._select_virtual(req, rows, self.backend.type("AttributeDefinition"), schema, [row])
        page = [items[r.oid] for r in chosen[start - 1:start - 1 + size]]
        return 200, envelopes.query_result(page, len(chosen), start, size)

    def _select_virtual(self, req: Request, rows: list[Row], tdef: TypeDef, schema: WorkspaceSchema,
                        related: list[Row] | None = None) -> list[Row]:
        try:
            return select_virtual(rows, tdef, schema, query=req.param("query"), order=req.param("order"),
                                  today=self.backend.clock.now().date(), related=related or [])
        except QueryError as exc:
            raise WsapiError(str(exc)) from None

    def _member_owner(self, oid: int, principal: Principal) -> tuple[TypeDef, AttrDef, Row | None] | None:
        """The attribute (its type, and its stored row if custom) an AttributeDefinition OID
        names, if the caller may read it: built-in ones from the catalog, custom ones stored."""
        found = self.backend.catalog.attr_by_oid(oid)
        if found is not None:
            return found[0], found[1], None
        row = self._get_row(self.backend.type("AttributeDefinition"), oid, principal) if oid > 0 else None
        if row is None:
            return None
        tdef = self.backend.schema(row.workspace).get(str(row.data.get("OwnerTypePath")))
        attr = tdef.attr(str(row.data.get("ElementName"))) if tdef else None
        return (tdef, attr, row) if tdef is not None and attr is not None else None

    def _allowed_values(self, req: Request, oid: int, values: bool, principal: Principal) -> Result:
        start, size = self._paging(req)
        owner = self._member_owner(oid, principal)
        if owner is None:
            raise errors.not_found_read()
        tdef, attr, row = owner
        if values and row is not None:  # a custom attribute's values are stored objects with real refs
            schema = self.backend.schema(row.workspace)
            value_t = self.backend.type("AllowedAttributeValue")
            where, params, order = self._compile(req, value_t, schema, principal)
            if req.param("order") in (None, ""):
                order = f"{value_sql('o', 'ValueIndex')}, o.oid"
            clauses = ["o.type = 'AllowedAttributeValue'", "o.deleted = 0",
                       f"{value_sql('o', 'AttributeDefinition')} = ?"]
            return self._page(req, principal, row.workspace, value_t, clauses, [row.oid],
                              (where, params, order), start, size, default_fetch="all")
        return self._builtin_members(req, tdef, attr, values, principal, start, size)

    def _builtin_members(self, req: Request, tdef: TypeDef, attr: AttrDef, values: bool, principal: Principal,
                         start: int, size: int) -> Result:
        """A built-in attribute's AllowedValues (``values``), or any attribute's
        AllowedQueryOperators: rows made from the catalog, selected by the one query compiler and
        shaped by the one renderer, as stored objects of the type are."""
        kind = "AllowedAttributeValue" if values else "AllowedQueryOperator"
        workspace = self._workspace(req, principal)
        schema = self.backend.schema(workspace)
        owner = self._attrdef_row(req, tdef, attr, workspace)
        rows = self._builtin_member_rows(owner, attr, values)
        typedef = owner.data.get("TypeDefinition")
        typedef_row = self.store.get(typedef) if isinstance(typedef, int) else None  # for dotted paths
        chosen = self._select_virtual(req, rows, self.backend.type(kind), schema,
                                      [owner, *([typedef_row] if typedef_row else [])])
        fetch = Fetch.parse(req.param("fetch"), req.param("shallowFetch"), default="all")
        renderer = self.renderer(req, workspace, principal)
        renderer.include([owner])
        page = renderer.objects(chosen[start - 1:start - 1 + size], fetch)
        body = envelopes.query_result(page, len(chosen), start, size)
        if req.flag("compact", False):
            for key in META:
                body["QueryResult"].pop(key, None)
        return 200, body

    def scoped_attribute(self, req: Request, rt: Route, principal: Principal) -> Result:
        """``project/<oid>/TypeDefinition/<oid>/ScopedAttributeDefinition/<attribute oid>``: an
        attribute as one project sees it; POST ``{"ScopedAttributeDefinition": {"Hidden": ...}}``
        sets its visibility (or requiredness) in that project.  Answers are WSAPI envelopes."""
        project = self.store.get(rt.oid or 0)
        typedef_oid, attr_oid = (int(x) for x in rt.rest.split("/"))
        typedef = self.store.get(typedef_oid)
        if (rt.type_name.lower() != "project" or project is None or project.type != "Project"
                or not self._may_read(project, self.backend.type("Project"), principal)
                or typedef is None or typedef.type != "TypeDefinition"):
            raise errors.not_found_read()
        schema = self.backend.schema(project.workspace)
        tdef = schema.get(str(typedef.data.get("TypePath")))
        attr = next((a for a in tdef.attrs if a.oid == attr_oid), None) if tdef else None
        if tdef is None or attr is None:
            raise errors.not_found_read()
        if rt.action in ("POST", "PUT"):
            self._check_key(req, principal)
            wrapper, payload = self._payload(req, None)
            if wrapper.lower() != "scopedattributedefinition" or not isinstance(payload, dict):
                raise WsapiError(f"Cannot parse input stream: the wrapper {wrapper} does not match type "
                                 "ScopedAttributeDefinition")
            ctx = self._write_ctx(req, principal, wrapper)
            service.set_scoped_attribute(ctx, project, tdef, attr, payload)
            return 200, envelopes.operation_result(obj=self._scoped_json(req, project, tdef, attr),
                                                   warnings=ctx.warnings)
        if rt.action != "GET":
            raise WsapiError(f"Unsupported request: {req.method} {req.path}")
        return 200, envelopes.single("ScopedAttributeDefinition", self._scoped_json(req, project, tdef, attr))

    def _scoped_json(self, req: Request, project: Row, tdef: TypeDef, attr: AttrDef) -> dict[str, Any]:
        scoped = service.scoped_attribute_row(self.backend, project.oid, attr.oid)
        hidden = scoped.data.get("Hidden", attr.hidden) if scoped else attr.hidden
        required = scoped.data.get("Required", attr.required) if scoped else attr.required
        base = req.base + API_PREFIX
        return {**META, "_ref": f"{base}/project/{project.oid}/TypeDefinition/"
                                f"{req.path.rstrip('/').split('/')[-3]}/ScopedAttributeDefinition/{attr.oid}",
                "_refObjectUUID": scoped.uuid if scoped else uuid_for(attr.oid),
                "_objectVersion": str(scoped.version if scoped else 1), "_refObjectName": attr.display_name,
                "ObjectID": attr.oid, "AttributeType": attr.type, "ChildProjectHiddenCount": 0,
                "ChildProjectVisibleCount": 0, "Constrained": attr.constrained, "Custom": attr.custom,
                "Hidden": bool(hidden), "Multivalue": False, "Name": attr.display_name,
                "Required": bool(required), "SharedAcrossWorkItems": False, "Sortable": attr.sortable,
                "SystemRequired": attr.required and not attr.custom, "VisibilityOnChildProjects": None,
                "VisibleOnlyToAdmins": False, "_type": "ScopedAttributeDefinition"}

    def _attrdef_row(self, req: Request, tdef: TypeDef, attr: AttrDef, workspace: int | None) -> Row:
        return attrdef_row(self.attrdef_json(req, tdef, attr, workspace), attr.oid, workspace)

    def _builtin_member_rows(self, owner: Row, attr: AttrDef, values: bool) -> list[Row]:
        """A built-in attribute's AllowedValues (``values``) or any attribute's
        AllowedQueryOperators, as rows with virtual OIDs (``virtual_members.py``)."""
        names = (attr.allowed or ()) if values else self.backend.catalog.operators(attr)
        return [member_row(owner, i, name, values) for i, name in enumerate(names)]

    def _builtin_member_read(self, req: Request, kind: str, oid: int, principal: Principal) -> Result:
        """``allowedattributevalue/<oid>`` or ``allowedqueryoperator/<oid>`` of a virtual member."""
        decoded = member_of(oid)
        if decoded is None or decoded[2] != (kind == "AllowedAttributeValue"):
            raise errors.not_found_read()
        attr_oid, index, value = decoded
        owner = self._member_owner(attr_oid, principal) or (
            None if value else self._member_owner(-attr_oid, principal))  # a custom attribute's operator
        if owner is None or (value and owner[2] is not None):
            raise errors.not_found_read()
        tdef, attr, _ = owner
        workspace = self._workspace(req, principal)
        attr_row = self._attrdef_row(req, tdef, attr, workspace)
        rows = self._builtin_member_rows(attr_row, attr, value)
        if index >= len(rows):
            raise errors.not_found_read()
        fetch = Fetch.parse(req.param("fetch"), req.param("shallowFetch"), default="all")
        renderer = self.renderer(req, workspace, principal)
        renderer.include([attr_row])
        return 200, envelopes.single(kind, renderer.objects([rows[index]], fetch, top=True)[0])

    def _builtin_attrdef(self, req: Request, oid: int, workspace: int | None) -> Result:
        found = self.backend.catalog.attr_by_oid(oid)
        if found is None:
            raise errors.not_found_read()
        tdef, attr = found
        obj = {**META, **self.attrdef_json(req, tdef, attr, workspace)}
        obj.pop("_type", None)
        return 200, envelopes.single("AttributeDefinition", obj)

    def _custom_attrdef_fields(self, req: Request, row: Row) -> dict[str, Any]:
        schema = self.backend.schema(row.workspace)
        tdef = schema.get(str(row.data.get("OwnerTypePath")))
        attr = tdef.attr(str(row.data.get("ElementName"))) if tdef else None
        if tdef is None or attr is None:
            return {}
        out = self.attrdef_json(req, tdef, attr, row.workspace)
        for key in ("_ref", "_refObjectUUID", "_refObjectName", "Subscription", "Workspace", "CreationDate",
                    "ObjectID", "ObjectUUID", "VersionId"):  # the stored row's own
            out.pop(key, None)
        return out

    # -- security and batch ----------------------------------------------------------------
    def authorize(self, req: Request, principal: Principal) -> Result:
        session = req.cookies.get("JSESSIONID")
        if not session or not self.backend.token_valid(session, principal.oid, "__probe__") and \
                self.backend.authenticate(basic=None, api_key=None, session=session) is None:
            session = self.backend.new_session(principal.oid)
            req.set_cookies.append(f"JSESSIONID={session}; Path=/; HttpOnly")
        token = self.backend.issue_token(session, principal.oid)
        return 200, envelopes.operation_result(extra={"SecurityToken": token})

    def batch(self, req: Request, principal: Principal) -> Result:
        self._check_key(req, principal)
        try:
            body = load_json(req.body, empty={})
        except WsapiError as exc:
            return 200, envelopes.batch_result([], [exc.message])
        entries = body.get("Batch") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            return 200, envelopes.batch_result([], ['Cannot parse input stream: expected {"Batch": [ ... ]}'])
        # One commit per batch; each entry is its own savepoint; the Lookback history records
        # the batch as one write (one snapshot per artifact it changed).
        context_rows: dict[tuple[str, str], Row] = {}
        with self.store.transaction(), service.recorded(self.backend, principal):
            results = [self._batch_entry(req, principal, entry, context_rows) for entry in entries]
        return 200, envelopes.batch_result(results)

    def _batch_entry(self, req: Request, principal: Principal, entry: Any,
                     context_rows: dict[tuple[str, str], Row]) -> dict[str, Any]:
        """Run one batch entry; a failure is reported in its result and undone on its own."""
        spec = entry.get("Entry") if isinstance(entry, dict) else None
        if not isinstance(spec, dict) or not isinstance(spec.get("Path"), str):
            return {"Errors": ['Batch entry must be {"Entry": {"Path", "Method", "Body"}}'], "Warnings": []}
        method = str(spec.get("Method") or "GET").upper()
        path = spec["Path"]
        if not path.lower().startswith("/slm/"):
            path = "/slm/webservice/v2.0/" + path.lstrip("/")
        sub_req = Request(method=method, path=path.split("?", 1)[0], params=dict(req.params),
                          body=json.dumps(spec.get("Body")).encode() if spec.get("Body") is not None else b"",
                          headers=req.headers, cookies=req.cookies, base=req.base, context_rows=context_rows)
        sub_rt = route(method, sub_req.path)
        if sub_rt.kind in ("batch", "authorize", "schema", "control", "not_found", "bad_method"):
            return {"Errors": [f"Unsupported batch entry path: {spec['Path']}"], "Warnings": []}
        _, envelope = self.handle(sub_req, sub_rt, principal)
        inner = next(iter(envelope.values()))
        item: dict[str, Any] = {"Errors": inner.get("Errors", []), "Warnings": inner.get("Warnings", [])}
        if "Object" in inner:
            item["Object"] = inner["Object"]
        elif sub_rt.kind == "read" and not inner.get("Errors"):
            item["Object"] = {k: v for k, v in inner.items() if k not in ("Errors", "Warnings")}
        elif "Results" in inner:
            item["Results"] = inner["Results"]
        return item
