"""Upstream's module-level batch API (``pyral.multiop``) over a ``Rally`` instance.

``createMultiple(rally, ...)`` and ``updateMultiple(rally, ...)`` are the methods of the same
name; :func:`batchPacker` builds upstream's ``{"Batch": [...]}`` body (no I/O).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ITEM_TYPE_INCONSISTENCY_ERROR = "All items must be consistent, ie., all dicts or all data-like instances"


def createMultiple(self: Any, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                   workspace: Any = "current", project: Any = "current", **kwargs: Any) -> Any:
    """``self.createMultiple(...)``: ``self`` is the ``Rally`` instance, as in upstream."""
    return self.createMultiple(entityName, items, fields, workspace, project, **kwargs)


def updateMultiple(self: Any, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                   workspace: Any = "current", project: Any = "current", **kwargs: Any) -> Any:
    """``self.updateMultiple(...)``: ``self`` is the ``Rally`` instance, as in upstream."""
    return self.updateMultiple(entityName, items, fields, workspace, project, **kwargs)


def batchPacker(entity_name: str, operation: str, items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"Batch": [{"Entry": {"Path", "Method", "Body"}}, ...]}`` for ``create`` or ``update``.

    Update items name their object by ``ObjectID`` (moved from the body into the path).
    The items are not changed (upstream deleted ``ObjectID`` from the caller's dicts).
    """
    kind = entity_name.lower()
    entries = []
    for item in items:
        body = dict(item)
        if operation == "create":
            path, method = f"/{kind}/create", "PUT"
        else:
            path, method = f"/{kind}/{body.pop('ObjectID')}", "POST"
        entries.append({"Entry": {"Path": path, "Method": method, "Body": {kind: body}}})
    return {"Batch": entries}
