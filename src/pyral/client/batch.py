"""Batch writes: ``createMultiple``/``updateMultiple`` in ``POST batch`` requests."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence, Set
from typing import Any

from .. import protocol as proto
from ..errors import (
    MultipleOperationError,
)
from ..model.entities import (
    Persistable,
)
from ..model.schema import SchemaItem
from ..protocol import Envelope
from ..protocol.batch_attributes import all_builtin
from .attachments import Attachments
from .operation import Op, gather, operation
from .writes import _READ_ONLY_KEYS

# What a batch needs of its type: the TypeDefinition's names and Attributes collection, and each
# attribute's names (SchemaItem.attribute matches ElementName, ``c_``, case, display name).
_TYPE_FETCH = "ElementName,Name,DisplayName,TypePath,IDPrefix,Attributes"
_ATTRIBUTE_FETCH = "ElementName,Name,AttributeType,Custom,ReadOnly,Required"

ITEM_TYPE_INCONSISTENCY_ERROR = "All items must be consistent, ie., all dicts or all data-like instances"


class BatchResults(list):  # type: ignore[type-arg]
    """Successful items of a batch (upstream's list of dicts) plus ``failures``.

    ``failures`` is a list of ``(index, item, errors)`` for items Rally rejected.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[tuple[int, Any, list[str]]] = []
        self.warnings: list[str] = []



class Batch(Attachments):
    """Batch writes: ``createMultiple``/``updateMultiple`` in ``POST batch`` requests."""

    def _batch_item(self, item: Any, fields: Sequence[str] | None) -> tuple[dict[str, Any], bool]:
        """(payload dict, came_from_instance)."""
        if isinstance(item, Mapping):
            return dict(item), False
        if isinstance(item, Persistable):
            names = list(fields) if fields else [k for k in item.__dict__
                                                 if not k.startswith("_") and k not in ("oid", "Name")]
            data = {n: item.__dict__[n] for n in names if n in item.__dict__}
            data["ObjectID"] = item.oid
            return data, True
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item), True
        raise MultipleOperationError(ITEM_TYPE_INCONSISTENCY_ERROR)

    def _batch(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None,
               update: bool, raise_on_error: bool) -> Op[BatchResults]:
        official = yield from self._with_loads(lambda: self._official_name(entityName))
        kinds = {isinstance(i, Mapping) for i in items}
        if len(kinds) > 1:
            raise MultipleOperationError(ITEM_TYPE_INCONSISTENCY_ERROR)
        path = self._entity_path(official)
        results = BatchResults()
        prepared = [self._batch_item(item, fields) for item in items]
        idents: list[dict[str, Any]] = []
        if update:
            for data, _ in prepared:
                idents.append({k.lower(): data.pop(k) for k in list(data) if k.lower() in _READ_ONLY_KEYS})
            oids = yield from self._oids_for_formatted_ids(official, [str(i["formattedid"]) for i in idents
                                                           if not i.get("objectid") and i.get("formattedid")])
        schema_item = yield from self._batch_type(official, {key for data, _ in prepared for key in data})
        # (index in items, batch entry); items refused before sending go straight to failures.
        entries: list[tuple[int, dict[str, Any]]] = []
        for idx, (data, from_instance) in enumerate(prepared):
            problems: list[str] = []
            oid = None
            if update:
                ident = idents[idx]
                oid = ident.get("objectid") or oids.get(str(ident.get("formattedid") or "").upper())
                if not oid:
                    problems.append(f"{official} {ident['formattedid']} could not be located"
                                    if ident.get("formattedid") else "no ObjectID or FormattedID")
            body: dict[str, Any] = {}
            for key, value in data.items():
                attr = schema_item.attribute(key) if schema_item else None
                if attr is None and schema_item is not None:
                    if from_instance:
                        continue  # client-side field of a data class (e.g. ``oid``)
                    problems.append(f"unknown attribute {key}")
                    continue
                body[attr.ElementName if attr else key] = value
            if problems:
                results.failures.append((idx, items[idx], problems))
                continue
            body = self._grease(body)
            entries.append((idx, proto.batch_entry(path, body, oid if update else None)))
        params = proto.batch_context(self.contextHelper.currentWorkspaceRef(),
                                     self.contextHelper.currentProjectRef())
        chunks = proto.chunks(entries)
        envelopes = yield from self._send_batches(chunks, params)
        for chunk, env in zip(chunks, envelopes, strict=True):
            results.warnings.extend(env.warnings)
            done, failed = proto.chunk_outcome(chunk, env)
            results.extend(summary for _, summary in done)
            results.failures.extend((idx, items[idx], errs) for idx, errs in failed)
        results.failures.sort(key=lambda failure: failure[0])
        if raise_on_error and results.failures:
            raise MultipleOperationError(
                f"{len(results.failures)} of {len(items)} batch items failed: "
                + "; ".join(f"item {i}: {e[0] if e else '?'}" for i, _, e in results.failures),
                errors=[e for _, _, errs in results.failures for e in errs])
        return results

    def _send_batches(self, chunks: list[list[tuple[int, dict[str, Any]]]],
                      params: list[tuple[str, str]]) -> Op[list[Envelope]]:
        """One ``POST batch`` per chunk, sent together (at most ``BATCH_CONCURRENCY`` in flight: a queue
        of concurrent writes must not outwait the request timeout); a stale security
        token is refreshed once and the refused batches sent again (see the protocol's rule)."""
        envelopes: list[Envelope | None] = [None] * len(chunks)
        todo = list(range(len(chunks)))
        for attempt in (0, 1):
            key = yield from self._obtain_security_token(refresh=attempt == 1)
            requests = [proto.batch_request([entry for _, entry in chunks[i]], key=key, context=params)
                        for i in todo]
            replies = yield from gather(requests, proto.BATCH_CONCURRENCY)
            for i, reply in zip(todo, replies, strict=True):
                envelopes[i] = proto.expect_envelope(reply)
            todo = [i for i in todo if proto.retry_with_new_token(
                envelopes[i].errors, attempt=attempt, uses_api_key=bool(self.apikey))]  # type: ignore[union-attr]
            if not todo:
                break
        return [env for env in envelopes if env is not None]

    def _batch_type(self, official: str, names: Set[str]) -> Op[SchemaItem | None]:
        """The type's schema item to check the items' attribute ``names`` against, or None when
        they need no check: all are, exactly, long-standing built-ins of the type
        (:mod:`pyral.protocol.batch_attributes`) and this instance holds no schema to check with.

        Else from the workspace schema when this instance already holds it, else from two small
        reads (the TypeDefinition and its ``Attributes``' names; WSAPI cannot answer both in one:
        AttributeDefinition is not queryable), kept per instance.  The whole workspace schema is
        megabytes that the server renders and the client parses (docs/performance.md, batch writes).
        """
        ws_ref = self.contextHelper.currentWorkspaceRef()
        ws_oid = self._ws_oid(ws_ref)
        schema = self._schemas.cached(ws_oid)
        if schema is not None:
            return schema.find(official)
        key = (ws_oid, official.lower())
        item = self._batch_types.get(key)
        if item is None and all_builtin(official, names):
            return None
        if item is None:
            req = proto.query_request("typedefinition", fetch=_TYPE_FETCH, query=f'(TypePath = "{official}")',
                                      context=proto.context_params(ws_ref, None), pagesize=2, start=1)
            found = yield from self._fetch_all_raw(req, False)
            attrs_ref = (found[0].get("Attributes") or {}).get("_ref") if found else None
            if not attrs_ref:  # not a TypePath this workspace knows: the whole schema decides
                return (yield from self._with_loads(lambda: self._schema(ws_ref).find(official)))
            attrs = yield from self._fetch_all_raw(
                proto.collection_request(proto.ref_path(attrs_ref), fetch=_ATTRIBUTE_FETCH), True)
            item = SchemaItem({**found[0], "Attributes": attrs})
            self._batch_types[key] = item
        return item

    def _create_multiple(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                         workspace: Any = "current", project: Any = "current", *,
                         raise_on_error: bool = False, **kwargs: Any) -> Op[BatchResults]:
        """Create many objects in ``POST batch`` requests.

        Returns upstream's list of ``{_ref, ObjectID, FormattedID, Name}`` dicts for the items
        created; rejected items are in ``.failures`` (or raised with ``raise_on_error=True``).
        """
        return (yield from self._batch(entityName, items, fields, update=False, raise_on_error=raise_on_error))

    createMultiple = operation(_create_multiple)

    def _update_multiple(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                         workspace: Any = "current", project: Any = "current", *,
                         raise_on_error: bool = False, **kwargs: Any) -> Op[BatchResults]:
        """Update many objects in ``POST batch`` requests (see :meth:`createMultiple`)."""
        return (yield from self._batch(entityName, items, fields, update=True, raise_on_error=raise_on_error))

    updateMultiple = operation(_update_multiple)


def createMultiple(self: Any, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                   workspace: Any = "current", project: Any = "current", **kwargs: Any) -> Any:
    """Upstream's ``pyral.multiop.createMultiple(rally, ...)``: ``self`` is the ``Rally`` instance."""
    return self.createMultiple(entityName, items, fields, workspace, project, **kwargs)


def updateMultiple(self: Any, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                   workspace: Any = "current", project: Any = "current", **kwargs: Any) -> Any:
    """Upstream's ``pyral.multiop.updateMultiple(rally, ...)``: ``self`` is the ``Rally`` instance."""
    return self.updateMultiple(entityName, items, fields, workspace, project, **kwargs)
