"""``RallyRESTResponse``: the result of a query, iterated page by page.

Pages are streamed: only the current page (plus, when pages are fetched concurrently, the
pages in flight) is held in memory.  With ``threads=N`` - or automatically when more than two
further pages are needed - later pages are fetched concurrently through the owning ``Rally``
instance's pool (at most 12 requests in flight per instance), and items are still yielded in
order.  A failed page raises :class:`RallyResponseError`; nothing calls ``sys.exit``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import RallyResponseError
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

__all__ = ["AUTO_THREADS", "MAX_THREADS", "CargoTruck", "ErrorResponse", "RallyRESTResponse", "RallyResponseError"]

T = TypeVar("T")


def ordered_pages(executor: Executor, load: Callable[[int], T], starts: list[int],
                  workers: int) -> Iterator[T]:
    """``load(start)`` for every start, at most ``workers`` in flight on ``executor``, yielded in
    order; pages not yet consumed are cancelled when the caller stops early."""
    pending: deque[Future[T]] = deque()
    todo = iter(starts)
    try:
        for start in todo:
            pending.append(executor.submit(load, start))
            if len(pending) >= workers:
                break
        while pending:
            page = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(executor.submit(load, nxt))
            yield page
    finally:
        for fut in pending:
            fut.cancel()


class RallyRESTResponse:
    """Upstream-compatible response: attributes, ``next()``, iteration, truthiness, repr."""

    def __init__(self, rally: Loader | None, request: Request, http: Reply, *,
                 hydrator: Hydrator | None = None, limit: int = MAX_ITEMS,
                 threads: int | None = None,
                 fetch_page: Callable[[Request], Envelope] | None = None,
                 executor: Callable[[], Executor] | None = None) -> None:
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
        self._fetch_page = fetch_page
        self._executor = executor
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
        self._iter: Iterator[Any] | None = None

    # ------------------------------------------------------------------------------------
    def _generate(self) -> Iterator[Any]:
        wanted = self._servable
        first = self._page
        group = self._group(first)
        for raw in first:
            if self._served >= wanted:
                return
            yield self._serve(raw, group)
        if self._served >= wanted or not first or self.request_type != "Query":
            return
        assert self._envelope is not None
        starts = further_starts(self._envelope, len(first), wanted)
        workers = concurrency(self.threads, len(starts)) if self._fetch_page is not None else 1
        self.max_threads = workers
        for page in self._pages(starts, workers):
            self._page = page
            if not page:
                return
            group = self._group(page)
            for raw in page:
                if self._served >= wanted:
                    return
                yield self._serve(raw, group)
            if self._served >= wanted:
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
            env = self._fetch_page(page_request(self.request, start))
        except RallyResponseError:
            raise
        except Exception as exc:  # network errors, timeouts
            raise RallyResponseError(f"Unable to retrieve the page of results at start={start}: {exc}") \
                from exc
        return list(env.results)

    def _group(self, page: list[Any]) -> PageGroup | None:
        """The items of a query page share one :class:`PageGroup` (page-wide collection loads)."""
        if self.request_type != "Query":
            return None
        return PageGroup([raw for raw in page if isinstance(raw, dict)])

    def _serve(self, raw: Any, group: PageGroup | None = None) -> Any:
        self._served += 1
        self._curIndex += 1
        if isinstance(raw, dict):
            inst = self.hydrator.make(raw)
            if group is not None and isinstance(inst, Persistable):
                inst.__dict__["_page_group"] = group
            return inst
        return raw

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

    def __bool__(self) -> bool:
        return 200 <= self.status_code < 300

    def showNextItem(self) -> Any:
        """Upstream debugging helper: the next item, also printed."""
        item = self.next()
        print(item)
        return item

    def __repr__(self) -> str:
        if self.errors:
            return f"{self.status_code} {self.errors[0]}"
        first = self._envelope.results[0] if self._envelope and self._envelope.results else None
        typ = first.get("_type", self.target) if isinstance(first, dict) else self.target
        return (f"{typ} result set, totalResultSetSize: {self.resultCount}, "
                f"startIndex: {self.startIndex}  pageSize: {self.pageSize}  current Index: {self._curIndex}")


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
