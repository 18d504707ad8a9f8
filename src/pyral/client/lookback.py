"""Rally's Lookback API on ``Rally``: snapshots, paged results and the common questions.

``rally.lookback(find, ...)`` sends the query built by :mod:`pyral.protocol.lookback` and
returns a :class:`LookbackResult`: an iterator of :class:`Snapshot` objects whose later pages
are fetched concurrently by the same machinery as ``Rally.get`` (the instance's page pool).
``lookback_at`` answers "what did these items look like at a date", ``lookback_transitions``
"when did this field change, from what to what".  ``to_dataframe()`` needs the optional
``pandas`` extra.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..errors import RallyContextError
from ..protocol import concurrency, is_oid, oid_from_ref
from ..protocol import lookback as lbp
from .response import ordered_pages

if TYPE_CHECKING:  # pragma: no cover
    from ..protocol import Request
    from ..transport import HTTPResponse
    from .workspaces import RallyContextHelper

__all__ = ["LookbackResult", "Record", "Snapshot", "Transition"]

_PANDAS_MISSING = "to_dataframe() needs pandas, an optional extra: pip install 'pyral[pandas]'"


class Record:
    """Attribute access over a dict of Lookback values; ``.data`` is the raw dict.

    ``rec.Name`` and ``rec["Name"]`` read a field; nested objects (``_PreviousValues``, a
    hydrated ``Project``) come back as records for attribute access and as dicts for ``[]``;
    ``rec["_PreviousValues.ScheduleState"]`` reads through the dot.
    """

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data: dict[str, Any] = dict(data)

    def __getattr__(self, name: str) -> Any:
        if name == "data" or name.startswith("__"):
            raise AttributeError(name)
        try:
            value = self[name]
        except KeyError:
            fields = ", ".join(self.data) or "none"
            raise AttributeError(f"{type(self).__name__} has no field {name!r} (fields: {fields})") from None
        return Record(value) if isinstance(value, dict) else value

    def __getitem__(self, name: str) -> Any:
        if name in self.data:
            return self.data[name]
        head, dot, rest = name.partition(".")
        inner = self.data.get(head)
        if dot and isinstance(inner, dict):
            return Record(inner)[rest]
        raise KeyError(name)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name`` (dotted paths allowed), or ``default``."""
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name, _MISSING) is not _MISSING

    def keys(self) -> list[str]:
        """The field names present."""
        return list(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and other.data == self.data

    __hash__ = None  # type: ignore[assignment]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {k for k in self.data if k.isidentifier()})

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in list(self.data.items())[:6])
        more = ", ..." if len(self.data) > 6 else ""
        return f"{type(self).__name__}({shown}{more})"


_MISSING = object()


class Snapshot(Record):
    """One Lookback snapshot: the values an artifact held during ``[_ValidFrom, _ValidTo)``."""

    __slots__ = ()

    @property
    def valid_from(self) -> datetime | None:
        """``_ValidFrom`` as an aware UTC datetime (None if the field was not requested)."""
        text = self.data.get("_ValidFrom")
        return lbp.parse_time(text) if isinstance(text, str) else None

    @property
    def valid_to(self) -> datetime | None:
        """``_ValidTo`` as an aware UTC datetime; None for the current snapshot (9999-01-01)."""
        text = self.data.get("_ValidTo")
        if not isinstance(text, str) or text.startswith("9999"):
            return None
        return lbp.parse_time(text)


@dataclass(frozen=True)
class Transition:
    """A change of one field of one artifact: ``before`` → ``after`` at ``at`` by ``user``."""

    object_id: Any
    field: str
    before: Any
    after: Any
    at: datetime
    user: Any
    snapshot: Snapshot


class LookbackResult:
    """The snapshots of a Lookback query, page after page (one pass, like ``Rally.get``'s result).

    ``resultCount`` is Rally's ``TotalResultCount`` (counted before compression);
    ``compressedResultCount``, ``warnings``, ``etl_date`` and ``generated_query`` come from
    the first page.  Further pages are fetched on demand, several at once, pinned to the first
    page's ``ETLDate`` so that writes made meanwhile do not shift them.
    """

    def __init__(self, query: lbp.LookbackQuery, first: lbp.LookbackPage, *,
                 fetch: Callable[[Request], lbp.LookbackPage],
                 executor: Callable[[], Executor] | None, limit: int | None = None,
                 threads: int | None = None) -> None:
        self.query = query
        self.resultCount = first.total
        self.compressedResultCount = first.compressed_count
        self.startIndex = first.start
        self.pageSize = first.page_size
        self.warnings = list(first.warnings)
        self.etl_date = first.etl_date
        self.generated_query = first.generated_query
        self.errors: list[str] = []
        self.max_threads = 1
        self._first = first
        self._fetch = fetch
        self._executor = executor
        self._limit = limit
        self._threads = threads
        self._iter: Iterator[Snapshot] | None = None

    def _load(self, start: int) -> list[dict[str, Any]]:
        page = self._fetch(lbp.page_request(self.query, start, self.etl_date))
        return page.results

    def _generate(self) -> Iterator[Snapshot]:
        served = 0
        limit = self._limit
        starts = lbp.page_starts(self.query, self._first, limit)
        workers = concurrency(self._threads, len(starts)) if self._executor is not None else 1
        self.max_threads = workers
        pages: Iterator[list[dict[str, Any]]] = iter([self._first.results])
        if starts:
            rest = (ordered_pages(self._executor(), self._load, starts, workers)
                    if self._executor is not None and workers > 1 else (self._load(s) for s in starts))
            pages = itertools.chain(pages, rest)
        for page in pages:
            for raw in page:
                if limit is not None and served >= limit:
                    return
                served += 1
                yield Snapshot(raw)

    def __iter__(self) -> LookbackResult:
        return self

    def __next__(self) -> Snapshot:
        if self._iter is None:
            self._iter = self._generate()
        return next(self._iter)

    def all(self) -> list[Snapshot]:
        """Every (remaining) snapshot as a list."""
        return list(self)

    def to_dataframe(self) -> Any:
        """The (remaining) snapshots as a pandas DataFrame, nested objects flattened to dotted
        columns (``_PreviousValues.ScheduleState``); ``_ValidFrom``/``_ValidTo`` stay ISO text."""
        try:
            import pandas
        except ImportError as exc:
            raise ImportError(_PANDAS_MISSING) from exc
        return pandas.json_normalize([s.data for s in self])

    def __repr__(self) -> str:
        return (f"<LookbackResult resultCount={self.resultCount} startIndex={self.startIndex} "
                f"pageSize={self.pageSize}>")


class LookbackMixin:
    """``Rally``'s Lookback methods (they only move bytes; the protocol module decides)."""

    if TYPE_CHECKING:  # pragma: no cover
        contextHelper: RallyContextHelper

        def _send(self, req: Request, *, log: bool = True) -> HTTPResponse: ...

        def _page_executor(self) -> Executor: ...

    def _lookback_workspace(self, workspace: Any) -> int | str:
        """The OID of ``workspace``: ``"current"``, an OID, a ``workspace/<oid>`` ref or a name."""
        if workspace in (None, "current", "default"):
            ref = self.contextHelper.currentWorkspaceRef()
            if not ref:
                raise RallyContextError("No current workspace")
            return oid_from_ref(ref)
        if is_oid(workspace):
            return int(workspace)
        text = str(workspace)
        if "workspace/" in text:
            return oid_from_ref(text)
        found = self.contextHelper.find_workspace(text)
        if found is None:
            raise RallyContextError(f'Workspace specified: "{text}" not accessible with current credentials')
        return oid_from_ref(found.ref)

    def _lookback_page(self, req: Request) -> lbp.LookbackPage:
        http = self._send(req)
        try:
            body = http.json()
        except Exception:  # a non-JSON error page; its status decides
            body = None
        return lbp.parse_lookback(http.status_code, body, http.text if body is None else "")

    def lookback(self, find: Any, fields: lbp.FieldList = None, hydrate: lbp.FieldList = None,
                 sort: Any = None, start: int = 0, pagesize: int | None = None, limit: int | None = None,
                 compress: bool = False, workspace: Any = "current", *,
                 remove_unauthorized: bool = True, threads: int | None = None) -> LookbackResult:
        """Query snapshots of the Lookback API (``find`` is a Mongo-style dict or JSON text).

        ``fields``: names, ``True`` for all, None for Rally's default; ``hydrate``: fields to
        turn from OIDs into names; ``sort``: ``{"_ValidFrom": 1}`` or ``"-_ValidFrom"``;
        ``start`` is 0-based; ``limit`` caps the snapshots returned.  Snapshots in projects the
        user cannot read are dropped (``removeUnauthorizedSnapshots``) unless
        ``remove_unauthorized=False``.  ``threads``: pages fetched at once, as for ``Rally.get``
        (default: 4 when more than two pages remain).  Rally's errors raise :class:`RallyLookbackError`.
        """
        query = lbp.build_query(self._lookback_workspace(workspace), find, fields=fields,
                                hydrate=hydrate, sort=sort, start=start, pagesize=pagesize, limit=limit,
                                compress=compress, remove_unauthorized=remove_unauthorized)
        first = self._lookback_page(lbp.lookback_request(query))
        return LookbackResult(query, first, fetch=self._lookback_page, executor=self._page_executor,
                              limit=limit, threads=threads)

    def lookback_at(self, when: datetime | date | str, find: Any = None, fields: lbp.FieldList = None,
                    hydrate: lbp.FieldList = None, **kwargs: Any) -> LookbackResult:
        """The snapshots valid at ``when`` (``__At``): a datetime, a ``date`` (its end, UTC),
        ISO text or ``"current"``; other keywords as :meth:`lookback`."""
        return self.lookback(lbp.at_find(find, when), fields=fields, hydrate=hydrate, **kwargs)

    def lookback_transitions(self, field: str, since: datetime | date | str, until: datetime | date | str,
                             find: Any = None, *, to_value: Any = None, from_value: Any = None,
                             hydrate: bool = True, workspace: Any = "current") -> list[Transition]:
        """Every change of ``field`` in ``[since, until)`` on the items ``find`` selects, oldest
        first (a creation counts, from ``None``); ``to_value``/``from_value`` narrow it down.
        ``hydrate`` asks Rally for names instead of OIDs (drop-downs, references)."""
        prev = f"_PreviousValues.{field}"
        result = self.lookback(
            lbp.transitions_find(find, field, since, until, to_value=to_value, from_value=from_value),
            fields=["ObjectID", "_UnformattedID", field, prev, "_ValidFrom", "_User", "_SnapshotNumber"],
            hydrate=[field, prev] if hydrate else None, sort={"_ValidFrom": 1}, workspace=workspace)
        out = [Transition(object_id=s.get("ObjectID"), field=field, before=s.get(prev), after=s.get(field),
                          at=at, user=s.get("_User"), snapshot=s)
               for s in result if (at := s.valid_from) is not None]
        out.sort(key=lambda t: (t.at, str(t.object_id)))
        return out
