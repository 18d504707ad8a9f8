"""The embeddable emulator: ``with Emulator(demo=True) as emu: ...``."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import Any

from .backend import DEFAULT_ADMIN_API_KEY, DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_USER, Backend
from .server import App, Server, serve
from .store import Store
from .tls import self_signed, server_context


class Emulator:
    """A Rally WSAPI v2.0 server on a background thread.

    ``port=0`` picks a free port; ``db`` is a SQLite file (everything survives a restart) or
    None for memory; ``tls`` serves HTTPS with a self-signed certificate unless ``cert``/``key``
    are given; ``demo`` loads the demo data set into a fresh store.  Admin credentials default
    to the ``RALLY_EMULATOR_ADMIN_USER/_PASSWORD/_API_KEY`` environment variables, then to
    documented defaults.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False, db: str | None = None,
                 demo: bool = False, admin_user: str | None = None, admin_password: str | None = None,
                 admin_api_key: str | None = None, cert: str | None = None, key: str | None = None) -> None:
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
        self.backend: Backend | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._snapshot: dict[str, Any] | None = None
        self._reset_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is not None:
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
        context = None
        if self.tls:
            if not (self.cert and self.key):
                self.cert, self.key = self_signed(self.host)
            context = server_context(self.cert, self.key)
        self._server, self._thread = serve(App(backend, on_reset=self.reset), self.host, self.port, context)
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.backend is not None:
            self.backend.store.close()
            self.backend = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the state at start (the demo data, if any, included), on the real clock."""
        assert self.backend is not None and self._snapshot is not None
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
