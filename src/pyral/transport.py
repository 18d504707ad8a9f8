"""HTTP transport: sends :class:`pyral.protocol.Request` objects with httpx.

:class:`SyncTransport` owns one ``httpx.Client`` (HTTP/1.1, keep-alive, gzip) per ``Rally``
instance.  Every request has a timeout; idempotent requests (GET) are retried with
exponential backoff and jitter on connection errors and on 429/502/503/504, honouring
``Retry-After``; writes are never retried.  At most ``max_in_flight`` requests (Rally's
per-user limit of 12) are on the wire at once.

The :class:`Transport` protocol is the seam for other implementations;
:class:`AsyncHTTPTransport` is the awaitable one (``async def send``), with the same rules.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from .errors import RallyConnectionError, RallyResponseError
from .protocol import ANALYTICS_SERVICE_PATH, SCHEMA_SERVICE_PATH, WEB_SERVICE_PATH, Request
from .support.certificates import ssl_context
from .support.log import redact
from .support.settings import DEFAULT_TIMEOUT

DEFAULT_MAX_RETRIES = 3
MAX_IN_FLIGHT = 12
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0


@dataclass
class HTTPResponse:
    """What a transport hands back: status, headers, raw body and the request it answers."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    request: Request
    elapsed: float = 0.0
    _json: Any = field(default=None, repr=False)
    _decoded: bool = field(default=False, repr=False)

    def json(self) -> Any:
        """The decoded JSON body; raises :class:`RallyResponseError` if it is not JSON."""
        if not self._decoded:
            try:
                self._json = json.loads(self.content.decode("utf-8") or "null")
            except (ValueError, UnicodeDecodeError) as exc:
                raise RallyResponseError(
                    f"Response for request: {self.request.path} either was not JSON content or was "
                    "an invalidly formed/incomplete JSON structure",
                    status_code=self.status_code) from exc
            self._decoded = True
        return self._json

    @property
    def text(self) -> str:
        """The body as text (errors replaced)."""
        return self.content.decode("utf-8", errors="replace")


class Transport(Protocol):
    """Anything that can send a WSAPI request and return an :class:`HTTPResponse`."""

    def send(self, request: Request) -> HTTPResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """The seam for a future async client: same contract, awaitable (e.g. ``httpx.AsyncClient``).

    Request building and envelope parsing (``pyral.protocol``) are shared unchanged.
    """

    async def send(self, request: Request) -> HTTPResponse: ...

    async def aclose(self) -> None: ...


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, min(float(value), _MAX_RETRY_AFTER))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), _MAX_RETRY_AFTER))


class _TransportBase:
    """Configuration, URL building, retry timing and error mapping shared by both transports."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES, backoff: float = 0.25,
                 max_in_flight: int = MAX_IN_FLIGHT, server_label: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.server_label = server_label or httpx.URL(self.base_url).host
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        self.backoff = float(backoff)
        self.max_in_flight = max(1, int(max_in_flight))

    def _client_options(self, auth: tuple[str, str] | None, headers: Mapping[str, str] | None,
                        verify: bool | str) -> dict[str, Any]:
        """Keyword arguments shared by ``httpx.Client`` and ``httpx.AsyncClient``."""
        verify_arg = ssl_context(verify)  # see pyral.support.certificates for the order
        return {"auth": httpx.BasicAuth(*auth) if auth else None, "headers": dict(headers or {}),
                "verify": verify_arg, "timeout": httpx.Timeout(self.timeout), "http1": True, "http2": False,
                "follow_redirects": True,
                "limits": httpx.Limits(max_connections=self.max_in_flight,
                                       max_keepalive_connections=self.max_in_flight)}

    def url_for(self, request: Request) -> str:
        """Absolute URL of ``request`` (query string included)."""
        root = {"schema": SCHEMA_SERVICE_PATH, "analytics": ANALYTICS_SERVICE_PATH}.get(
            request.service, WEB_SERVICE_PATH)
        qs = request.query_string()
        url = f"{self.base_url}/{root}/{request.path.lstrip('/')}"
        return f"{url}?{qs}" if qs else url

    def _prepare(self, request: Request) -> tuple[str, bytes | None, int]:
        """(url, body bytes, number of attempts): GETs may be retried, writes never."""
        # compact JSON (no blanks after separators): about 8 % fewer bytes for a batch of stories
        content = (json.dumps(request.body, separators=(",", ":")).encode("utf-8")
                   if request.body is not None else None)
        return self.url_for(request), content, 1 + (self.max_retries if request.idempotent else 0)

    def _retry_delay(self, attempt: int, attempts: int, resp: httpx.Response | None) -> float | None:
        """Seconds to wait before trying again, or None when this answer is final."""
        if attempt + 1 >= attempts:
            return None
        if resp is None:  # a connection error
            return self._delay(attempt, None)
        if resp.status_code in RETRY_STATUSES:
            return self._delay(attempt, _retry_after(resp.headers))
        return None

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        base: float = self.backoff * (2 ** attempt)
        return min(base + random.uniform(0, base), _MAX_RETRY_AFTER)

    def _connection_error(self, exc: Exception, elapsed: float) -> RallyConnectionError:
        host = self.server_label
        if isinstance(exc, httpx.TimeoutException):
            return RallyConnectionError(
                f"Request timed out on attempt to reach {host} ({elapsed:.1f} secs)")
        text = redact(str(exc))
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return RallyConnectionError("SSL certificate verification failed")
        if isinstance(exc, httpx.ProxyError):
            return RallyConnectionError(f"Proxy error: {text}")
        return RallyConnectionError(f"Target Rally host: '{host}' non-existent or unreachable")


_CLOSED = "This Rally instance is closed; create a new one to talk to Rally"


class SyncTransport(_TransportBase):
    """Blocking transport over one shared ``httpx.Client`` (thread-safe)."""

    def __init__(self, base_url: str, *, auth: tuple[str, str] | None = None,
                 headers: Mapping[str, str] | None = None, verify: bool | str = True,
                 timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_MAX_RETRIES,
                 backoff: float = 0.25, max_in_flight: int = MAX_IN_FLIGHT,
                 http_transport: httpx.BaseTransport | None = None,
                 server_label: str | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(base_url, timeout=timeout, max_retries=max_retries, backoff=backoff,
                         max_in_flight=max_in_flight, server_label=server_label)
        self.sleep = sleep  # waits between retries go through here (a test may record them)
        self._slots = threading.BoundedSemaphore(self.max_in_flight)
        self._client = httpx.Client(transport=http_transport, **self._client_options(auth, headers, verify))

    def send(self, request: Request) -> HTTPResponse:
        """Send ``request``; GETs are retried on transient failures, writes never."""
        if self._client.is_closed:
            raise RallyConnectionError(_CLOSED)
        url, content, attempts = self._prepare(request)
        for attempt in range(attempts):
            started = time.monotonic()
            try:
                with self._slots:
                    resp = self._client.request(request.method, url, content=content)
            except httpx.TransportError as exc:
                delay = self._retry_delay(attempt, attempts, None)
                if delay is None:
                    raise self._connection_error(exc, time.monotonic() - started) from exc
                self.sleep(delay)
                continue
            delay = self._retry_delay(attempt, attempts, resp)
            if delay is None:
                return HTTPResponse(resp.status_code, resp.headers, resp.content, request,
                                    time.monotonic() - started)
            self.sleep(delay)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class AsyncHTTPTransport(_TransportBase):
    """Awaitable transport over one ``httpx.AsyncClient``: same rules as :class:`SyncTransport`.

    It drives the same sans-I/O requests and envelope parsing (``pyral.protocol``); an async
    ``Rally`` built on it is future work.
    """

    def __init__(self, base_url: str, *, auth: tuple[str, str] | None = None,
                 headers: Mapping[str, str] | None = None, verify: bool | str = True,
                 timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_MAX_RETRIES,
                 backoff: float = 0.25, max_in_flight: int = MAX_IN_FLIGHT,
                 http_transport: httpx.AsyncBaseTransport | None = None,
                 server_label: str | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        super().__init__(base_url, timeout=timeout, max_retries=max_retries, backoff=backoff,
                         max_in_flight=max_in_flight, server_label=server_label)
        self.sleep = sleep
        self._slots: asyncio.Semaphore | None = None  # made in the running loop
        self._client = httpx.AsyncClient(transport=http_transport, **self._client_options(auth, headers, verify))

    async def send(self, request: Request) -> HTTPResponse:
        """Send ``request``; GETs are retried on transient failures, writes never."""
        if self._client.is_closed:
            raise RallyConnectionError(_CLOSED)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)
        url, content, attempts = self._prepare(request)
        for attempt in range(attempts):
            started = time.monotonic()
            try:
                async with self._slots:
                    resp = await self._client.request(request.method, url, content=content)
            except httpx.TransportError as exc:
                delay = self._retry_delay(attempt, attempts, None)
                if delay is None:
                    raise self._connection_error(exc, time.monotonic() - started) from exc
                await self.sleep(delay)
                continue
            delay = self._retry_delay(attempt, attempts, resp)
            if delay is None:
                return HTTPResponse(resp.status_code, resp.headers, resp.content, request,
                                    time.monotonic() - started)
            await self.sleep(delay)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
