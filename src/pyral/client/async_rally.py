"""``AsyncRally``: every operation of ``Rally`` as a coroutine of the same name and parameters.

The operations are the ones ``Rally`` runs (:mod:`.operation`); this module only moves their
requests on an event loop: one ``httpx.AsyncClient`` (:class:`~pyral.transport.AsyncHTTPTransport`:
the same timeouts, retries, in-flight cap, logging and secret masking), further pages as tasks
bounded like the sync client's threads.  There is no hidden blocking I/O: an entity attribute
that was not loaded raises :class:`~pyral.errors.AttributeNotLoadedError` naming the awaitable
(``await item.load("Tasks")``); context and schema lookups are loaded as steps of the operation
that needs them.  Cancelling a task closes its operation; requests in flight are cancelled with
it (httpx closes their connections) and nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Self

from ..errors import AttributeNotLoadedError
from ..model.entities import Persistable
from ..protocol import Reply, Request
from ..protocol.lookback import LookbackPage, LookbackQuery
from ..transport import AsyncHTTPTransport
from .batch import Batch
from .lookback import AsyncLookbackResult, LookbackMixin, page_of
from .operation import AsyncDriver, Exchange, Gather
from .response import AsyncRallyRESTResponse

__all__ = ["AsyncRally"]


class AsyncRally(Batch, LookbackMixin, AsyncDriver):
    """An asyncio connection to Rally WSAPI v2.0: ``async with AsyncRally(server, apikey=...) as rally``.

    Takes the arguments of :class:`~pyral.Rally` (``http_transport`` is an ``httpx.AsyncBaseTransport``);
    connects on entering the ``async with`` block and closes on leaving it.
    """

    def _open_transport(self, base_url: str, **options: Any) -> AsyncHTTPTransport:
        return AsyncHTTPTransport(base_url, **options)

    def _start(self, workspace: Any, project: Any) -> None:
        self._context_wanted = (workspace, project)

    async def __aenter__(self) -> Self:
        try:
            await self.run(self._connect(*self._context_wanted))
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._transport.aclose()

    # -- the driver: how this client moves bytes ------------------------------------------------
    async def _exchange(self, step: Exchange) -> Reply:
        if step.log:
            self._log_exchange(step.request)
        reply: Reply = await self._transport.send(step.request)
        return reply

    async def _gather(self, step: Gather) -> list[Reply]:
        slots = asyncio.Semaphore(step.limit)

        async def one(req: Request) -> Reply:
            async with slots:
                return await self._exchange(Exchange(req))
        tasks = [asyncio.ensure_future(one(req)) for req in step.requests]
        try:
            return [await task for task in tasks]
        finally:
            pending = [task for task in tasks if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    def _load_now(self, request: Request, paged: bool) -> list[dict[str, Any]]:
        return self._preloaded(request, paged)

    def _hold(self, lock: threading.Lock | threading.RLock) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def _response_for(self, request: Request, reply: Reply, hydrator: Any, *, limit: int,
                      threads: int | None) -> AsyncRallyRESTResponse:
        return AsyncRallyRESTResponse(self, request, reply, hydrator=hydrator, limit=limit, threads=threads,
                                      fetch_page=lambda req: self.run(self._page_envelope(req)))

    def _lookback_result_for(self, query: LookbackQuery, first: LookbackPage, *, limit: int | None,
                             threads: int | None) -> AsyncLookbackResult:
        async def fetch(req: Request) -> LookbackPage:
            return page_of(await self._exchange(Exchange(req)))
        return AsyncLookbackResult(query, first, fetch=fetch, limit=limit, threads=threads)

    # -- the Loader interface: no hidden I/O --------------------------------------------------------
    def load_all(self, inst: Persistable, name: str | None = None) -> None:
        """Refuses: an attribute that was not loaded must be loaded with ``await item.load(...)``."""
        wanted = name or "..."
        raise AttributeNotLoadedError(
            f"{inst.__class__.__name__}.{wanted} is not loaded and AsyncRally does no hidden I/O: "
            f'load it with `await item.load("{wanted}")` (or query with fetch=True)')

    def load_collection(self, inst: Persistable, attr: str) -> Any:
        """Refuses: a collection that was not loaded must be loaded with ``await item.load(...)``."""
        raise AttributeNotLoadedError(
            f"{inst.__class__.__name__}.{attr} is a collection that is not loaded and AsyncRally does no "
            f'hidden I/O: load it with `await item.load("{attr}")` (the whole page at once where Rally '
            "allows it)")
