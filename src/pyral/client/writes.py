"""Writes: create (``put``), update (``post``) and delete, by ObjectID, FormattedID or instance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import protocol as proto
from ..errors import (
    RallyNotFoundError,
    RallyResponseError,
    RallyRESTAPIError,
    RallyValidationError,
)
from ..model.entities import (
    Persistable,
)
from ..model.hydration import Hydrator
from .operation import Op, operation
from .reads import Reads
from .workspaces import RallyContext

_READ_ONLY_KEYS = ("objectid", "formattedid")


class Writes(Reads):
    """Writes: create (``put``), update (``post``) and delete, by ObjectID, FormattedID or instance."""

    def _grease(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn entity instances (and lists of them / of ref strings) into ``{"_ref": ...}``."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, Persistable):
                out[key] = value.ref
            elif isinstance(value, list):
                items = []
                for v in value:
                    if isinstance(v, Persistable):
                        items.append({"_ref": v.ref})
                    elif isinstance(v, str) and proto.is_oid(v.rsplit("/", 1)[-1]) and "/" in v:
                        items.append({"_ref": v})
                    else:
                        items.append(v)
                out[key] = items
            else:
                out[key] = value
        return out

    def _entity_path(self, official: str) -> str:
        return official.lower()

    def _target(self, entityName: str, verb: str, workspace: Any, project: Any
                ) -> tuple[str, RallyContext, list[tuple[str, str]]]:
        """(official type name, context, context params) of a write; RecycleBinEntry is read-only."""
        official = self._official_name(entityName)
        if official == "RecycleBinEntry":
            raise RallyRESTAPIError(f"{verb} operation unsupported for RecycleBinEntry")
        ctx, params = self.contextHelper.resolve({"workspace": workspace, "project": project},
                                                 scoping=False)
        return official, ctx, params

    def _put(self, entityName: str, itemData: Mapping[str, Any], workspace: Any = "current",
             project: Any = "current", **kwargs: Any) -> Op[Persistable]:
        """Create an object; returns the new instance (complete).  Raises on Rally errors."""
        def plan() -> tuple[str, RallyContext, list[tuple[str, str]], dict[str, Any]]:
            official, ctx, params = self._target(entityName, "create", workspace, project)
            return official, ctx, params, self._attribute_names_now(official, dict(itemData), ctx.workspace_ref)
        official, ctx, params, data = yield from self._with_loads(plan)
        return (yield from self._create(official, self._grease(data), ctx, params))

    put = operation(_put)
    create = put

    def _create(self, official: str, data: dict[str, Any], ctx: RallyContext | None,
                params: Sequence[tuple[str, str]]) -> Op[Persistable]:
        _reply, env = yield from self._write(lambda key: proto.create_request(
            self._entity_path(official), official, data, key=key, context=params))
        if env.errors:
            raise RallyValidationError(f"422 {env.errors[0]}", errors=env.errors,
                                       warnings=env.warnings, status_code=422)
        obj = env.obj
        if not obj or not obj.get("_ref"):
            raise RallyResponseError(f"Create of {official} returned no object")
        obj = dict(obj)
        obj.setdefault("_type", official)
        if self._log is not None:
            self._log.created(official, proto.oid_from_ref(obj["_ref"]))
        inst = Hydrator(self, complete=len(obj) > 8, hydrated=True, context=ctx).make(obj)
        assert isinstance(inst, Persistable)
        return inst

    def _oid_for_formatted_id(self, official: str, fid: str, ws_ref: str | None) -> Op[int | str]:
        query = f'(FormattedID = "{fid}")'
        req = proto.query_request(official, fetch="ObjectID,FormattedID", query=query,
                                  context=proto.context_params(ws_ref, None), pagesize=2, start=1)
        env = yield from self._envelope(req)
        hits = [r for r in env.results if isinstance(r, dict)]
        if env.errors or not hits:
            raise RallyNotFoundError(f"Target {official} {fid} could not be located",
                                     errors=env.errors)
        hit = hits[0]
        return hit.get("ObjectID") or proto.oid_from_ref(hit["_ref"])

    def _oids_for_formatted_ids(self, official: str, fids: Sequence[str]) -> Op[dict[str, int | str]]:
        """FormattedID (upper-case) -> ObjectID for many IDs, a few queries instead of one per ID."""
        out: dict[str, int | str] = {}
        wanted = sorted({f.strip().upper() for f in fids if f.strip()})
        ws_ref = self.contextHelper.currentWorkspaceRef()
        for start in range(0, len(wanted), 200):
            chunk = wanted[start:start + 200]
            req = proto.query_request(official, fetch="ObjectID,FormattedID",
                                      query=f"(FormattedID in {','.join(chunk)})",
                                      context=proto.context_params(ws_ref, None), pagesize=2000, start=1)
            env = yield from self._envelope(req)
            for hit in env.results:
                if isinstance(hit, dict) and hit.get("FormattedID"):
                    out[str(hit["FormattedID"]).upper()] = hit.get("ObjectID") or proto.oid_from_ref(hit["_ref"])
        return out

    def _post(self, entityName: str, itemData: Mapping[str, Any], workspace: Any = "current",
              project: Any = "current", **kwargs: Any) -> Op[Persistable]:
        """Update an object identified by ``ObjectID`` or ``FormattedID`` in ``itemData``."""
        raw = dict(itemData)
        ident = {k.lower(): raw.pop(k) for k in list(raw) if k.lower() in _READ_ONLY_KEYS}
        official, ctx, params = yield from self._with_loads(
            lambda: self._target(entityName, "update", workspace, project))
        oid = ident.get("objectid")
        if not oid and ident.get("formattedid"):
            oid = yield from self._oid_for_formatted_id(official, str(ident["formattedid"]), ctx.workspace_ref)
        if not oid:
            raise RallyRESTAPIError("An identifying field (ObjectID or FormattedID) must be specified")
        data = yield from self._with_loads(lambda: self._attribute_names_now(official, raw, ctx.workspace_ref))
        return (yield from self._update(official, oid, self._grease(data), ctx, params, entityName))

    post = operation(_post)
    update = post

    def _update(self, official: str, oid: Any, data: dict[str, Any], ctx: RallyContext | None,
                params: Sequence[tuple[str, str]], label: str,
                extra: Sequence[tuple[str, str]] = ()) -> Op[Persistable]:
        _reply, env = yield from self._write(lambda key: proto.update_request(
            self._entity_path(official), official, oid, data, key=key, context=params, extra=extra))
        if env.errors:
            raise RallyValidationError(
                f"Unable to update the {label}\nERRORS: {chr(10).join(env.errors)}\n"
                f"WARNINGS: {chr(10).join(env.warnings)}\n",
                errors=env.errors, warnings=env.warnings, status_code=422)
        if env.obj and env.obj.get("_ref"):
            obj = dict(env.obj)
            obj.setdefault("_type", official)
            inst = Hydrator(self, complete=len(obj) > 8, hydrated=True, context=ctx).make(obj)
            assert isinstance(inst, Persistable)
            return inst
        return (yield from self._single(f"{self._entity_path(official)}/{oid}", ctx=ctx))

    def _delete(self, entityName: str, itemIdent: Any, workspace: Any = "current",
                project: Any = "current", *, raise_on_error: bool = False, **kwargs: Any) -> Op[bool]:
        """Delete by ObjectID, FormattedID (any prefix) or instance; True on success.

        Like upstream, a refusal by Rally returns False; with ``raise_on_error=True`` it raises
        :class:`RallyRESTAPIError` carrying Rally's errors instead.  A FormattedID that matches
        nothing raises :class:`RallyNotFoundError`.
        """
        def plan() -> tuple[str, RallyContext, list[tuple[str, str]]]:
            official = self._official_name(entityName)
            ctx, params = self.contextHelper.resolve({"workspace": workspace, "project": project},
                                                     scoping=False)
            return official, ctx, params
        official, ctx, params = yield from self._with_loads(plan)
        path = self._entity_path(official)
        if isinstance(itemIdent, Persistable):
            oid: Any = itemIdent.oid
            type_path = proto.type_path_from_ref(itemIdent._ref) if itemIdent._ref else ""
            if type_path:
                path = type_path.lower()
        elif proto.is_oid(itemIdent):
            oid = int(itemIdent)
        elif proto.is_formatted_id(itemIdent):
            oid = yield from self._oid_for_formatted_id(official, itemIdent.strip(), ctx.workspace_ref)
        else:
            raise RallyRESTAPIError(f"Unrecognized identifier for {entityName}: {itemIdent!r}")
        reply, env = yield from self._write(lambda key: proto.delete_request(path, oid, key=key, context=params))
        if self._log is not None:
            self._log.deleted(reply.status_code, official, env.errors)
        if env.errors and raise_on_error:
            raise RallyRESTAPIError(f"Unable to delete the {official}: {env.errors[0]}", errors=env.errors,
                                    warnings=env.warnings)
        return not env.errors

    delete = operation(_delete)
