"""Rally's Lookback API on ``Rally`` and ``AsyncRally``: snapshots, paged results, common questions.

The methods are operations (:mod:`.operation`), written once for both clients: they build the
query with :mod:`pyral.protocol.lookback`, send its first page and return the client's result
type (``_lookback_result_for``): a :class:`LookbackResult` for ``Rally`` (iterate; further pages
come from the instance's page pool, several at once) or an :class:`AsyncLookbackResult` for
``AsyncRally`` (``async for``; further pages as tasks, with the same bound).  ``lookback_at``
answers "what did these items look like at a date", ``lookback_transitions`` "when did this
field change, from what to what".  ``to_dataframe()`` needs the optional ``pandas`` extra.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import Executor
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import RallyContextError
from ..protocol import Reply, Request, concurrency, is_oid, oid_from_ref
from ..protocol import lookback as lbp
from .operation import Op, gather, operation, send
from .response import aordered_pages, ordered_pages

if TYPE_CHECKING:  # pragma: no cover
    from .workspaces import RallyContextHelper

__all__ = ["AsyncLookbackResult", "LookbackResult", "Record", "Snapshot", "Transition"]

T = TypeVar("T")

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


def page_of(reply: Reply) -> lbp.LookbackPage:
    """A Lookback reply as a page, or the client's exception (a non-JSON error page too)."""
    try:
        body = reply.json()
    except Exception:  # an error page that is not JSON: its status decides
        body = None
    return lbp.parse_lookback(reply.status_code, body, reply.text if body is None else "")


class _LookbackPages:
    """What both clients' results hold: the query, the first page's numbers, the page plan."""

    def __init__(self, query: lbp.LookbackQuery, first: lbp.LookbackPage, *, limit: int | None = None,
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
        self._limit = limit
        self._threads = threads

    def _plan(self) -> list[Request]:
        """The requests of the further pages, pinned to the first page's ``ETLDate``."""
        return [lbp.page_request(self.query, start, self.etl_date)
                for start in lbp.page_starts(self.query, self._first, self._limit)]

    def _snapshots(self, pages: Iterator[list[dict[str, Any]]], served: list[int]) -> Iterator[Snapshot]:
        """The snapshots of ``pages`` until the limit; ``served[0]`` counts across calls."""
        for page in pages:
            for raw in page:
                if self._limit is not None and served[0] >= self._limit:
                    return
                served[0] += 1
                yield Snapshot(raw)

    def _full(self, served: list[int]) -> bool:
        return self._limit is not None and served[0] >= self._limit

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} resultCount={self.resultCount} startIndex={self.startIndex} "
                f"pageSize={self.pageSize}>")


def _dataframe(snapshots: list[Snapshot]) -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(_PANDAS_MISSING) from exc
    return pandas.json_normalize([s.data for s in snapshots])


class LookbackResult(_LookbackPages):
    """The snapshots of a Lookback query (``Rally``): iterate once, like ``Rally.get``'s result.

    ``resultCount`` is Rally's ``TotalResultCount`` (counted before compression);
    ``compressedResultCount``, ``warnings``, ``etl_date`` and ``generated_query`` come from
    the first page.  Further pages are fetched on demand, several at once (``threads``, as for
    ``Rally.get``), pinned to the first page's ``ETLDate`` so that writes made meanwhile do not
    shift them.
    """

    def __init__(self, query: lbp.LookbackQuery, first: lbp.LookbackPage, *,
                 fetch: Callable[[Request], lbp.LookbackPage], executor: Callable[[], Executor] | None,
                 limit: int | None = None, threads: int | None = None) -> None:
        super().__init__(query, first, limit=limit, threads=threads)
        self._fetch = fetch
        self._executor = executor
        self._iter: Iterator[Snapshot] | None = None

    def _load(self, request: Request) -> list[dict[str, Any]]:
        return self._fetch(request).results

    def _generate(self) -> Iterator[Snapshot]:
        plan = self._plan()
        workers = concurrency(self._threads, len(plan)) if self._executor is not None else 1
        self.max_threads = workers
        rest = (ordered_pages(self._executor(), self._load, plan, workers)
                if self._executor is not None and workers > 1 else (self._load(r) for r in plan))
        yield from self._snapshots(itertools.chain([self._first.results], rest), [0])

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
        return _dataframe(self.all())


class AsyncLookbackResult(_LookbackPages):
    """The snapshots of a Lookback query (``AsyncRally``): ``async for snap in result``, or
    ``await result.all()``.  Further pages are fetched as tasks, in the same window as
    ``AsyncRally.get`` (:func:`~pyral.client.response.aordered_pages`); leaving the loop early
    cancels the rest."""

    def __init__(self, query: lbp.LookbackQuery, first: lbp.LookbackPage, *,
                 fetch: Callable[[Request], Awaitable[lbp.LookbackPage]],
                 limit: int | None = None, threads: int | None = None) -> None:
        super().__init__(query, first, limit=limit, threads=threads)
        self._fetch = fetch
        self._aiter: AsyncIterator[Snapshot] | None = None

    def __aiter__(self) -> AsyncIterator[Snapshot]:
        if self._aiter is None:
            self._aiter = self._agenerate()
        return self._aiter

    async def all(self) -> list[Snapshot]:
        """Every (remaining) snapshot as a list."""
        return [snap async for snap in self]

    async def to_dataframe(self) -> Any:
        """As :meth:`LookbackResult.to_dataframe`."""
        return _dataframe(await self.all())

    async def _agenerate(self) -> AsyncIterator[Snapshot]:
        served = [0]
        for snap in self._snapshots(iter([self._first.results]), served):
            yield snap
        plan = self._plan()
        self.max_threads = concurrency(self._threads, len(plan))
        if not plan or self._full(served):
            return
        async with aclosing(aordered_pages(self._fetch, plan, self.max_threads)) as pages:
            async for page in pages:
                for snap in self._snapshots(iter([page.results]), served):
                    yield snap
                if self._full(served):
                    return


class LookbackMixin:
    """The Lookback operations of ``Rally`` and ``AsyncRally`` (the protocol module decides)."""

    if TYPE_CHECKING:  # pragma: no cover
        contextHelper: RallyContextHelper

        def _with_loads(self, compute: Callable[[], T]) -> Op[T]: ...

    def _lookback_result_for(self, query: lbp.LookbackQuery, first: lbp.LookbackPage, *,
                             limit: int | None, threads: int | None) -> Any:
        """The client's result type for the first page of a Lookback query."""
        raise NotImplementedError

    def _lookback_workspace(self, workspace: Any) -> Op[int | str]:
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
        found = yield from self._with_loads(lambda: self.contextHelper.find_workspace(text))
        if found is None:
            raise RallyContextError(f'Workspace specified: "{text}" not accessible with current credentials')
        return oid_from_ref(found.ref)

    def _lookback_query(self, find: Any, workspace: Any, **options: Any) -> Op[lbp.LookbackQuery]:
        oid = yield from self._lookback_workspace(workspace)
        return lbp.build_query(oid, find, **options)

    @operation
    def lookback(self, find: Any, fields: lbp.FieldList = None, hydrate: lbp.FieldList = None,
                 sort: Any = None, start: int = 0, pagesize: int | None = None, limit: int | None = None,
                 compress: bool = False, workspace: Any = "current", *,
                 remove_unauthorized: bool = True, threads: int | None = None) -> Op[Any]:
        """Query snapshots of the Lookback API (``find`` is a Mongo-style dict or JSON text).

        ``fields``: names, ``True`` for all, None for Rally's default; ``hydrate``: fields to
        turn from OIDs into names; ``sort``: ``{"_ValidFrom": 1}`` or ``"-_ValidFrom"``;
        ``start`` is 0-based; ``limit`` caps the snapshots returned.  Snapshots in projects the
        user cannot read are dropped (``removeUnauthorizedSnapshots``) unless
        ``remove_unauthorized=False``.  ``threads``: pages fetched at once, as for ``get``
        (default: 4 when more than two pages remain).  Rally's errors raise
        :class:`~pyral.errors.RallyLookbackError`.
        """
        query = yield from self._lookback_query(find, workspace, fields=fields, hydrate=hydrate, sort=sort,
                                                start=start, pagesize=pagesize, limit=limit, compress=compress,
                                                remove_unauthorized=remove_unauthorized)
        first = page_of((yield from send(lbp.lookback_request(query))))
        return self._lookback_result_for(query, first, limit=limit, threads=threads)

    @operation
    def lookback_at(self, when: datetime | date | str, find: Any = None, fields: lbp.FieldList = None,
                    hydrate: lbp.FieldList = None, **kwargs: Any) -> Op[Any]:
        """The snapshots valid at ``when`` (``__At``): a datetime, a ``date`` (its end, UTC),
        ISO text or ``"current"``; other keywords as :meth:`lookback`."""
        result = yield from LookbackMixin.lookback.op(self, lbp.at_find(find, when), fields=fields,
                                                      hydrate=hydrate, **kwargs)
        return result

    @operation
    def lookback_transitions(self, field: str, since: datetime | date | str, until: datetime | date | str,
                             find: Any = None, *, to_value: Any = None, from_value: Any = None,
                             hydrate: bool = True, workspace: Any = "current") -> Op[list[Transition]]:
        """Every change of ``field`` in ``[since, until)`` on the items ``find`` selects, oldest
        first (a creation counts, from ``None``); ``to_value``/``from_value`` narrow it down.
        ``hydrate`` asks Rally for names instead of OIDs (drop-downs, references)."""
        prev = f"_PreviousValues.{field}"
        query = yield from self._lookback_query(
            lbp.transitions_find(find, field, since, until, to_value=to_value, from_value=from_value), workspace,
            fields=["ObjectID", "_UnformattedID", field, prev, "_ValidFrom", "_User", "_SnapshotNumber"],
            hydrate=[field, prev] if hydrate else None, sort={"_ValidFrom": 1})
        first = page_of((yield from send(lbp.lookback_request(query))))
        plan = _LookbackPages(query, first)._plan()
        replies = yield from gather(plan, concurrency(None, len(plan)))
        raws = first.results + [raw for reply in replies for raw in page_of(reply).results]
        out = [Transition(object_id=s.get("ObjectID"), field=field, before=s.get(prev), after=s.get(field),
                          at=at, user=s.get("_User"), snapshot=s)
               for s in map(Snapshot, raws) if (at := s.valid_from) is not None]
        out.sort(key=lambda t: (t.at, str(t.object_id)))
        return out
