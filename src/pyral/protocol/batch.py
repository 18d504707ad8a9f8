"""Batch writes: entries, chunking into ``POST batch`` requests, and reading their results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .envelope import Envelope
from .requests import oid_from_ref


def batch_entry(path: str, body: dict[str, Any], oid: Any = None) -> dict[str, Any]:
    """A create entry (``oid`` None: ``PUT /<type>/create``) or an update entry (``POST /<type>/<oid>``)."""
    if oid is None:
        return {"Path": f"/{path}/create", "Method": "PUT", "Body": {path: body}}
    return {"Path": f"/{path}/{oid}", "Method": "POST", "Body": {path: body}}


def batch_context(workspace_ref: str | None, project_ref: str | None) -> list[tuple[str, str]]:
    """The ``workspace``/``project`` params of a batch request (leading ``/``, no scoping flags)."""
    params = [("workspace", f"/{workspace_ref}")] if workspace_ref else []
    if project_ref:
        params.append(("project", f"/{project_ref}"))
    return params


BATCH_MAX_ENTRIES = 1000  # per ``POST batch``; Rally documents no limit, see docs/emulator.md
BATCH_CONCURRENCY = 4  # batches of one call in flight at once: a queue of writes must not outwait the timeout


def batch_chunks(count: int, size: int = BATCH_MAX_ENTRIES) -> list[range]:
    """Index ranges splitting ``count`` batch entries into the fewest batches of at most
    ``size`` entries, of nearly equal length (so concurrent batches finish together)."""
    if count <= 0:
        return []
    batches = -(-count // max(1, size))
    step, extra = divmod(count, batches)
    out, start = [], 0
    for i in range(batches):
        end = start + step + (1 if i < extra else 0)
        out.append(range(start, end))
        start = end
    return out


def chunks(entries: Sequence[tuple[int, dict[str, Any]]],
           size: int = BATCH_MAX_ENTRIES) -> list[list[tuple[int, dict[str, Any]]]]:
    """``(index, entry)`` pairs split as :func:`batch_chunks` says, in order."""
    return [list(entries[r.start:r.stop]) for r in batch_chunks(len(entries), size)]


def chunk_outcome(chunk: Sequence[tuple[int, Any]], env: Envelope
                  ) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, list[str]]]]:
    """(successes as ``(index, {_ref, ObjectID, FormattedID, Name})``, failures as ``(index, errors)``)."""
    if env.errors:
        return [], [(idx, list(env.errors)) for idx, _ in chunk]
    done: list[tuple[int, dict[str, Any]]] = []
    failed: list[tuple[int, list[str]]] = []
    for (idx, _), res in zip(chunk, env.results):
        errs = list(res.get("Errors") or []) if isinstance(res, dict) else ["no result"]
        obj = res.get("Object") if isinstance(res, dict) else None
        if errs or not isinstance(obj, dict):
            failed.append((idx, errs or ["no object"]))
            continue
        done.append((idx, {"_ref": obj.get("_ref"),
                           "ObjectID": str(obj.get("ObjectID") or oid_from_ref(obj.get("_ref", ""))),
                           "FormattedID": obj.get("FormattedID"),
                           "Name": obj.get("_refObjectName") or obj.get("Name")}))
    failed.extend((idx, ["no result returned"]) for idx, _ in chunk[len(env.results):])
    return done, failed


def batchPacker(entity_name: str, operation: str, items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Upstream's ``{"Batch": [{"Entry": {"Path", "Method", "Body"}}, ...]}`` for ``create`` or ``update``.

    Update items name their object by ``ObjectID`` (moved from the body into the path).
    The items are not changed (upstream deleted ``ObjectID`` from the caller's dicts).
    """
    kind = entity_name.lower()
    entries = []
    for item in items:
        body = dict(item)
        oid = None if operation == "create" else body.pop("ObjectID")
        entries.append({"Entry": batch_entry(kind, body, oid)})
    return {"Batch": entries}
