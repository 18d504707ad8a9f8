"""Batch writes: ``createMultiple``/``updateMultiple`` in ``POST batch`` requests."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from .. import protocol as proto
from ..errors import (
    MultipleOperationError,
)
from ..model.entities import (
    Persistable,
)
from ..protocol import Envelope
from .attachments import Attachments
from .writes import _READ_ONLY_KEYS


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
        raise MultipleOperationError("All items must be consistent, ie., all dicts or all data-like "
                                     "instances")

    def _batch(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None,
               update: bool, raise_on_error: bool) -> BatchResults:
        official = self._official_name(entityName)
        schema_item = self._schema().find(official)
        kinds = {isinstance(i, Mapping) for i in items}
        if len(kinds) > 1:
            raise MultipleOperationError("All items must be consistent, ie., all dicts or all "
                                         "data-like instances")
        path = self._entity_path(official)
        results = BatchResults()
        prepared = [self._batch_item(item, fields) for item in items]
        idents: list[dict[str, Any]] = []
        if update:
            for data, _ in prepared:
                idents.append({k.lower(): data.pop(k) for k in list(data) if k.lower() in _READ_ONLY_KEYS})
            oids = self._oids_for_formatted_ids(official, [str(i["formattedid"]) for i in idents
                                                           if not i.get("objectid") and i.get("formattedid")])
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

        def send(chunk: list[tuple[int, dict[str, Any]]]) -> Envelope:
            return self._write(lambda key: proto.batch_request(
                [entry for _, entry in chunk], key=key, context=params))[1]

        if len(chunks) > 1:  # several batches go out together (at most 12 requests in flight)
            self.obtainSecurityToken()
            envelopes = list(self._page_executor().map(send, chunks))
        else:
            envelopes = [send(chunk) for chunk in chunks]
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

    def createMultiple(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                       workspace: Any = "current", project: Any = "current", *,
                       raise_on_error: bool = False, **kwargs: Any) -> BatchResults:
        """Create many objects in ``POST batch`` requests.

        Returns upstream's list of ``{_ref, ObjectID, FormattedID, Name}`` dicts for the items
        created; rejected items are in ``.failures`` (or raised with ``raise_on_error=True``).
        """
        return self._batch(entityName, items, fields, update=False, raise_on_error=raise_on_error)

    def updateMultiple(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                       workspace: Any = "current", project: Any = "current", *,
                       raise_on_error: bool = False, **kwargs: Any) -> BatchResults:
        """Update many objects in ``POST batch`` requests (see :meth:`createMultiple`)."""
        return self._batch(entityName, items, fields, update=True, raise_on_error=raise_on_error)
