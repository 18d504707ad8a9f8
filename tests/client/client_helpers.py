"""Helpers shared by the client tests."""

from __future__ import annotations

import threading
from typing import Any

import httpx


class CountingTransport(httpx.HTTPTransport):
    """An ``httpx.HTTPTransport`` that records every request it sends (thread-safe)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.sent.append(request)
        return super().handle_request(request)

    def lines(self) -> list[str]:
        """``METHOD path-after-v2.0`` for each request sent."""
        out = []
        for r in self.sent:
            path = r.url.path
            out.append(f"{r.method} {path.split('/v2.0/', 1)[-1]}")
        return out

    def reset(self) -> None:
        with self.lock:
            self.sent.clear()
