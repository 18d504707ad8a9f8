"""Sans-I/O core of the Lookback API (LBAPI) client: requests, envelopes, paging plan.

Nothing here touches a socket.  :func:`lookback_request` builds the ``POST
.../workspace/<oid>/artifact/snapshot/query.js`` request (a read, so it may be retried);
:func:`parse_lookback` turns status + decoded body into a :class:`LookbackPage` or raises the
client's exception with Rally's texts; :func:`page_starts` and :func:`page_request` plan the
further pages of a result.  The sync ``Rally`` and a future async client share all of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..errors import RallyAuthError, RallyLookbackError, RallyQuerySyntaxError, RallyResponseError
from .requests import Request, checked_int

MAX_PAGESIZE = 20000
FIELDS_TRUE_PAGESIZE = 100
DEFAULT_PAGESIZE = 2000
END_OF_TIME = "9999-01-01T00:00:00.000Z"

FieldList = bool | str | Sequence[str] | None


@dataclass(frozen=True)
class LookbackQuery:
    """The parameters of one Lookback query, validated and in wire form (JSON values)."""

    workspace_oid: int | str
    find: dict[str, Any]
    fields: Any = None
    hydrate: list[str] | None = None
    sort: dict[str, int] | None = None
    start: int = 0
    pagesize: int = DEFAULT_PAGESIZE
    compress: bool = False
    remove_unauthorized: bool = True

    def body(self) -> dict[str, Any]:
        """The JSON body Rally documents (MAN): only the parameters that are set."""
        body: dict[str, Any] = {"find": self.find}
        if self.fields is not None:
            body["fields"] = self.fields
        if self.hydrate:
            body["hydrate"] = self.hydrate
        if self.sort:
            body["sort"] = self.sort
        body["start"] = self.start
        body["pagesize"] = self.pagesize
        if self.compress:
            body["compress"] = True
        if self.remove_unauthorized:
            body["removeUnauthorizedSnapshots"] = True
        return body


@dataclass
class LookbackPage:
    """One parsed Lookback answer (the flat LBAPI envelope)."""

    results: list[dict[str, Any]]
    total: int
    start: int
    page_size: int
    has_more: bool
    etl_date: str | None = None
    compressed_count: int | None = None
    warnings: list[str] = field(default_factory=list)
    generated_query: Any = None


# --------------------------------------------------------------------------------------------
# values


def iso(value: datetime | date | str) -> str:
    """ISO 8601 UTC with milliseconds (Rally's form); a ``date`` is its midnight UTC; text passes."""
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def end_of_day(day: date) -> str:
    """The instant that ends ``day`` in UTC (midnight of the next day; DRAFT's convention)."""
    return iso(day + timedelta(days=1))


def parse_time(text: str) -> datetime:
    """An LBAPI timestamp (``2024-03-01T10:00:00.000Z``) as an aware UTC datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _wire(value: Any) -> Any:
    """``value`` with datetimes and dates as ISO text, tuples and sets as lists (JSON-ready)."""
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): _wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_wire(v) for v in value]
    return value


def checked_find(find: Any) -> dict[str, Any]:
    """``find`` as a JSON object: a mapping, or JSON text (bad JSON → :class:`RallyQuerySyntaxError`)."""
    if isinstance(find, str | bytes):
        try:
            find = json.loads(find)
        except ValueError as exc:
            raise RallyQuerySyntaxError(f"find is not valid JSON: {exc}") from exc
    if not isinstance(find, Mapping):
        raise RallyQuerySyntaxError(f"find must be a JSON object, not {type(find).__name__}")
    return _wire(find)  # type: ignore[no-any-return]


def _names(value: Any, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        names = [n.strip() for n in value.split(",")]
    elif isinstance(value, Sequence) and all(isinstance(n, str) for n in value):
        names = [n.strip() for n in value]
    else:
        raise ValueError(f"{what} must be a list of field names or 'a,b,c' text, not {value!r}")
    return [n for n in names if n]


def checked_fields(fields: FieldList) -> Any:
    """``fields`` in wire form: None (server default), ``True`` (every field) or a list of names."""
    if fields is True:
        return True
    if fields is False:
        return None
    return _names(fields, "fields")


def checked_sort(sort: Any) -> dict[str, int] | None:
    """``{"Field": 1|-1}`` from a mapping or ``"Field"``/``"-Field"`` text (several comma-separated)."""
    if sort is None:
        return None
    if isinstance(sort, str):
        out: dict[str, int] = {}
        for name in (n.strip() for n in sort.split(",")):
            if name:
                out[name.lstrip("-+")] = -1 if name.startswith("-") else 1
        return out or None
    if isinstance(sort, Mapping):
        out = {}
        for key, direction in sort.items():
            if direction not in (1, -1) or isinstance(direction, bool):
                raise ValueError(f"sort direction of {key!r} must be 1 or -1, not {direction!r}")
            out[str(key)] = int(direction)
        return out
    raise ValueError(f"sort must be a mapping like {{'_ValidFrom': 1}} or a field name, not {sort!r}")


def _checked_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool):  # a flag passed where a count belongs is a mistake, not 0 or 1
        raise ValueError(f"{name} must be an integer, not {value!r}")
    return checked_int(name, value, minimum)


def build_query(workspace_oid: int | str, find: Any, *, fields: FieldList = None,
                hydrate: FieldList = None, sort: Any = None, start: Any = 0, pagesize: Any = None,
                limit: int | None = None, compress: bool = False,
                remove_unauthorized: bool = True) -> LookbackQuery:
    """Validate the arguments of ``Rally.lookback`` into a :class:`LookbackQuery`.

    ``pagesize`` defaults to 2000 and is capped at 20000 (100 with ``fields=True``, where Rally
    caps it too); with a ``limit`` smaller than a page, one page of ``limit`` is asked for.
    """
    wire_fields = checked_fields(fields)
    size = DEFAULT_PAGESIZE if pagesize is None else _checked_int("pagesize", pagesize, 1)
    size = min(size, FIELDS_TRUE_PAGESIZE if wire_fields is True else MAX_PAGESIZE)
    if limit is not None:
        size = max(1, min(size, _checked_int("limit", limit, 0)))
    return LookbackQuery(workspace_oid=workspace_oid, find=checked_find(find), fields=wire_fields,
                         hydrate=_names(hydrate, "hydrate"), sort=checked_sort(sort),
                         start=_checked_int("start", start, 0), pagesize=size,
                         compress=bool(compress), remove_unauthorized=bool(remove_unauthorized))


# --------------------------------------------------------------------------------------------
# requests


def snapshot_path(workspace_oid: int | str) -> str:
    """The query path under the analytics service root."""
    return f"workspace/{workspace_oid}/artifact/snapshot/query.js"


def lookback_request(query: LookbackQuery) -> Request:
    """``POST analytics/v2.0/service/rally/workspace/<oid>/artifact/snapshot/query.js``.

    POST keeps long ``find`` clauses out of the URL; the service is ``analytics``, whose
    requests are reads and so may be retried like GETs.
    """
    return Request("POST", snapshot_path(query.workspace_oid), (), query.body(), service="analytics")


def bounded_find(find: Mapping[str, Any], etl_date: str) -> dict[str, Any]:
    """``find`` restricted to snapshots that existed at ``etl_date`` (a consistent multi-page read)."""
    bound = {"_ValidFrom": {"$lte": etl_date}}
    if "_ValidFrom" not in find:
        return {**find, **bound}
    return {"$and": [dict(find), bound]}


def page_request(query: LookbackQuery, start: int, etl_date: str | None) -> Request:
    """The request for the page at 0-based ``start``, pinned to the first page's ``ETLDate``."""
    find = bounded_find(query.find, etl_date) if etl_date else query.find
    return lookback_request(replace(query, find=find, start=start))


def page_starts(query: LookbackQuery, first: LookbackPage, limit: int | None) -> list[int]:
    """Starts of the pages still to fetch after ``first``.

    Pages cut the uncompressed list (``TotalResultCount`` counts before compression), so every
    start up to the total is planned; without compression a ``limit`` ends the plan early.
    """
    if not first.has_more:
        return []
    size = first.page_size or query.pagesize
    end = first.total
    if limit is not None and not query.compress:
        end = min(end, query.start + limit)
    return list(range(first.start + size, end, size))


# --------------------------------------------------------------------------------------------
# answers


def _messages(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_lookback(status: int, body: Any, text: str = "") -> LookbackPage:
    """Interpret one Lookback answer: a page, or the client's exception with Rally's texts.

    401 → :class:`RallyAuthError`; any other non-200 status, or a body whose ``Errors`` is
    not empty → :class:`RallyLookbackError` (``errors``, ``warnings``, ``status_code`` set);
    a body that is not the LBAPI envelope → :class:`RallyResponseError`.
    """
    envelope = body if isinstance(body, dict) else None
    errors = _messages(envelope.get("Errors")) if envelope else []
    warnings = _messages(envelope.get("Warnings")) if envelope else []
    if status == 401:
        raise RallyAuthError(errors[0] if errors else "Invalid credentials", errors=errors, status_code=401)
    if status != 200 or errors:
        if not errors:
            shown = " ".join(text.split())[:300]
            errors = [f"HTTP {status}" + (f": {shown}" if shown else "")]
        raise RallyLookbackError(f"Lookback query failed ({status}): {'; '.join(errors)}",
                                 errors=errors, warnings=warnings, status_code=status)
    if envelope is None or not isinstance(envelope.get("Results"), list):
        raise RallyResponseError(f"Response is not a Lookback API envelope: {str(body)[:120]}",
                                 status_code=status)
    results = [r for r in envelope["Results"] if isinstance(r, dict)]
    compressed = envelope.get("CompressedResultCount")
    start = _int(envelope.get("StartIndex"))
    total = _int(envelope.get("TotalResultCount"), len(results))
    page_size = _int(envelope.get("PageSize"), len(results))
    has_more = envelope.get("HasMore")
    return LookbackPage(results=results, total=total, start=start, page_size=page_size,
                        has_more=bool(has_more) if has_more is not None else start + page_size < total,
                        etl_date=envelope.get("ETLDate") or None,
                        compressed_count=_int(compressed) if compressed is not None else None,
                        warnings=warnings, generated_query=envelope.get("GeneratedQuery"))


# --------------------------------------------------------------------------------------------
# the common questions as finds


def at_find(find: Any, when: datetime | date | str) -> dict[str, Any]:
    """``find`` + ``__At``: the state at ``when`` (a ``date`` means the end of that day, UTC;
    ``"current"`` the current state)."""
    base = checked_find(find if find is not None else {})
    if isinstance(when, date) and not isinstance(when, datetime):
        moment = end_of_day(when)
    elif isinstance(when, datetime):
        moment = iso(when)
    elif isinstance(when, str) and when.strip():
        moment = when.strip()
    else:
        raise ValueError(f"when must be a datetime, a date, ISO text or 'current', not {when!r}")
    return {**base, "__At": moment}


def transitions_find(find: Any, field_name: str, since: datetime | date | str,
                     until: datetime | date | str, *, to_value: Any = None,
                     from_value: Any = None) -> dict[str, Any]:
    """``find`` restricted to snapshots in ``[since, until)`` that changed ``field_name``."""
    if not isinstance(field_name, str) or not field_name.strip() or "." in field_name:
        raise ValueError(f"field must be one field name, not {field_name!r}")
    base = checked_find(find if find is not None else {})
    out = {**base, f"_PreviousValues.{field_name}": {"$exists": True},
           "_ValidFrom": {"$gte": iso(since), "$lt": iso(until)}}
    if to_value is not None:
        out[field_name] = _wire(to_value)
    if from_value is not None:
        out[f"_PreviousValues.{field_name}"] = _wire(from_value)
    return out
