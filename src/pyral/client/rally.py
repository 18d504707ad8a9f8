"""``Rally``: upstream pyral's client class, assembled from one module per concern.

Each part is a class that builds on the one before it, so a module can be read alone and
needs only what comes earlier: :mod:`.core` (connect, token, loads, logging) → :mod:`.names`
→ :mod:`.reads` → :mod:`.writes` → :mod:`.scoping` → :mod:`.users` → :mod:`.collections`
→ :mod:`.attachments` → :mod:`.batch`.  Their operations are run here, synchronously: one
``httpx.Client``, further pages and batches of reads on a pool of at most 12 threads.  One
``Rally`` instance may be shared by many threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

from .. import protocol as proto
from ..model.entities import Persistable
from ..protocol import Reply, Request
from ..protocol.lookback import LookbackPage, LookbackQuery
from ..transport import SyncTransport
from .batch import Batch
from .lookback import LookbackMixin, LookbackResult, page_of
from .operation import Driver, Exchange, Gather
from .response import RallyRESTResponse, ordered_pages

__all__ = ["Rally"]


class Rally(Batch, LookbackMixin, Driver):
    """A connection to Rally WSAPI v2.0 (upstream ``pyral.Rally`` API)."""

    def _open_transport(self, base_url: str, **options: Any) -> SyncTransport:
        return SyncTransport(base_url, **options)

    def _start(self, workspace: Any, project: Any) -> None:
        self._pool_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        try:
            self.run(self._connect(workspace, project))
        except BaseException:
            self._transport.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections and the page-fetching pool."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self._transport.close()

    def _page_executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=proto.MAX_THREADS, thread_name_prefix="pyral-page")
            return self._pool

    # -- the driver: how this client moves bytes ------------------------------------------------
    def _exchange(self, step: Exchange) -> Reply:
        if step.log:
            self._log_exchange(step.request)
        reply: Reply = self._transport.send(step.request)
        return reply

    def _gather(self, step: Gather) -> list[Reply]:
        requests = list(step.requests)
        if step.limit <= 1 or len(requests) <= 1:
            return [self._exchange(Exchange(req)) for req in requests]
        return list(ordered_pages(self._page_executor(), lambda req: self._exchange(Exchange(req)),
                                  requests, step.limit))


    def _load_now(self, request: Request, paged: bool) -> list[dict[str, Any]]:
        return self.run(self._fetch_all_raw(request, paged))

    def _hold(self, lock: threading.Lock | threading.RLock) -> threading.Lock | threading.RLock:
        return lock

    def _response_for(self, request: Request, reply: Reply, hydrator: Any, *, limit: int,
                      threads: int | None) -> RallyRESTResponse:
        return RallyRESTResponse(self, request, reply, hydrator=hydrator, limit=limit, threads=threads,
                                 fetch_page=lambda req: self.run(self._page_envelope(req)),
                                 executor=self._page_executor)

    def _lookback_result_for(self, query: LookbackQuery, first: LookbackPage, *, limit: int | None,
                             threads: int | None) -> LookbackResult:
        return LookbackResult(query, first, fetch=lambda req: page_of(self._exchange(Exchange(req))),
                              executor=self._page_executor, limit=limit, threads=threads)

    # -- the Loader interface: entities load what they lack, on first access ---------------------
    def load_all(self, inst: Persistable, name: str | None = None) -> None:
        """Load every attribute of ``inst`` (one GET), in place."""
        self.run(self._load_all(inst))

    def load_collection(self, inst: Persistable, attr: str) -> Any:
        """Load the collection ``attr`` of ``inst`` (page-wide where possible) and cache it."""
        return self.run(self._load_collection(inst, attr))
