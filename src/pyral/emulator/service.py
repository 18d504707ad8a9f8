"""The write path: create, update, delete, collections and ranking, with Rally's rules.

Values are validated and coerced per attribute type (refs in every form, ISO dates, allowed
values), unknown or read-only input becomes Rally's "Ignored JSON element" warning, required
attributes are enforced, defaults filled, FormattedIDs and ranks assigned, revisions written,
and derived values (task totals, rollups ...) kept true.  Every public function runs inside one
store transaction: an error leaves nothing half-written.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import access, derive, errors, flow, history, ranking, richtext
from .backend import Backend, Principal
from .catalog import AttrDef, TypeDef
from .errors import WsapiError
from .refs import parse_ref
from .store import Row, value_sql

PI_STATES = ("Discovering", "Developing", "Measuring", "Done")
PRELIMINARY_ESTIMATES = (("XS", 1), ("S", 3), ("M", 5), ("L", 8), ("XL", 13))
SILENT_KEYS = {"ObjectID", "FormattedID", "_ref", "_type", "_refObjectName", "_refObjectUUID",
               "_objectVersion", "_rallyAPIMajor", "_rallyAPIMinor", "_CreatedAt", "Errors", "Warnings"}


@dataclass
class WriteContext:
    """Who writes, where, and how the payload's wrapper key was spelled."""

    backend: Backend
    principal: Principal | None
    workspace: int | None = None
    project: int | None = None
    wrapper: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def store(self):  # noqa: ANN201 - Store, kept short
        return self.backend.store


@contextmanager
def recorded(backend: Backend, principal: Principal | None, *, user: int | None = None) -> Iterator[None]:
    """One write operation: a savepoint, closed by recording the Lookback snapshots of the
    artifacts it wrote (the one place history is made).  Nested operations (a collection add
    that creates, a batch of demo writes) record once, when the outermost one ends: one write,
    one snapshot per artifact.  ``user`` is the ``_User`` of writes without a principal."""
    with backend.store.transaction(savepoint=True):
        backend.writes_open += 1
        try:
            yield
        finally:
            backend.writes_open -= 1
        if backend.writes_open == 0:
            history.record(backend, principal.oid if principal is not None else user)


# -- value coercion ------------------------------------------------------------------------

def parse_date(value: Any) -> str:
    """Normalise an ISO 8601 date or datetime to Rally's stored form."""
    if not isinstance(value, str) or not value.strip():
        raise errors.bad_date(value)
    text = value.strip()
    try:
        if len(text) == 10:
            when = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                raise ValueError("no zone")
            when = when.astimezone(UTC)
    except ValueError:
        raise errors.bad_date(value) from None
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def resolve_ref(ctx: WriteContext, attr: AttrDef | None, value: Any, *, target: str | None = None) -> Row:
    """The stored row a reference value points at, checked against the attribute's type."""
    parsed = parse_ref(value)
    if parsed is None:
        raise errors.bad_reference(value.get("_ref") if isinstance(value, dict) and "_ref" in value else value)
    type_seg, oid = parsed
    row = ctx.store.get(oid)
    if row is None and ctx.backend.catalog.attr_by_oid(oid) is not None:
        raise WsapiError("Validation error: a built-in AttributeDefinition and its value list cannot be changed")
    if row is None or not _may_reference(ctx, row):
        # An object the caller may not see, or of another workspace, reads as a missing one.
        raise WsapiError(f'Could not read: Object not found for Object ID: {oid}' if type_seg is None
                         else f"Could not read: Could not read referenced object {oid}")
    schema = ctx.backend.schema(row.workspace or ctx.workspace)
    row_type = schema.get(row.type)
    shown = value.get("_ref") if isinstance(value, dict) and "_ref" in value else value
    want = target or (attr.target if attr else None)
    if want and want != "DomainObject" and row_type is not None:
        want_t = schema.get(want)
        if want_t is not None and not ctx.backend.catalog.is_a(row_type, want_t.type_path):
            raise errors.bad_reference(shown)
    if type_seg is not None and row_type is not None:
        seg = schema.get(type_seg)
        if seg is None or not ctx.backend.catalog.is_a(row_type, seg.type_path):
            raise errors.bad_reference(shown)
    return row


def _may_reference(ctx: WriteContext, row: Row) -> bool:
    """A reference in a write must name an object the caller can see, in the same workspace."""
    if ctx.principal is None:
        return True
    tdef = ctx.backend.catalog.get(row.type)
    if (tdef is not None and tdef.workspace_scoped and ctx.workspace is not None and row.workspace is not None
            and row.workspace != ctx.workspace and tdef.name != "Workspace"):
        return False
    return access.policy(ctx.backend, ctx.principal).can_read(row)


def coerce(ctx: WriteContext, tdef: TypeDef, attr: AttrDef, value: Any) -> Any:
    """Validate one input value for ``attr``; returns what is stored."""
    kind = attr.type
    if value is None or (isinstance(value, str) and value == "" and kind in ("OBJECT", "DATE", "INTEGER", "QUANTITY", "DECIMAL")):
        if attr.required and not attr.read_only:
            raise errors.should_not_be_null(tdef.name, attr.name)
        return None
    if kind == "OBJECT":
        return resolve_ref(ctx, attr, value).oid
    if kind in ("STRING", "TEXT"):
        if isinstance(value, dict | list):
            raise WsapiError(f"Validation error: {tdef.name}.{attr.name} must be a string")
        text = value if isinstance(value, str) else (str(value).lower() if isinstance(value, bool) else str(value))
        if not richtext.allowed(text):
            raise WsapiError(f"Validation error: {tdef.name}.{attr.name} contained invalid input. "
                             "Search 'HTML Whitelist' at help.rallydev.com for details.")
        if attr.allowed and len(attr.allowed) > 0 and attr.constrained and text not in attr.allowed:
            raise errors.invalid_value(text, attr.display_name, attr.allowed)
        if attr.max_length > 0 and len(text) > attr.max_length and kind == "STRING":
            raise WsapiError(f"Validation error: {tdef.name}.{attr.name} length must be less than or equal to {attr.max_length}")
        return text
    if kind in ("RATING", "STATE"):
        text = str(value)
        if attr.allowed and text not in attr.allowed:
            raise errors.invalid_value(text, attr.display_name, attr.allowed)
        return text
    if kind == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise WsapiError(f'Validation error: {tdef.name}.{attr.name} must be true or false, not "{value}"')
    if kind == "INTEGER":
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number) or number != int(number) or abs(number) >= 2**63:
                raise ValueError
            return int(number)
        except (TypeError, ValueError, OverflowError):
            raise WsapiError(f'Validation error: Cannot convert "{value}" to an integer for {tdef.name}.{attr.name}') from None
    if kind in ("QUANTITY", "DECIMAL"):
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise WsapiError(f'Validation error: Cannot convert "{value}" to a number for {tdef.name}.{attr.name}') from None
        return int(number) if number.is_integer() and kind == "QUANTITY" and not isinstance(value, float) else number
    if kind == "DATE":
        return parse_date(value)
    if kind == "WEB_LINK":
        if not isinstance(value, dict):
            raise WsapiError(f"Validation error: {tdef.name}.{attr.name} must be an object with LinkID and DisplayString")
        return {"LinkID": str(value.get("LinkID", "")), "DisplayString": str(value.get("DisplayString", ""))}
    return value


MAX_ATTACHMENT_BYTES = 50_000_000  # Rally's attachment size limit


def decode_content(value: Any) -> bytes:
    if not isinstance(value, str):
        raise WsapiError("Validation error: AttachmentContent.Content must be base64 text")
    if len(value) > (MAX_ATTACHMENT_BYTES + 2) // 3 * 4 + 4:
        raise WsapiError(f"Validation error: AttachmentContent.Content exceeds the maximum attachment size of "
                         f"{MAX_ATTACHMENT_BYTES} bytes")
    try:
        content = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise WsapiError("Validation error: AttachmentContent.Content is not valid base64") from None
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise WsapiError(f"Validation error: AttachmentContent.Content exceeds the maximum attachment size of "
                         f"{MAX_ATTACHMENT_BYTES} bytes")
    return content


# -- create / update -----------------------------------------------------------------------

def _split_payload(ctx: WriteContext, tdef: TypeDef, payload: dict[str, Any], *, creating: bool
                   ) -> tuple[dict[AttrDef, Any], dict[AttrDef, list[Any]]]:
    """Sort payload keys into scalar/ref values and collection values; warn on the rest."""
    scalars: dict[AttrDef, Any] = {}
    colls: dict[AttrDef, list[Any]] = {}
    for key, value in payload.items():
        if key in SILENT_KEYS or key.startswith("_"):
            continue
        attr = tdef.attr(key)
        if attr is None:
            ctx.warnings.append(errors.ignored_element(ctx.wrapper, key))
            continue
        if attr.type == "COLLECTION":
            if attr.read_only or attr.collection is None or attr.collection.kind == "virtual":
                ctx.warnings.append(errors.ignored_element(ctx.wrapper, key))
                continue
            items = value if isinstance(value, list) else [value]
            colls[attr] = items
            continue
        if attr.read_only and not (creating and attr.create_only):
            if attr.name in ("Workspace",):
                continue
            ctx.warnings.append(errors.ignored_element(ctx.wrapper, key))
            continue
        if attr.type in ("BINARY_DATA",):
            scalars[attr] = decode_content(value)
            continue
        scalars[attr] = value
    return scalars, colls


def create(ctx: WriteContext, tdef: TypeDef, payload: dict[str, Any]) -> Row:
    """Create an object of ``tdef`` from a WSAPI payload."""
    if not isinstance(payload, dict):
        raise WsapiError(f"Cannot parse input stream: the {ctx.wrapper or tdef.name} body must be a JSON object")
    if tdef.abstract or not tdef.creatable:
        raise WsapiError(f"Cannot create an object of type {tdef.name}: it is not creatable")
    with recorded(ctx.backend, ctx.principal):
        if tdef.name == "User":
            return _create_user(ctx, tdef, payload)
        if tdef.name == "Workspace":
            _require_manage(ctx, "create", tdef)
            name = payload.get("Name")
            if not name:
                raise errors.should_not_be_null("Workspace", "Name")
            return create_workspace(ctx.backend, str(name), owner=ctx.principal.oid if ctx.principal else None)
        if tdef.name == "AttributeDefinition":
            return _create_custom_field(ctx, payload)
        if tdef.name in ("WorkspacePermission", "ProjectPermission"):
            return _create_permission(ctx, tdef, payload)
        workspace = _workspace_for(ctx, payload)
        schema = ctx.backend.schema(workspace)
        tdef = schema.get(tdef.type_path) or tdef
        scalars, colls = _split_payload(ctx, tdef, payload, creating=True)
        data = ctx.backend.catalog.defaults(tdef)
        project: int | None = None
        for attr, value in scalars.items():
            stored = coerce(ctx, tdef, attr, value)
            if attr.name == "Project":
                project = stored
            elif attr.name != "Workspace":
                data[attr.name] = stored
        if tdef.has_project or tdef.name == "Project":
            project = _project_for(ctx, tdef, data, project, workspace)
        if tdef.name == "Project":
            return _create_project_from_payload(ctx, workspace, data)
        if ctx.principal is not None:
            rights = access.policy(ctx.backend, ctx.principal)
            if not rights.may_write(tdef.name, workspace, rights.governing_new(tdef, data, project)):
                raise errors.not_authorized("create", tdef.name)
        _type_rules_on_create(ctx, tdef, data, workspace, project)
        for attr in ctx.backend.catalog.required_on_create(tdef):
            if attr.name == "Project":
                if project is None:
                    raise errors.should_not_be_null(tdef.name, "Project")
                continue
            if attr.name in ("Workspace", "Subscription", "CreationDate", "ObjectID", "ObjectUUID", "FormattedID"):
                continue
            if data.get(attr.name) in (None, ""):
                raise errors.should_not_be_null(tdef.name, attr.name)
        fid = ctx.store.next_counter(f"fid:{workspace}:{tdef.type_path}") if tdef.is_artifact or "FormattedID" in tdef.by_name else None
        rank = None
        if "DragAndDropRank" in tdef.by_name:
            rank = ranking.between(_max_rank(ctx, workspace), None)
        content = data.pop("Content", None) if tdef.name == "AttachmentContent" else None
        history = None
        if "RevisionHistory" in tdef.by_name:
            history = ctx.store.insert("RevisionHistory", {}, workspace=workspace)
            data["RevisionHistory"] = history.oid
        created = None
        if "FlowState" in tdef.by_name and data.get("FlowState"):
            created = data["FlowStateChangedDate"] = ctx.store.clock.iso()  # = CreationDate (GO capture)
        row = ctx.store.insert(tdef.type_path, data, workspace=workspace, project=project, fid=fid, rank=rank,
                               created=created)
        if tdef.name == "AllowedAttributeValue":
            sync_allowed_values(ctx.backend, int(row.data["AttributeDefinition"]))
        if content is not None:
            ctx.store.put_blob(row.oid, content)
        _set_collections(ctx, tdef, row, colls)
        if history is not None:
            _add_revision(ctx, row, "Original revision", number=0)
        derive.after_write(ctx.backend, row, None)
        return ctx.store.get(row.oid) or row


def update(ctx: WriteContext, row: Row, payload: dict[str, Any]) -> Row:
    """Apply a WSAPI update payload to ``row``."""
    if not isinstance(payload, dict):
        raise WsapiError(f"Cannot parse input stream: the {ctx.wrapper} body must be a JSON object")
    schema = ctx.backend.schema(row.workspace)
    tdef = schema.get(row.type)
    assert tdef is not None
    with recorded(ctx.backend, ctx.principal):
        row = ctx.store.get(row.oid) or row  # work on the stored state, never a stale copy
        if tdef.name in ("User", "UserProfile", "Workspace", "Subscription"):
            _require_manage(ctx, "update", tdef, row)
        else:
            _require_write(ctx, row, "update")
        before = Row(**{**row.__dict__, "data": dict(row.data)})
        scalars, colls = _split_payload(ctx, tdef, payload, creating=False)
        changes: list[tuple[AttrDef, Any, Any]] = []
        for attr, value in scalars.items():
            stored = coerce(ctx, tdef, attr, value)
            if attr.name == "Project":
                if stored is None:
                    raise errors.should_not_be_null(tdef.name, "Project")
                if stored != row.project:
                    if ctx.principal is not None and not access.policy(ctx.backend, ctx.principal).may_write(
                            tdef.name, row.workspace, stored):
                        raise errors.not_authorized("update", tdef.name, row.oid)
                    changes.append((attr, row.project, stored))
                    row.project = stored
                    # Task.Project is derived from its WorkProduct: tasks move with it.
                    ctx.store.execute("UPDATE objects SET project = ? WHERE type = 'Task' AND"
                                      " json_extract(data, '$.\"WorkProduct\"') = ?", [stored, row.oid])
                continue
            if attr.name == "Content" and tdef.name == "AttachmentContent":
                ctx.store.put_blob(row.oid, stored)
                continue
            old = row.data.get(attr.name)
            if old != stored:
                changes.append((attr, old, stored))
                row.data[attr.name] = stored
        _type_rules_on_update(ctx, tdef, row, before)
        ctx.store.save(row)
        if tdef.name not in ("User", "UserProfile", "Workspace", "Subscription"):
            _require_write(ctx, row, "update")  # where it now belongs too (a post moved to another artifact)
        if tdef.name == "AllowedAttributeValue":
            for attr_oid in {int(before.data["AttributeDefinition"]), int(row.data["AttributeDefinition"])}:
                sync_allowed_values(ctx.backend, attr_oid)
        _set_collections(ctx, tdef, row, colls)
        if changes and "RevisionHistory" in tdef.by_name:
            _add_revision(ctx, row, ", ".join(_describe(ctx, a, old, new) for a, old, new in changes))
        derive.after_write(ctx.backend, row, before)
        return ctx.store.get(row.oid) or row


def delete(ctx: WriteContext, row: Row) -> None:
    """Delete an object; artifacts go to the recycle bin (with their tasks)."""
    schema = ctx.backend.schema(row.workspace)
    tdef = schema.get(row.type)
    assert tdef is not None
    if not tdef.deletable:
        raise WsapiError(f"Cannot delete an object of type {tdef.name}: it is not deletable")
    with recorded(ctx.backend, ctx.principal):
        if tdef.name in ("User",):
            _require_manage(ctx, "delete", tdef, row)
        else:
            _require_write(ctx, row, "delete")
        if tdef.is_artifact:
            _recycle(ctx, tdef, row)
            for child in ctx.store.select("o.deleted = 0 AND o.type = 'Task' AND json_extract(o.data, '$.\"WorkProduct\"') = ?",
                                          [row.oid]):
                child.deleted = True
                ctx.store.save(child, bump=False)
                derive.timebox_rollup(ctx.backend, child, child.data, alive=False)
            for child in ctx.store.select("o.deleted = 0 AND json_extract(o.data, '$.\"Parent\"') = ? AND o.type = ?",
                                          [row.oid, row.type]):
                child.data["Parent"] = None
                ctx.store.save(child)
        else:
            if tdef.name == "FlowState":
                flow.on_flow_state_delete(ctx.store, row)
            if tdef.name == "Attachment" and row.data.get("Content"):
                ctx.store.purge(int(row.data["Content"]))  # the content goes with its attachment
            if tdef.name == "AttributeDefinition":
                for value in _stored_values(ctx.backend, row.oid):
                    ctx.store.purge(value.oid)
            if tdef.name == "RecycleBinEntry":
                target = row.data.get("DeletedObject")
                if target:
                    ctx.store.purge(int(target))
            ctx.store.purge(row.oid)
            if tdef.name == "AllowedAttributeValue" and row.data.get("AttributeDefinition"):
                sync_allowed_values(ctx.backend, int(row.data["AttributeDefinition"]))
        derive.after_delete(ctx.backend, row)


def restore(backend: Backend, entry: Row) -> Row:
    """Bring a recycled artifact back (control plane)."""
    with recorded(backend, None):
        oid = int(entry.data.get("DeletedObject") or 0)
        row = backend.store.get(oid, include_deleted=True)
        if row is None:
            raise WsapiError("Cannot find object to read")
        row.deleted = False
        backend.store.save(row)
        for child in backend.store.select("o.deleted = 1 AND o.type = 'Task' AND json_extract(o.data, '$.\"WorkProduct\"') = ?",
                                          [row.oid]):
            child.deleted = False
            backend.store.save(child, bump=False)
            derive.timebox_rollup(backend, child, {})
        backend.store.purge(entry.oid)
        derive.after_write(backend, row, None)
        return row


# -- collections and ranking ---------------------------------------------------------------

def collection_add(ctx: WriteContext, owner: Row, attr: AttrDef, items: list[Any]) -> list[Row]:
    """``.../<Collection>/add``: link existing objects, or create new ones given without _ref."""
    schema = ctx.backend.schema(owner.workspace)
    tdef = schema.get(owner.type)
    assert tdef is not None and attr.collection is not None
    spec = attr.collection
    out: list[Row] = []
    linked: list[tuple[int, str, int]] = []  # (link owner, attribute, target) added
    with recorded(ctx.backend, ctx.principal):
        _require_write(ctx, owner, "update")
        if spec.kind == "link":
            _require_relink(ctx, owner, attr.name)
        child_t = schema.get(spec.child)
        for item in items:
            if isinstance(item, dict) and "_ref" not in item:
                if spec.kind != "inverse" or child_t is None:
                    raise WsapiError(f"Cannot create new items in the {attr.name} collection; give a _ref")
                concrete = child_t if not child_t.abstract else None
                if concrete is None:
                    raise WsapiError(f"Cannot create new items in the {attr.name} collection; give a _ref")
                sub = WriteContext(ctx.backend, ctx.principal, owner.workspace, ctx.project,
                                   concrete.name, ctx.warnings)
                out.append(create(sub, concrete, {**item, spec.via: owner.oid}))
                continue
            target = resolve_ref(ctx, None, item, target=spec.child if spec.child != "DomainObject" else None)
            _require_write(ctx, target, "update")
            if spec.kind == "link":
                ctx.store.add_links(owner.oid, attr.name, [target.oid])
                linked.append((owner.oid, attr.name, target.oid))
            elif spec.kind == "reverse":
                ctx.store.add_links(target.oid, spec.via, [owner.oid])
                linked.append((target.oid, spec.via, owner.oid))
            elif spec.kind == "inverse":
                moved = Row(**{**target.__dict__, "data": dict(target.data)})  # recount where it was too
                target.data[spec.via] = owner.oid
                ctx.store.save(target)
                derive.after_write(ctx.backend, target, moved)
            else:
                raise WsapiError(f"The {attr.name} collection cannot be changed")
            out.append(target)
        ctx.store.save(ctx.store.get(owner.oid) or owner)  # as derived writes left it
        for link_owner, link_attr, target_oid in linked:
            derive.after_links_change(ctx.backend, link_owner, link_attr, [target_oid])
        derive.after_collection_change(ctx.backend, owner)
    return out


def collection_remove(ctx: WriteContext, owner: Row, attr: AttrDef, items: list[Any]) -> None:
    schema = ctx.backend.schema(owner.workspace)
    tdef = schema.get(owner.type)
    assert tdef is not None and attr.collection is not None
    spec = attr.collection
    linked: list[tuple[int, str, int]] = []  # (link owner, attribute, target) removed
    with recorded(ctx.backend, ctx.principal):
        _require_write(ctx, owner, "update")
        if spec.kind == "link":
            _require_relink(ctx, owner, attr.name)
        for item in items:
            target = resolve_ref(ctx, None, item)
            _require_write(ctx, target, "update")
            if spec.kind == "link":
                ctx.store.remove_links(owner.oid, attr.name, [target.oid])
                linked.append((owner.oid, attr.name, target.oid))
            elif spec.kind == "reverse":
                ctx.store.remove_links(target.oid, spec.via, [owner.oid])
                linked.append((target.oid, spec.via, owner.oid))
            elif spec.kind == "inverse":
                child_t = schema.get(target.type)
                via = child_t.attr(spec.via) if child_t else None
                if via is not None and via.required:
                    raise errors.should_not_be_null(child_t.name if child_t else spec.child, spec.via)
                if target.data.get(spec.via) == owner.oid:
                    moved = Row(**{**target.__dict__, "data": dict(target.data)})
                    target.data[spec.via] = None
                    ctx.store.save(target)
                    derive.after_write(ctx.backend, target, moved)
            else:
                raise WsapiError(f"The {attr.name} collection cannot be changed")
        ctx.store.save(ctx.store.get(owner.oid) or owner)  # as derived writes left it
        for link_owner, link_attr, target_oid in linked:
            derive.after_links_change(ctx.backend, link_owner, link_attr, [target_oid])
        derive.after_collection_change(ctx.backend, owner)


def rank(ctx: WriteContext, row: Row, *, above: str | None = None, below: str | None = None,
         to: str | None = None) -> Row:
    """Move ``row`` relative to another artifact, or to the TOP/BOTTOM of the workspace."""
    if row.rank is None:
        raise WsapiError("Cannot rank an object that has no DragAndDropRank")
    with recorded(ctx.backend, ctx.principal):
        ws = row.workspace
        if to is not None:
            where = to.strip().upper()
            if where == "TOP":
                low = None
                high = _edge_rank(ctx, ws, "min", exclude=row.oid)
            elif where == "BOTTOM":
                low, high = _edge_rank(ctx, ws, "max", exclude=row.oid), None
            else:
                raise WsapiError(f'Could not parse: rankTo must be TOP or BOTTOM, not "{to}"')
        else:
            ref = resolve_ref(ctx, None, above or below)
            if ref.rank is None or ref.workspace != ws:
                raise WsapiError("Cannot rank relative to an object without DragAndDropRank in this workspace")
            if ref.oid == row.oid:
                return row
            if above is not None:
                low = _neighbour(ctx, ws, ref.rank, before=True, exclude=row.oid)
                high = ref.rank
            else:
                low = ref.rank
                high = _neighbour(ctx, ws, ref.rank, before=False, exclude=row.oid)
        row.rank = ranking.between(low, high)
        ctx.store.save(row)
        return row


def _max_rank(ctx: WriteContext, workspace: int | None) -> str | None:
    return _edge_rank(ctx, workspace, "max", exclude=None)


def _edge_rank(ctx: WriteContext, workspace: int | None, fn: str, exclude: int | None) -> str | None:
    rows = ctx.store.execute(f"SELECT {fn}(rank) FROM objects WHERE workspace IS ? AND rank IS NOT NULL"
                             " AND oid IS NOT ?", [workspace, exclude])
    return rows[0][0] if rows and rows[0][0] else None


def _neighbour(ctx: WriteContext, workspace: int | None, key: str, *, before: bool, exclude: int) -> str | None:
    op, fn = ("<", "max") if before else (">", "min")
    rows = ctx.store.execute(f"SELECT {fn}(rank) FROM objects WHERE workspace IS ? AND rank {op} ? AND oid != ?",
                             [workspace, key, exclude])
    return rows[0][0] if rows and rows[0][0] else None


# -- helpers -------------------------------------------------------------------------------

def _require_manage(ctx: WriteContext, action: str, tdef: TypeDef, row: Row | None = None) -> None:
    """Refuse a subscription-level change the access module does not allow."""
    if ctx.principal is None or access.policy(ctx.backend, ctx.principal).may_manage(action, tdef.name, row):
        return
    raise errors.not_authorized(action, tdef.name, row.oid if row is not None else None)


def _require_relink(ctx: WriteContext, owner: Row, attr: str) -> None:
    """Refuse a change of the links ``owner.attr`` the access module does not allow."""
    if ctx.principal is None or access.policy(ctx.backend, ctx.principal).may_relink(owner, attr):
        return
    tdef = ctx.backend.catalog.get(owner.type)
    raise errors.not_authorized("update", tdef.name if tdef else owner.type, owner.oid)


def _require_write(ctx: WriteContext, row: Row, action: str) -> None:
    """Refuse with Rally's ``Not authorized to <action>: <Type> <OID>`` unless the access module allows."""
    if ctx.principal is None or access.policy(ctx.backend, ctx.principal).can_write(row):
        return
    tdef = ctx.backend.catalog.get(row.type)
    raise errors.not_authorized(action, tdef.name if tdef else row.type, row.oid)


def _workspace_for(ctx: WriteContext, payload: dict[str, Any]) -> int | None:
    for key, value in payload.items():
        if key.lower() == "workspace" and value:
            return resolve_ref(ctx, None, value, target="Workspace").oid
    if ctx.workspace:
        return ctx.workspace
    if ctx.principal is not None:
        return ctx.backend.user_defaults(ctx.principal)[0]
    return None


def _project_for(ctx: WriteContext, tdef: TypeDef, data: dict[str, Any], given: int | None,
                 workspace: int | None) -> int | None:
    if tdef.name == "Task" and data.get("WorkProduct"):
        wp = ctx.store.get(int(data["WorkProduct"]))
        return wp.project if wp else given
    if tdef.name == "Project":
        return None
    project = given or ctx.project
    if project is None and ctx.principal is not None:
        ws_default, p_default = ctx.backend.user_defaults(ctx.principal)
        if ws_default == workspace:
            project = p_default
    if project is not None:
        prow = ctx.store.get(project)
        if prow is None or prow.type != "Project":
            raise errors.bad_reference(f"/project/{project}")
        if workspace is not None and prow.workspace != workspace:
            raise WsapiError(f"Validation error: {tdef.name}.Project must be in the same workspace as the {tdef.name}")
    return project


def _type_rules_on_create(ctx: WriteContext, tdef: TypeDef, data: dict[str, Any], workspace: int | None,
                          project: int | None) -> None:
    name = tdef.name
    if "FlowState" in tdef.by_name:
        flow.on_artifact_create(ctx.store, tdef, data, project)
    if name == "FlowState" and data.get("ScheduleStateMapping"):
        flow.place(ctx.store, data, project)
    if name == "HierarchicalRequirement" and data.get("Parent") and data.get("PortfolioItem"):
        raise WsapiError("Validation error: HierarchicalRequirement.parentArtifact should not be set if "
                         "HierarchicalRequirement.Parent is set and vice versa")
    if name == "HierarchicalRequirement":
        parent = ctx.store.get(int(data["Parent"])) if data.get("Parent") else None
        data["Feature"] = data.get("PortfolioItem") or (parent.data.get("Feature") if parent else None)
    if name == "Task" and not data.get("WorkProduct"):
        raise errors.should_not_be_null("Task", "WorkProduct")
    if name == "Task" and data.get("WorkProduct"):
        wp = ctx.store.get(int(data["WorkProduct"]))
        if wp is not None:
            data["Iteration"] = wp.data.get("Iteration")
            data["Release"] = wp.data.get("Release")
        if data.get("TaskIndex") is None:
            rows = ctx.store.execute(
                "SELECT coalesce(max(json_extract(data, '$.\"TaskIndex\"')), -1) FROM objects"
                " WHERE type = 'Task' AND deleted = 0 AND json_extract(data, '$.\"WorkProduct\"') = ?",
                [data["WorkProduct"]])
            data["TaskIndex"] = int(rows[0][0]) + 1
        if data.get("ToDo") is None and data.get("Estimate") is not None:
            data["ToDo"] = data["Estimate"]
    if tdef.is_portfolio_item:
        data["PortfolioItemType"] = _typedef_oid(ctx, workspace, tdef.type_path)
        data["PortfolioItemTypeName"] = tdef.name
        if data.get("State"):
            state = ctx.store.get(int(data["State"]))
            if state is None or state.type != "State" or state.data.get("TypeDef") != data["PortfolioItemType"]:
                raise WsapiError(f"Validation error: {tdef.name}.State must be a State of {tdef.name}")
    if name == "ConversationPost":
        if ctx.principal is not None:
            data["User"] = ctx.principal.oid
        rows = ctx.store.execute("SELECT count(*) FROM objects WHERE type = 'ConversationPost' AND"
                                 " json_extract(data, '$.\"Artifact\"') = ?", [data.get("Artifact")])
        data["PostNumber"] = int(rows[0][0]) + 1
    if name == "AllowedAttributeValue":
        _allowed_value_rules(ctx, data)
    if name == "TimeEntryItem" and ctx.principal is not None:
        data["User"] = ctx.principal.oid  # read-only: the timesheet is the caller's
    if name == "Attachment" and not data.get("User") and ctx.principal is not None:
        data["User"] = ctx.principal.oid  # Rally fills in the caller (integrations leave User out)
    if name == "Attachment" and data.get("Content") and data.get("Size") is None:
        blob = ctx.store.get_blob(int(data["Content"]))
        data["Size"] = len(blob) if blob is not None else 0
    if name == "Tag":
        existing = ctx.store.select("o.type = 'Tag' AND o.deleted = 0 AND o.workspace IS ? AND"
                                    " json_extract(o.data, '$.\"Name\"') = ?", [workspace, data.get("Name")], limit=1)
        if existing:
            raise errors.conflicts("Tag", "Name", str(data.get("Name")))


def _type_rules_on_update(ctx: WriteContext, tdef: TypeDef, row: Row, before: Row) -> None:
    if tdef.name == "HierarchicalRequirement" and row.data.get("Parent") and row.data.get("PortfolioItem"):
        raise WsapiError("Validation error: HierarchicalRequirement.parentArtifact should not be set if "
                         "HierarchicalRequirement.Parent is set and vice versa")
    if tdef.name == "HierarchicalRequirement" and row.data.get("Parent") == row.oid:
        raise WsapiError("Validation error: HierarchicalRequirement.Parent cannot be the story itself")
    if tdef.name == "Task" and row.data.get("WorkProduct") != before.data.get("WorkProduct"):
        wp = ctx.store.get(int(row.data["WorkProduct"])) if row.data.get("WorkProduct") else None
        if wp is not None:
            row.project = wp.project
            row.data["Iteration"] = wp.data.get("Iteration")
            row.data["Release"] = wp.data.get("Release")
    if "FlowState" in tdef.by_name:
        flow.on_artifact_update(ctx.store, tdef, row, before)
    if tdef.name == "FlowState" and any(row.data.get(k) != before.data.get(k)
                                        for k in ("OrderIndex", "ScheduleStateMapping")):
        flow.place(ctx.store, row.data, row.project, exclude=row.oid)
    if tdef.name == "AllowedAttributeValue" and (row.data.get("StringValue") != before.data.get("StringValue")
                                                 or row.data.get("AttributeDefinition")
                                                 != before.data.get("AttributeDefinition")):
        _allowed_value_rules(ctx, row.data, exclude=row.oid)
    if tdef.name == "User" and row.data.get("UserName") != before.data.get("UserName"):
        _unique_username(ctx, str(row.data.get("UserName")), exclude=row.oid)


def _unique_username(ctx: WriteContext, username: str, exclude: int | None = None) -> None:
    rows = ctx.store.select("o.type = 'User' AND o.deleted = 0 AND lower(json_extract(o.data, '$.\"UserName\"')) = ?"
                            " AND o.oid IS NOT ?", [username.lower(), exclude], limit=1)
    if rows:
        raise errors.conflicts("User", "UserName", username)


def _create_user(ctx: WriteContext, tdef: TypeDef, payload: dict[str, Any]) -> Row:
    _require_manage(ctx, "create", tdef)
    scalars, _ = _split_payload(ctx, tdef, payload, creating=True)
    values = {a.name: coerce(ctx, tdef, a, v) for a, v in scalars.items()}
    for required in ("UserName", "EmailAddress"):
        if not values.get(required):
            raise errors.should_not_be_null("User", required)
    _unique_username(ctx, str(values["UserName"]))
    extra = {k: v for k, v in values.items() if k not in ("UserName", "EmailAddress", "DisplayName",
                                                           "FirstName", "LastName")}
    user = ctx.backend.create_user(str(values["UserName"]), email=str(values["EmailAddress"]),
                                   display_name=str(values.get("DisplayName") or ""),
                                   first=str(values.get("FirstName") or ""), last=str(values.get("LastName") or ""),
                                   extra=extra)
    if ctx.principal is not None:
        ws, proj = ctx.backend.user_defaults(ctx.principal)
        ctx.backend.set_defaults(user.oid, ws, proj)
    return ctx.store.get(user.oid) or user


def _create_project_from_payload(ctx: WriteContext, workspace: int | None, data: dict[str, Any]) -> Row:
    if workspace is None:
        raise errors.should_not_be_null("Project", "Workspace")
    rights = access.policy(ctx.backend, ctx.principal) if ctx.principal is not None else None
    if rights is not None and not rights.is_workspace_admin(workspace):
        parent = data.get("Parent")
        if not (parent and rights.roles().get(int(parent)) == "Admin"):
            raise errors.not_authorized("create", "Project")
    if not data.get("Name"):
        raise errors.should_not_be_null("Project", "Name")
    if data.get("Parent"):
        parent_row = ctx.store.get(int(data["Parent"]))
        if parent_row is None or parent_row.workspace != workspace:
            raise WsapiError("Validation error: Project.Parent must be a project of the same workspace")
    return create_project(ctx.backend, workspace, str(data.pop("Name")), parent=data.pop("Parent", None),
                          owner=data.pop("Owner", None), extra=data)


def create_custom_field(ctx: WriteContext, payload: dict[str, Any]) -> Row:
    """Public entry for the control plane (same rules as WSAPI AttributeDefinition create)."""
    with ctx.store.transaction(savepoint=True):
        return _create_custom_field(ctx, payload)


def _create_custom_field(ctx: WriteContext, payload: dict[str, Any]) -> Row:
    """A workspace custom field: ``{"Name", "AttributeType", "TypeDefinition", ...}``."""
    workspace = _workspace_for(ctx, payload)
    if ctx.principal is not None and not access.policy(ctx.backend, ctx.principal).is_workspace_admin(workspace):
        raise errors.not_authorized("create", "AttributeDefinition")
    name = str(payload.get("Name") or "").strip()
    if not name:
        raise errors.should_not_be_null("AttributeDefinition", "Name")
    attr_type = str(payload.get("AttributeType") or "STRING").upper()
    if attr_type not in ("STRING", "TEXT", "INTEGER", "DECIMAL", "QUANTITY", "BOOLEAN", "DATE", "WEB_LINK", "RATING"):
        raise errors.invalid_value(attr_type, "Attribute Type", ("STRING", "TEXT", "INTEGER", "DECIMAL", "BOOLEAN",
                                                                  "DATE", "WEB_LINK", "RATING"))
    typedef_value = payload.get("TypeDefinition")
    owner_path = None
    if typedef_value is not None:
        parsed = parse_ref(typedef_value)
        trow = ctx.store.get(parsed[1]) if parsed else None
        if trow is None or trow.type != "TypeDefinition":
            raise errors.bad_reference(typedef_value)
        owner_path = trow.data.get("TypePath")
    owner_path = owner_path or payload.get("TypePath")
    if not owner_path or ctx.backend.catalog.get(str(owner_path)) is None:
        raise errors.should_not_be_null("AttributeDefinition", "TypeDefinition")
    element = "c_" + "".join(ch for ch in name if ch.isalnum() or ch == "_")
    tdef = ctx.backend.schema(workspace).get(str(owner_path))
    if tdef is not None and tdef.attr(element) is not None:
        raise errors.conflicts("AttributeDefinition", "Name", name)
    allowed = payload.get("AllowedValues")
    values = None
    if isinstance(allowed, list):
        values = [str(v.get("StringValue") if isinstance(v, dict) else v) for v in allowed]
        if attr_type == "RATING" and "None" not in values:
            values = ["None", *values]
    owner_type = str(ctx.backend.catalog.get(str(owner_path)).type_path)  # type: ignore[union-attr]
    owner_rows = ctx.store.select(f"o.type = 'TypeDefinition' AND o.deleted = 0 AND o.workspace = ?"
                                  f" AND {value_sql('o', 'TypePath')} = ?", [workspace, owner_type], limit=1)
    row = ctx.store.insert("AttributeDefinition", {
        "Name": name, "ElementName": element, "AttributeType": attr_type, "Custom": True,
        "OwnerTypePath": owner_type, "TypeDefinition": owner_rows[0].oid if owner_rows else None,
        "AllowedValueList": values, "Required": bool(payload.get("Required")),
        "Hidden": bool(payload.get("Hidden")), "ReadOnly": False, "Filterable": True, "Sortable": True,
        "Constrained": values is not None, "Note": "", "VisibleOnlyToAdmins": False,
    }, workspace=workspace)
    for index, value in enumerate(values or ()):
        ctx.store.insert("AllowedAttributeValue", {"AttributeDefinition": row.oid, "StringValue": value,
                                                   "ValueIndex": index, "IntegerValue": index,
                                                   "LocalizedStringValue": value}, workspace=workspace)
    ctx.backend.invalidate_schema(workspace)
    return row


def scoped_attribute_row(backend: Backend, project: int, attr_oid: int) -> Row | None:
    """The stored per-project settings of an attribute, if any were made."""
    rows = backend.store.select("o.type = 'ScopedAttributeDefinition' AND o.deleted = 0 AND o.project = ?"
                                " AND json_extract(o.data, '$.\"AttributeDefinition\"') = ?", [project, attr_oid],
                                limit=1)
    return rows[0] if rows else None


def set_scoped_attribute(ctx: WriteContext, project: Row, tdef: TypeDef, attr: AttrDef,
                         payload: dict[str, Any]) -> Row:
    """Hide/show (or require) an attribute in one project (whoever the access policy lets write
    ScopedAttributeDefinitions there)."""
    scoped_t = ctx.backend.type("ScopedAttributeDefinition")
    if ctx.principal is not None and not access.policy(ctx.backend, ctx.principal).may_write(
            "ScopedAttributeDefinition", project.workspace, project.oid):
        raise errors.not_authorized("update", "ScopedAttributeDefinition")
    values: dict[str, Any] = {}
    for key, value in payload.items():
        target = scoped_t.attr(key)
        if target is None or target.name not in ("Hidden", "Required"):
            if key not in SILENT_KEYS and not key.startswith("_"):
                ctx.warnings.append(errors.ignored_element(ctx.wrapper, key))
            continue
        values[target.name] = coerce(ctx, scoped_t, target, value)
    with ctx.store.transaction(savepoint=True):
        row = scoped_attribute_row(ctx.backend, project.oid, attr.oid)
        if row is None:
            return ctx.store.insert("ScopedAttributeDefinition", {"AttributeDefinition": attr.oid,
                                                                  "TypePath": tdef.type_path, **values},
                                    workspace=project.workspace, project=project.oid)
        row.data.update(values)
        return ctx.store.save(row)


def _stored_values(backend: Backend, attr_oid: int) -> list[Row]:
    rows = backend.store.select("o.type = 'AllowedAttributeValue' AND o.deleted = 0 AND"
                                " json_extract(o.data, '$.\"AttributeDefinition\"') = ?", [attr_oid])
    return sorted(rows, key=lambda r: (int(r.data.get("ValueIndex") or 0), r.oid))


def _allowed_value_rules(ctx: WriteContext, data: dict[str, Any], exclude: int | None = None) -> None:
    """An AllowedAttributeValue belongs to a custom attribute; values are unique per attribute;
    a new one goes last."""
    attr_oid = data.get("AttributeDefinition")
    attr_row = ctx.store.get(int(attr_oid)) if attr_oid else None
    if attr_row is None or attr_row.type != "AttributeDefinition" or not attr_row.data.get("Custom"):
        raise WsapiError("Validation error: AllowedAttributeValue.AttributeDefinition must be a custom "
                         "attribute of this workspace (built-in value lists cannot be changed)")
    existing = [r for r in _stored_values(ctx.backend, attr_row.oid) if r.oid != exclude]
    if any(r.data.get("StringValue") == data.get("StringValue") for r in existing):
        raise errors.conflicts("AllowedAttributeValue", "StringValue", str(data.get("StringValue")))
    if data.get("ValueIndex") is None:
        data["ValueIndex"] = max((int(r.data.get("ValueIndex") or 0) for r in existing), default=-1) + 1
    if data.get("IntegerValue") is None:
        data["IntegerValue"] = data["ValueIndex"]  # the value's position (emulator choice)
    data["LocalizedStringValue"] = data.get("StringValue")


def sync_allowed_values(backend: Backend, attr_oid: int) -> None:
    """A custom attribute's value list is its AllowedAttributeValue objects, in ValueIndex order."""
    attr_row = backend.store.get(attr_oid)
    if attr_row is None or attr_row.type != "AttributeDefinition":
        return
    values = [str(r.data.get("StringValue")) for r in _stored_values(backend, attr_oid)]
    attr_row.data["AllowedValueList"] = values
    attr_row.data["Constrained"] = True
    backend.store.save(attr_row)
    backend.invalidate_schema(attr_row.workspace)


PERMISSION_ROLES = ("Viewer", "Editor", "Admin", "User")


def _create_permission(ctx: WriteContext, tdef: TypeDef, payload: dict[str, Any]) -> Row:
    """WorkspacePermission / ProjectPermission: who may do what where (admins only)."""
    values = {k.lower(): v for k, v in payload.items()}
    user = resolve_ref(ctx, None, values.get("user"), target="User") if values.get("user") else None
    if user is None:
        raise errors.should_not_be_null(tdef.name, "User")
    role = str(values.get("role") or "")
    if role not in PERMISSION_ROLES:
        raise errors.invalid_value(role, "Role", PERMISSION_ROLES)
    data: dict[str, Any] = {"User": user.oid, "Role": role, "CustomObjectID": ""}
    if tdef.name == "ProjectPermission":
        if not values.get("project"):
            raise errors.should_not_be_null(tdef.name, "Project")
        project = resolve_ref(ctx, None, values["project"], target="Project")
        workspace, data["Project"] = project.workspace, project.oid
        data["Name"] = f"{project.data.get('Name')} {role}"
    else:
        if not values.get("workspace"):
            raise errors.should_not_be_null(tdef.name, "Workspace")
        ws = resolve_ref(ctx, None, values["workspace"], target="Workspace")
        workspace = data["Workspace"] = ws.oid
        data["Name"] = f"{ws.data.get('Name')} {role}"
    if ctx.principal is not None and not access.policy(ctx.backend, ctx.principal).is_workspace_admin(workspace):
        raise errors.not_authorized("create", tdef.name)
    existing = ctx.store.select(
        f"o.type = ? AND o.deleted = 0 AND json_extract(o.data, '$.\"User\"') = ? AND "
        f"json_extract(o.data, '$.\"{'Project' if tdef.name == 'ProjectPermission' else 'Workspace'}\"') = ?",
        [tdef.name, user.oid, data.get("Project") or data.get("Workspace")], limit=1)
    if existing:
        existing[0].data["Role"] = role
        return ctx.store.save(existing[0])
    return ctx.store.insert(tdef.name, data, workspace=workspace)


def _typedef_oid(ctx: WriteContext, workspace: int | None, type_path: str) -> int | None:
    rows = ctx.store.select("o.type = 'TypeDefinition' AND o.workspace IS ? AND json_extract(o.data, '$.\"TypePath\"') = ?",
                            [workspace, type_path], limit=1)
    return rows[0].oid if rows else None


def _set_collections(ctx: WriteContext, tdef: TypeDef, row: Row, colls: dict[AttrDef, list[Any]]) -> None:
    """Collections given on create/update replace the current members."""
    for attr, items in colls.items():
        spec = attr.collection
        assert spec is not None
        targets = [resolve_ref(ctx, None, item) for item in items]
        for target in targets:  # as for collection add/remove: rights on both sides
            _require_write(ctx, target, "update")
        if spec.kind == "link":
            _require_relink(ctx, row, attr.name)
            before = ctx.store.links(row.oid, attr.name)
            ctx.store.set_links(row.oid, attr.name, [t.oid for t in targets])
            derive.after_links_change(ctx.backend, row.oid, attr.name, [*before, *(t.oid for t in targets)])
        elif spec.kind == "reverse":
            current = [r[0] for r in ctx.store.execute("SELECT owner FROM links WHERE target = ? AND attr = ?",
                                                       [row.oid, spec.via])]
            for owner in current:
                ctx.store.remove_links(owner, spec.via, [row.oid])
            for t in targets:
                ctx.store.add_links(t.oid, spec.via, [row.oid])
            for owner in {*current, *(t.oid for t in targets)}:
                derive.after_links_change(ctx.backend, owner, spec.via, [row.oid])
        elif spec.kind == "inverse":
            keep = {t.oid for t in targets}
            for t in targets:
                if t.data.get(spec.via) != row.oid:
                    t.data[spec.via] = row.oid
                    ctx.store.save(t)
            child_t = ctx.backend.schema(row.workspace).get(spec.child)
            via = child_t.attr(spec.via) if child_t else None
            if via is not None and not via.required:
                types = [c.type_path for c in ctx.backend.catalog.concrete(child_t)] if child_t else []
                marks = ",".join("?" * len(types))
                for member in ctx.store.select(f"o.deleted = 0 AND o.type IN ({marks}) AND json_extract(o.data, ?) = ?",
                                               [*types, f'$."{spec.via}"', row.oid]):
                    if member.oid not in keep:
                        _require_write(ctx, member, "update")
                        member.data[spec.via] = None
                        ctx.store.save(member)


def _recycle(ctx: WriteContext, tdef: TypeDef, row: Row) -> None:
    row.deleted = True
    row.data["Recycled"] = True
    ctx.store.save(row)
    ctx.store.insert("RecycleBinEntry", {
        "ID": f"{tdef.id_prefix or ''}{row.fid}" if row.fid is not None else str(row.oid),
        "Name": row.data.get("Name", ""),
        "Type": _typedef_oid(ctx, row.workspace, tdef.type_path),
        "DeletedBy": ctx.principal.oid if ctx.principal else None,
        "DeletionDate": ctx.backend.clock.iso(),
        "DeletedObject": row.oid,
        "ItemOID": row.oid,  # WSAPI 2025 names the deleted object's ObjectID
    }, workspace=row.workspace, project=row.project)


def _add_revision(ctx: WriteContext, row: Row, description: str, number: int | None = None) -> None:
    history = row.data.get("RevisionHistory")
    if not history:
        return
    if number is None:
        rows = ctx.store.execute("SELECT count(*) FROM objects WHERE type = 'Revision' AND"
                                 " json_extract(data, '$.\"RevisionHistory\"') = ?", [history])
        number = int(rows[0][0])
    ctx.store.insert("Revision", {"RevisionHistory": history, "RevisionNumber": number,
                                  "Description": description,
                                  "User": ctx.principal.oid if ctx.principal else None},
                     workspace=row.workspace)


def _describe(ctx: WriteContext, attr: AttrDef, old: Any, new: Any) -> str:
    def show(v: Any) -> str:
        if v is None:
            return ""
        if attr.type == "OBJECT":
            ref = ctx.store.get(int(v))
            return str(ref.data.get("Name") or ref.data.get("UserName") or v) if ref else str(v)
        return str(v)

    label = attr.display_name.upper()
    if old in (None, ""):
        return f"{label} added [{show(new)}]"
    if new in (None, ""):
        return f"{label} removed [{show(old)}]"
    return f"{label} changed from [{show(old)}] to [{show(new)}]"


# -- organisation objects ------------------------------------------------------------------

def create_workspace(backend: Backend, name: str, *, owner: int | None = None) -> Row:
    """A workspace with its TypeDefinitions, PortfolioItem States and PreliminaryEstimates."""
    store = backend.store
    with store.transaction():
        ws = store.insert("Workspace", {"Name": name, "State": "Open", "Style": "UserStory", "Owner": owner,
                                        "Description": "", "Notes": "",
                                        "Subscription": backend.subscription})
        ws.workspace = ws.oid
        store.save(ws, bump=False)
        config = store.insert("WorkspaceConfiguration", {
            "DateFormat": "MM/dd/yyyy", "DateTimeFormat": "MM/dd/yyyy hh:mm:ss a", "TimeZone": "America/Denver",
            "IterationEstimateUnitName": "Points", "ReleaseEstimateUnitName": "Points", "TaskUnitName": "Hours",
            "WorkDays": "Monday,Tuesday,Wednesday,Thursday,Friday", "DragDropRankingEnabled": True,
            "TimeTrackerEnabled": True, "BuildandChangesetEnabled": True}, workspace=ws.oid)
        ws.data["WorkspaceConfiguration"] = config.oid
        ws.data["RevisionHistory"] = store.insert("RevisionHistory", {}, workspace=ws.oid).oid
        store.save(ws, bump=False)
        oids: dict[str, int] = {}
        for tdef in backend.catalog.types():
            row = store.insert("TypeDefinition", {
                "Name": tdef.display_name if tdef.type_path.startswith("PortfolioItem/") else _td_name(tdef),
                "ElementName": tdef.name, "TypePath": tdef.type_path, "DisplayName": tdef.display_name,
                "IDPrefix": tdef.id_prefix, "Abstract": tdef.abstract, "Creatable": tdef.creatable,
                "Queryable": tdef.queryable, "ReadOnly": tdef.read_only, "Deletable": tdef.deletable,
                "Restorable": tdef.restorable, "Ordinal": tdef.ordinal, "UserListable": tdef.user_listable,
                "Note": "", "ParentName": tdef.parent,
                "RevisionHistory": store.insert("RevisionHistory", {}, workspace=ws.oid).oid}, workspace=ws.oid)
            oids[tdef.type_path] = row.oid
            oids.setdefault(tdef.name, row.oid)
        for row in store.select("o.type = 'TypeDefinition' AND o.workspace = ?", [ws.oid]):
            parent = row.data.pop("ParentName", None)
            row.data["Parent"] = oids.get(parent) if parent else None
            store.save(row, bump=False)
        for tdef in backend.catalog.types():
            if tdef.is_portfolio_item:
                for index, state in enumerate(PI_STATES, start=1):
                    store.insert("State", {"Name": state, "OrderIndex": index, "TypeDef": oids[tdef.type_path],
                                           "Enabled": True, "Description": "", "WIPLimit": 0, "Color": ""},
                                 workspace=ws.oid)
        for label, value in PRELIMINARY_ESTIMATES:
            store.insert("PreliminaryEstimate", {"Name": label, "Value": value, "Description": ""},
                         workspace=ws.oid)
        if owner is not None:
            store.insert("WorkspacePermission", {"User": owner, "Workspace": ws.oid, "Role": "Admin",
                                                 "Name": f"{name} Admin", "CustomObjectID": ""}, workspace=ws.oid)
        return ws


def _td_name(tdef: TypeDef) -> str:
    return "Hierarchical Requirement" if tdef.name == "HierarchicalRequirement" else tdef.display_name


def create_project(backend: Backend, workspace: int, name: str, *, parent: int | None = None,
                   owner: int | None = None, extra: dict[str, Any] | None = None) -> Row:
    data = {"Name": name, "State": "Open", "Parent": parent, "Owner": owner, "Description": "", "Notes": ""}
    data.update(extra or {})
    with backend.store.transaction():
        row = backend.store.insert("Project", data, workspace=workspace)
        row.project = row.oid
        backend.store.save(row, bump=False)
        history = backend.store.insert("RevisionHistory", {}, workspace=workspace)
        row.data["RevisionHistory"] = history.oid
        backend.store.save(row, bump=False)
        flow.create_defaults(backend.store, workspace, row.oid)
    return row
