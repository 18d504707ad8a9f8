"""The embeddable emulator: ``with Emulator(demo=True) as emu: ...``."""

from __future__ import annotations

import os
import threading
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.applications import Starlette

from . import asgi
from .backend import DEFAULT_ADMIN_API_KEY, DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_USER, Backend
from .faults import Fault, Latency, parse_fault
from .front import App
from .inprocess import AsyncPortalTransport, SyncTransport
from .limits import DEFAULT_PER_USER, REQUEST_CUTOFF
from .server import BODY_TIMEOUT, HEADER_TIMEOUT, MAX_CONNECTIONS, Server
from .store import Store
from .tls import self_signed


class Emulator:
    """A Rally WSAPI v2.0 server on a background thread.

    ``port=0`` picks a free port; ``db`` is a SQLite file (everything survives a restart) or
    None for memory; ``tls`` serves HTTPS with a self-signed certificate unless ``cert``/``key``
    are given; ``demo`` loads the demo data set into a fresh store.  Admin credentials default
    to the ``RALLY_EMULATOR_ADMIN_USER/_PASSWORD/_API_KEY`` environment variables, then to
    documented defaults.  ``latency`` delays every WSAPI answer (seconds, or ``(base, jitter)``);
    ``max_concurrent_per_user`` is Rally's simultaneous-request limit (extra requests wait);
    ``request_cutoff`` is Rally's 5-minute cut-off (answered 502); ``header_timeout`` and
    ``body_timeout`` bound how long a client may take to send a request;
    ``max_connections`` bounds open connections (503 beyond).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False, db: str | None = None,
                 demo: bool = False, admin_user: str | None = None, admin_password: str | None = None,
                 admin_api_key: str | None = None, cert: str | None = None, key: str | None = None,
                 latency: float | tuple[float, float] | Latency | None = None,
                 max_concurrent_per_user: int = DEFAULT_PER_USER, request_cutoff: float = REQUEST_CUTOFF,
                 header_timeout: float = HEADER_TIMEOUT, body_timeout: float = BODY_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.host = host
        self.port = port
        self.tls = tls or bool(cert)
        self.db = db
        self.demo = demo
        env = os.environ
        self.admin_user = admin_user or env.get("RALLY_EMULATOR_ADMIN_USER") or DEFAULT_ADMIN_USER
        self.admin_password = admin_password or env.get("RALLY_EMULATOR_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
        self.admin_api_key = admin_api_key or env.get("RALLY_EMULATOR_ADMIN_API_KEY") or DEFAULT_ADMIN_API_KEY
        self.cert, self.key = cert, key
        self.latency = Latency.of(latency)
        self.max_concurrent_per_user = max_concurrent_per_user
        self.request_cutoff = request_cutoff
        self.header_timeout, self.body_timeout = header_timeout, body_timeout
        self.max_connections = max_connections
        self.backend: Backend | None = None
        self.front: App | None = None
        self.app: Starlette | None = None
        self._server: Server | None = None
        self._snapshot: dict[str, Any] | None = None
        self._reset_lock = threading.Lock()
        self._loop = ExitStack()
        self._portal: BlockingPortal | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def open(self) -> Emulator:
        """Open the store and build the app, without listening (enough for :meth:`transport`)."""
        if self.app is not None:
            return self
        store = Store(self.db)
        fresh = store.get_meta("subscription") is None
        backend = Backend(store, admin_user=self.admin_user, admin_password=self.admin_password,
                          admin_api_key=self.admin_api_key)
        if fresh and self.demo:
            from .demo import populate

            populate(backend)
        self.backend = backend
        self._snapshot = store.dump()
        self.front = App(backend, on_reset=self.reset, latency=self.latency, per_user=self.max_concurrent_per_user,
                         cutoff=self.request_cutoff)
        self.app = asgi.build(self.front)
        self._portal = self._loop.enter_context(start_blocking_portal())  # the emulator's one event loop
        return self

    def start(self) -> Emulator:
        """Open (if needed) and serve on ``host:port`` in a background thread."""
        if self._server is not None:
            return self
        self.open()
        if self.tls and not (self.cert and self.key):
            self.cert, self.key = self_signed(self.host)
        server = Server(self.app, self.host, self.port, certfile=self.cert if self.tls else None,
                        keyfile=self.key if self.tls else None, header_timeout=self.header_timeout,
                        body_timeout=self.body_timeout, max_connections=self.max_connections)
        assert self._portal is not None
        server.start(self._portal)
        self._server, self.port = server, server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._loop.close()
        self._portal = None
        if self.backend is not None:
            self.backend.store.close()
            self.backend = None
        self.front = self.app = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the state at start (the demo data, if any, included), on the real clock; injected faults
        are cleared."""
        assert self.backend is not None and self._snapshot is not None
        if self.front is not None:
            self.front.faults.clear()
        with self._reset_lock:
            self.backend.store.load(self._snapshot)
            self.backend.reload()
            self.backend.clock.set(None)

    # -- time ------------------------------------------------------------------------------
    def set_clock(self, when: datetime | None) -> datetime:
        """Emulate ``when`` (aware) as now for every write; None returns to the real clock.

        Refused (``ClockError``) when it would move back before the latest artifact write.
        """
        assert self.backend is not None, "start the emulator first"
        return self.backend.set_clock(when)

    def advance_clock(self, seconds: float) -> datetime:
        """Move the (emulated) clock forward by ``seconds``; returns the new now."""
        assert self.backend is not None, "start the emulator first"
        return self.backend.advance_clock(seconds)

    # -- in-process access and faults ------------------------------------------------------
    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport into the app, no sockets: ``httpx.Client(transport=..., base_url=emu.url)``."""
        self.open()
        assert self.app is not None and self._portal is not None
        return SyncTransport(self.app, self._portal)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for ``httpx.AsyncClient`` (the app still runs on the emulator's loop)."""
        transport = self.transport()
        assert isinstance(transport, SyncTransport)
        return AsyncPortalTransport(transport)

    def inject(self, kind: str, path: str = "", *, method: str = "*", count: int = 1,
               retry_after: float = 1.0, delay: float | None = None) -> Fault:
        """Fault the next ``count`` requests whose method and path (a regex) match; see docs/emulator.md."""
        spec: dict[str, Any] = {"method": method, "path": path, "kind": kind, "count": count,
                                "retry_after": retry_after}
        if delay is not None:
            spec["delay"] = delay
        fault = parse_fault(spec)
        self._front().faults.add(fault)
        return fault

    def faults(self) -> list[dict[str, Any]]:
        """The injected faults still pending, with what is left of each."""
        return self._front().faults.pending()

    def clear_faults(self) -> int:
        return self._front().faults.clear()

    def _front(self) -> App:
        self.open()
        assert self.front is not None
        return self.front

    # -- addresses -------------------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def server(self) -> str:
        """``host:port`` (what upstream pyral's ``Rally(server=...)`` takes)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8123`` (WSAPI lives under ``/slm/webservice/v2.0``)."""
        return f"{self.scheme}://{self.server}"

    @property
    def wsapi_url(self) -> str:
        return f"{self.url}/slm/webservice/v2.0"
