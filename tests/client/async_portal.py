"""Run ``AsyncRally`` from a synchronous test body, so one behavioural test covers both clients.

:class:`Portal` owns an event loop in a thread; :class:`SyncView` wraps an ``AsyncRally`` so that
each coroutine method is awaited on that loop and each async response iterates like the sync one.
Nothing is faked: every request goes through ``AsyncRally`` and its async transport.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

from pyral import AsyncRally, AsyncRallyRESTResponse
from pyral.client.lookback import AsyncLookbackResult

T = TypeVar("T")


class Portal:
    """An event loop running in its own thread; :meth:`call` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pyral-test-loop", daemon=True)
        self.thread.start()

    def call(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable
        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout=120)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class SyncResponse:
    """An :class:`AsyncRallyRESTResponse` (or Lookback result) iterated from synchronous code (through the portal)."""

    def __init__(self, portal: Portal, response: AsyncRallyRESTResponse | AsyncLookbackResult) -> None:
        self._portal = portal
        self._response = response
        self._iter = response.__aiter__()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return self._portal.call(self._iter.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def next(self) -> Any:
        return self.__next__()

    def __bool__(self) -> bool:
        return bool(self._response)

    def __repr__(self) -> str:
        return repr(self._response)


class SyncView:
    """``AsyncRally`` seen as ``Rally``: coroutine methods are awaited on the portal's loop."""

    def __init__(self, portal: Portal, rally: AsyncRally) -> None:
        self._portal = portal
        self._rally = rally

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._rally, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._wrap(self._portal.call(attr(*args, **kwargs)))
        return call

    def run(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` (e.g. ``item.load("Tasks")``) on the portal's loop."""
        return self._portal.call(awaitable)

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, AsyncRallyRESTResponse | AsyncLookbackResult):
            return SyncResponse(self._portal, value)
        return value

    def close(self) -> None:
        self._portal.call(self._rally.aclose())


def loaded(client: Any, item: Any, *names: str) -> Any:
    """``item`` with ``names`` loaded: ``AsyncRally`` does no hidden I/O, so through a :class:`SyncView`
    the load is awaited; ``Rally`` is left to load lazily on attribute access (what its tests check)."""
    if isinstance(client, SyncView):
        client.run(item.load(*names))
    return item
