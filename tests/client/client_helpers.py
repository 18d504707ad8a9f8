"""Helpers shared by the client tests.

:class:`CountingTransport` forwards every request to a real ``httpx.HTTPTransport`` (so to the
emulator over a socket) and records it.  For faults that a real Rally (or the network) produces
but the emulator does not, give it a ``fault`` callable: it sees each request (and its 1-based
sequence number) and may return a bare ``httpx.Response`` (e.g. 503 with ``Retry-After``) or an
exception to raise (e.g. a connection reset) instead of forwarding; None forwards as usual.
No WSAPI bodies are ever made up here: every envelope the client parses comes from the emulator.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

Fault = Callable[[httpx.Request, int], "httpx.Response | Exception | None"]


class CountingTransport(httpx.HTTPTransport):
    """A real ``httpx.HTTPTransport`` that records every request it is given (thread-safe).

    ``fault``: see the module docstring.  ``delay``: seconds to hold each forwarded request
    (to make concurrent requests overlap).  ``max_in_flight``: the most requests seen inside
    :meth:`handle_request` at the same moment.
    """

    def __init__(self, *, fault: Fault | None = None, delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.sent: list[httpx.Request] = []
        self.fault = fault
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.received: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.sent.append(request)
            seq = len(self.sent)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            injected = self.fault(request, seq) if self.fault is not None else None
            if isinstance(injected, Exception):
                raise injected
            if injected is not None:
                request.read()
                return injected
            if self.delay:
                time.sleep(self.delay)
            response = super().handle_request(request)
            with self.lock:
                self.received.append(response)
            return response
        finally:
            with self.lock:
                self.in_flight -= 1

    def lines(self) -> list[str]:
        """``METHOD path-after-v2.0`` for each request sent."""
        return [f"{r.method} {r.url.path.split('/v2.0/', 1)[-1]}" for r in self.sent]

    def reset(self) -> None:
        with self.lock:
            self.sent.clear()
            self.received.clear()
            self.max_in_flight = 0


class CountingAsyncTransport(httpx.AsyncHTTPTransport):
    """The async twin of :class:`CountingTransport`: a real ``httpx.AsyncHTTPTransport`` (or, given
    ``inner``, the emulator's in-process transport: no sockets) that records each request, how many
    are inside it at once, and how many finished or were cancelled."""

    def __init__(self, *, delay: float = 0.0, inner: httpx.AsyncBaseTransport | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner
        self.sent: list[httpx.Request] = []
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.finished = 0
        self.cancelled = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import asyncio

        self.sent.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.inner is not None:
                response = await self.inner.handle_async_request(request)
            else:
                response = await super().handle_async_request(request)
            await response.aread()
            self.finished += 1
            return response
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1

    def lines(self) -> list[str]:
        """``METHOD path-after-v2.0`` for each request sent."""
        return [f"{r.method} {r.url.path.split('/v2.0/', 1)[-1]}" for r in self.sent]

    def reset(self) -> None:
        self.sent.clear()
        self.max_in_flight = 0
        self.finished = 0
        self.cancelled = 0
