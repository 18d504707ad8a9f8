"""Serving the ASGI app with uvicorn on a background thread, with the guards uvicorn lacks.

uvicorn gives: TLS per connection inside the event loop (asyncio's handshake, with its own
timeout, so a stalled handshake blocks nobody), a keep-alive timeout, a bound on concurrent
connections (``limit_concurrency``: 503 beyond it), a bound on an incomplete header block (h11)
and clean shutdown.  It has no deadline for receiving a request: a client that connects and
sends nothing, or sends headers or a body a byte at a time (slowloris), holds its connection
for ever.  :class:`GuardedH11Protocol` adds that: the headers must be complete within
``header_timeout`` of the connection (or of the previous answer), and the body within
``body_timeout`` of the headers; otherwise the connection is closed.  It also lets the app
drop a connection on purpose (the ``reset`` fault) through ``scope["extensions"]["pyral.abort"]``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from concurrent.futures import Future
from typing import Any

import uvicorn
from anyio.from_thread import BlockingPortal
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 60.0
KEEP_ALIVE = 5
MAX_CONNECTIONS = 1000
MAX_HEADER_BYTES = 256 * 1024  # long WSAPI query strings fit; more is answered 400


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol plus header/body receive deadlines and a deliberate reset."""

    header_timeout = HEADER_TIMEOUT
    body_timeout = BODY_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection with a TCP reset (no answer)."""
        self._disarm()
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # asyncio sets TCP_NODELAY only on sockets made with proto=IPPROTO_TCP, not on those
            # accepted from socket.create_server (proto 0): without it a small answer body waits
            # ~40 ms behind its headers for the client's delayed ACK (Nagle).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        super().data_received(data)
        self._track(before)

    def on_response_complete(self) -> None:
        done = self.cycle
        super().on_response_complete()  # may start a pipelined request
        if not self.transport.is_closing() and not self._track(done):
            self._arm(self.header_timeout)  # the next request's headers, on a kept-alive connection

    def _track(self, before: Any) -> bool:
        """Follow the request in flight; True when a new one started since ``before``."""
        cycle = self.cycle
        if cycle is None or self.transport.is_closing():
            return False
        started = cycle is not before
        if started:  # the headers of a new request are complete
            extensions: dict[str, Any] = cycle.scope.setdefault("extensions", {})  # type: ignore[assignment]
            extensions["pyral.abort"] = self.abort
            if cycle.more_body:
                self._arm(self.body_timeout)
        if not cycle.more_body and not cycle.response_complete:
            self._disarm()  # the whole request is in; the handler's time is not the client's
        return started


def protocol(header_timeout: float, body_timeout: float) -> type[GuardedH11Protocol]:
    """A protocol class with these deadlines (uvicorn instantiates the class it is given)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,),
                {"header_timeout": header_timeout, "body_timeout": body_timeout})


class Server:
    """uvicorn serving one app on one listening socket, on the emulator's event loop (a portal)."""

    def __init__(self, app: Any, host: str, port: int, *, certfile: str | None = None,
                 keyfile: str | None = None, header_timeout: float = HEADER_TIMEOUT,
                 body_timeout: float = BODY_TIMEOUT, max_connections: int = MAX_CONNECTIONS) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, backlog=512)
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(app, http=protocol(header_timeout, body_timeout), loop="asyncio",
                                lifespan="off", log_level="warning", access_log=False, server_header=False,
                                date_header=False, timeout_keep_alive=KEEP_ALIVE, limit_concurrency=max_connections,
                                h11_max_incomplete_event_size=MAX_HEADER_BYTES, timeout_graceful_shutdown=5,
                                ssl_certfile=certfile, ssl_keyfile=keyfile)
        self._server = uvicorn.Server(config)
        self._done: Future[None] | None = None

    def start(self, portal: BlockingPortal) -> None:
        """Serve on ``portal``'s event loop; returns once the socket accepts connections."""
        self._done = portal.start_task_soon(self._server.serve, [self.socket])
        while not self._server.started:
            if self._done.done():
                self._done.result()  # raises what stopped it
                raise OSError(f"the emulator's server on port {self.port} did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._done is not None:
            self._done.result(timeout=30)
        self.socket.close()
