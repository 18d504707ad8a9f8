"""Reaching the emulator without sockets: httpx transports over its ASGI app.

``httpx.Client(transport=emulator.transport(), base_url=emulator.url)`` runs each request
through the same app (routes, auth, faults, limits, handlers) on the emulator's one event loop
(an anyio blocking portal, shared with the socket server, so per-user slots are one set);
``httpx.AsyncClient(transport=emulator.async_transport())`` runs it on the caller's loop.  A ``reset`` fault surfaces as the httpx error a dropped
connection gives (:class:`httpx.RemoteProtocolError`).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import httpx
from anyio.from_thread import BlockingPortal

from .asgi import ConnectionDropped

DROPPED = "Server disconnected without sending a response."


class AsyncTransport(httpx.ASGITransport):
    """httpx's ASGI transport, with a dropped connection reported as over a socket."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(DROPPED, request=request) from None


class SyncTransport(httpx.BaseTransport):
    """A synchronous httpx transport that runs the ASGI app on the emulator's event loop."""

    def __init__(self, app: Any, portal: BlockingPortal, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._inner = AsyncTransport(app, client=client)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def send() -> httpx.Response:
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=body,
                                 extensions=request.extensions)
            response = await self._inner.handle_async_request(copy)
            content = b"".join([chunk async for chunk in response.aiter_raw()])  # still encoded
            return httpx.Response(response.status_code, headers=response.headers, content=content,
                                  extensions=response.extensions, request=request)

        return self._portal.call(send)


class AsyncPortalTransport(httpx.AsyncBaseTransport):
    """An async httpx transport: the request runs on the emulator's loop, awaited from the caller's."""

    def __init__(self, sync: SyncTransport) -> None:
        self._sync = sync

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return await anyio.to_thread.run_sync(self._sync.handle_request, request)
