"""``RallyRESTResponse``: the result of a query, iterated page by page.

Pages are streamed: only the current page (plus, when pages are fetched concurrently, at most
twice ``threads`` pages loaded ahead of it) is held in memory.  With ``threads=N`` - or
automatically when more than two further pages are needed - later pages are fetched
concurrently through the owning ``Rally`` instance's pool (N at a time, each next page as soon
as one arrives; at most 12 requests in flight per instance), and items are still yielded in
order.  A failed page raises :class:`RallyResponseError`; nothing calls ``sys.exit``.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import RallyResponseError
from ..model import state
from ..model.entities import Persistable
from ..model.hydration import Hydrator
from ..model.prefetch import PageGroup
from ..protocol import (
    AUTO_THREADS,
    MAX_ITEMS,
    MAX_THREADS,
    Envelope,
    Reply,
    Request,
    concurrency,
    further_starts,
    known_error_text,
    page_request,
    response_state,
    servable,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..model.loader import Loader

__all__ = ["AUTO_THREADS", "MAX_THREADS", "CargoTruck", "aordered_pages", "ErrorResponse", "RallyRESTResponse", "RallyResponseError",
           "ResultPages", "AsyncRallyRESTResponse"]

T = TypeVar("T")
_YIELD_EVERY = 100  # items served between two turns of the event loop
K = TypeVar("K")


def ordered_pages(executor: Executor, load: Callable[[K], T], starts: Sequence[K],
                  workers: int, ahead: int | None = None) -> Iterator[T]:
    """``load(start)`` for every start on ``executor``, yielded in order.

    At most ``workers`` loads run at once, and at most ``ahead`` pages (default: twice
    ``workers``) are loaded or loading beyond what the caller has taken: a load that ends starts
    the next at once, whether or not the caller has taken the pages before it.  Pages not yet
    taken are cancelled when the caller stops early.
    """
    window = _Window(executor, load, starts, workers, ahead or 2 * workers)
    try:
        while (page := window.take()) is not None:
            yield page.result()
    finally:
        window.close()


async def aordered_pages(load: Callable[[K], Awaitable[T]], starts: Sequence[K], workers: int,
                         ahead: int | None = None) -> AsyncGenerator[T, None]:
    """:func:`ordered_pages` on the event loop: ``load(start)`` for every start as a task, yielded
    in order; at most ``workers`` loading at once, the awaited page and at most ``ahead`` (default:
    twice ``workers``) beyond it started; the rest cancelled, and awaited, when the caller stops."""
    gate = asyncio.Semaphore(max(1, workers))  # wakes waiters first come, first served: pages start in order
    beyond = ahead or 2 * max(1, workers)

    async def gated(start: K) -> T:
        async with gate:
            return await load(start)

    todo = deque(starts)
    window: deque[asyncio.Task[T]] = deque()  # the awaited page first, then those ahead of it
    try:
        while todo or window:
            while todo and len(window) <= beyond:
                window.append(asyncio.ensure_future(gated(todo.popleft())))
            page = await window[0]
            window.popleft()
            yield page
    finally:
        for task in window:
            task.cancel()
        if window:  # wait for the cancelled loads: nothing of the caller's result outlives it
            await asyncio.wait(window)


class _Window(Generic[K, T]):
    """The loads of :func:`ordered_pages`: started in order as slots free up, taken in order."""

    def __init__(self, executor: Executor, load: Callable[[K], T], starts: Sequence[K], workers: int,
                 ahead: int) -> None:
        self._executor = executor
        self._load = load
        self._todo = deque(starts)
        self._workers = max(1, workers)
        self._ahead = max(self._workers, ahead)
        self._queued: deque[Future[T]] = deque()  # started (running or done), not yet taken
        self._running = 0
        self._closed = False
        self._lock = threading.RLock()  # re-entered when a load is already done as it is watched
        with self._lock:
            self._fill()

    def _fill(self) -> None:
        while (self._todo and not self._closed and self._running < self._workers
               and len(self._queued) < self._ahead):
            start = self._todo.popleft()
            try:
                fut = self._executor.submit(self._load, start)
            except RuntimeError as exc:  # the pool is shut down (the client was closed): fail in order
                fut = Future()
                fut.set_exception(exc)
                self._queued.append(fut)
                continue
            self._running += 1
            self._queued.append(fut)
            fut.add_done_callback(self._finished)

    def _finished(self, _fut: Future[T]) -> None:
        with self._lock:
            self._running -= 1
            self._fill()

    def take(self) -> Future[T] | None:
        """The next page's load (None when there is none), making room for one more."""
        with self._lock:
            if not self._queued:
                return None
            fut = self._queued.popleft()
            self._fill()
            return fut

    def close(self) -> None:
        """Start nothing more; cancel the loads not yet running."""
        with self._lock:
            self._closed = True
            queued, self._queued = list(self._queued), deque()
        for fut in queued:
            fut.cancel()


class ResultPages:
    """What both clients' query responses share: the first page, upstream's attributes, the paging
    plan and serving raw items as entities (page by page, each page one :class:`PageGroup`)."""

    def __init__(self, rally: Loader | None, request: Request, http: Reply, *,
                 hydrator: Hydrator | None = None, limit: int = MAX_ITEMS,
                 threads: int | None = None) -> None:
        self._rally = rally
        self.session = getattr(rally, "session", None)
        self.context = getattr(rally, "contextHelper", None)
        self.request = request
        self.resource = request.resource()
        self.target = request.path.split("?")[0].rstrip("/").split("/")[-1]
        self.headers = getattr(http, "headers", {})
        self.hydrator = hydrator or Hydrator(rally, complete=False, hydrated=False)
        self.threads = threads
        self.max_threads = 1
        self.debug = False
        self._limit = limit
        self._served = 0
        self._servable = 0
        self._curIndex = 0
        self._page: list[Any] = []
        self.request_type = "Operation"
        self.startIndex = 0
        self.pageSize = 0
        self.resultCount = 0
        state = response_state(http, self.target)
        self.status_code = state.status_code
        self.errors: list[str] = state.errors
        self.warnings: list[str] = state.warnings
        self.content: Any = state.content
        self.data: dict[str, Any] = state.data
        self._envelope: Envelope | None = state.envelope
        env = state.envelope
        if env is not None:
            self.request_type = env.kind
            self.startIndex = env.start
            self.pageSize = env.page_size
            self.resultCount = env.total
            self._page = list(env.results)
            if not env.errors:
                self._servable = servable(env, self._limit)
        self._first_page = self._page

    # ------------------------------------------------------------------------------------
    def _further_starts(self) -> list[int]:
        """``start`` of each page still needed after the first (empty when the first page is all)."""
        if self._envelope is None or self._served >= self._servable or not self._first_page:
            return []
        return further_starts(self._envelope, len(self._first_page), self._servable)

    def _page_request(self, start: int) -> Request:
        return page_request(self.request, start)

    @staticmethod
    def _page_failure(start: int, exc: Exception) -> RallyResponseError:
        """A page that could not be fetched (network error, timeout) as a response error."""
        if isinstance(exc, RallyResponseError):
            return exc
        return RallyResponseError(f"Unable to retrieve the page of results at start={start}: {exc}")

    def _serve_page(self, page: list[Any]) -> Iterator[Any]:
        """The entities of one page, until the servable count is reached (each built as it is asked for)."""
        self._page = page
        group = self._group(page)
        make = self.hydrator.make
        for raw in page:
            if self._served >= self._servable:
                return
            self._served += 1
            self._curIndex += 1
            if not isinstance(raw, dict):
                yield raw
                continue
            inst = make(raw)
            if group is not None and isinstance(inst, Persistable):
                state.join_page(inst, group)
            yield inst

    def _done(self, page: list[Any]) -> bool:
        return not page or self._served >= self._servable

    def _first_item(self) -> Any:
        """The first item of the first page (``instance=True`` with one result), without I/O."""
        return next(self._serve_page(self._first_page))

    def _group(self, page: list[Any]) -> PageGroup | None:
        """The items of a query page share one :class:`PageGroup` (page-wide collection loads)."""
        if self.request_type != "Query":
            return None
        return PageGroup([raw for raw in page if isinstance(raw, dict)])

    def __bool__(self) -> bool:
        return 200 <= self.status_code < 300

    def __repr__(self) -> str:
        if self.errors:
            return f"{self.status_code} {self.errors[0]}"
        first = self._envelope.results[0] if self._envelope and self._envelope.results else None
        typ = first.get("_type", self.target) if isinstance(first, dict) else self.target
        return (f"{typ} result set, totalResultSetSize: {self.resultCount}, "
                f"startIndex: {self.startIndex}  pageSize: {self.pageSize}  current Index: {self._curIndex}")


class RallyRESTResponse(ResultPages):
    """Upstream-compatible response: attributes, ``next()``, iteration, truthiness, repr.

    Further pages are fetched by ``fetch_page``, concurrently on ``executor`` (bounded by the
    paging plan of :mod:`pyral.protocol.paging`).
    """

    def __init__(self, rally: Loader | None, request: Request, http: Reply, *,
                 hydrator: Hydrator | None = None, limit: int = MAX_ITEMS, threads: int | None = None,
                 fetch_page: Callable[[Request], Envelope] | None = None,
                 executor: Callable[[], Executor] | None = None) -> None:
        super().__init__(rally, request, http, hydrator=hydrator, limit=limit, threads=threads)
        self._fetch_page = fetch_page
        self._executor = executor
        self._iter: Iterator[Any] | None = None

    def _generate(self) -> Iterator[Any]:
        yield from self._serve_page(self._first_page)
        starts = self._further_starts()
        workers = concurrency(self.threads, len(starts)) if self._fetch_page is not None else 1
        self.max_threads = workers
        for page in self._pages(starts, workers):
            yield from self._serve_page(page)
            if self._done(page):
                return

    def _pages(self, starts: list[int], workers: int) -> Iterator[list[Any]]:
        if workers <= 1 or self._executor is None:
            for start in starts:
                yield self._load_page(start)
            return
        yield from ordered_pages(self._executor(), self._load_page, starts, workers)

    def _load_page(self, start: int) -> list[Any]:
        assert self._fetch_page is not None
        try:
            env = self._fetch_page(self._page_request(start))
        except Exception as exc:  # network errors, timeouts
            raise self._page_failure(start, exc) from exc
        return list(env.results)

    # -- upstream surface ----------------------------------------------------------------
    def __iter__(self) -> RallyRESTResponse:
        return self

    def __next__(self) -> Any:
        if self._iter is None:
            self._iter = self._generate()
        return next(self._iter)

    def next(self) -> Any:
        """The next hydrated item; raises ``StopIteration`` at the end."""
        return self.__next__()

    def showNextItem(self) -> Any:
        """Upstream debugging helper: the next item, also printed."""
        item = self.next()
        print(item)
        return item


class ErrorResponse:
    """Upstream's fake response for a failed HTTP exchange, with the paging fields it lacked."""

    def __init__(self, status_code: int, problem: Any) -> None:
        text = known_error_text(problem)
        self.status_code = status_code
        self.headers = {"placeholder": True}
        self.errors = [text]
        self.warnings: list[str] = []
        self.content = {"OperationResult": {"Errors": [text], "Warnings": [], "Results": []}}
        self.data = self.content["OperationResult"]
        self.resultCount = 0
        self.startIndex = 0
        self.pageSize = 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{self.status_code} {self.errors[0]}"


class CargoTruck:
    """Upstream's parallel page loader: fetch ``orders`` (URLs/requests) with ``num_loaders``
    workers and return the pages in order."""

    def __init__(self, orders: list[Any], num_loaders: int) -> None:
        self.orders = list(orders)
        self.num_loaders = max(1, min(int(num_loaders), MAX_THREADS))
        self.tank: dict[int, Any] = {}

    def load(self, fetch: Callable[[Any], Any], *args: Any) -> list[Any]:
        """Run ``fetch(order)`` for every order concurrently; results in order."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.num_loaders) as pool:
            for index, result in enumerate(pool.map(fetch, self.orders)):
                self.tank[index] = result
        return self.dump()

    def dump(self) -> list[Any]:
        """The loaded results in order."""
        return [self.tank[i] for i in sorted(self.tank)]


class AsyncRallyRESTResponse(ResultPages):
    """What ``await AsyncRally.get(...)`` returns: iterate with ``async for`` (``resultCount`` and
    upstream's other attributes are there at once), or ``await response.all()`` for a list.

    Further pages are fetched concurrently with the same bound as the sync client, at most that
    many ahead of the consumer, and items come in order.
    """

    def __init__(self, rally: Loader | None, request: Request, http: Reply, *,
                 hydrator: Hydrator | None = None, limit: int = MAX_ITEMS, threads: int | None = None,
                 fetch_page: Callable[[Request], Awaitable[Envelope]] | None = None) -> None:
        super().__init__(rally, request, http, hydrator=hydrator, limit=limit, threads=threads)
        self._fetch_page = fetch_page
        self._aiter: AsyncIterator[Any] | None = None

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._aiter is None:
            self._aiter = self._agenerate()
        return self._aiter

    async def all(self) -> list[Any]:
        """Every (remaining) item, as a list."""
        return [item async for item in self]

    async def _agenerate(self) -> AsyncIterator[Any]:
        starts = self._further_starts()
        self.max_threads = concurrency(self.threads, len(starts)) if self._fetch_page is not None else 1
        async with aclosing(aordered_pages(self._aload_page, starts, self.max_threads)) as pages:
            page = self._first_page
            while True:
                for count, item in enumerate(self._serve_page(page), 1):
                    yield item
                    if count % _YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # let the loop read the pages in flight while items are built
                if page is not self._first_page and self._done(page):
                    return
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    return

    async def _aload_page(self, start: int) -> list[Any]:
        assert self._fetch_page is not None
        try:
            env = await self._fetch_page(self._page_request(start))
        except Exception as exc:  # network errors, timeouts
            raise self._page_failure(start, exc) from exc
        return list(env.results)
