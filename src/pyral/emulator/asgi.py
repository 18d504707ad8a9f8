"""The emulator as an ASGI application (Starlette): routes, body decoding, faults, limits.

Starlette routes the four path families (control plane, WSAPI, schema service, Lookback API) and answers
404/405 for everything else; gzip answers come from its middleware.  Each request then goes:
injected fault → body decoding (bounded, gzip-aware) → authentication (worker thread) →
the user's concurrency slot → latency → the handler (worker thread), all under Rally's
request cut-off.  The synchronous core runs in anyio's worker threads; the store locks itself.
"""

from __future__ import annotations

import zlib
from typing import Any
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route as HttpRoute

from .faults import Fault
from .front import Answer, App, json_answer, text_answer, unauthorized
from .routing import Request, Route, route

MAX_BODY = 80 * 1024 * 1024  # WSAPI: a 50 MB attachment, base64-encoded, fits
MAX_IMPORT_BODY = 1024 * 1024 * 1024  # the control plane's whole-store import
GZIP_MIN = 1024
METHODS = ["GET", "POST", "PUT", "DELETE"]
CUTOFF_PAGE = ("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
               "<p>The request took longer than the server allows and was cut off.</p></body></html>")


def to_response(answer: Answer) -> Response:
    status, headers, body = answer
    return Response(body, status_code=status, headers=headers)


class ConnectionDropped(ConnectionResetError):
    """A ``reset`` fault with no socket to drop (in-process use): the transport maps it."""


async def _read_body(request: HttpRequest, limit: int) -> bytes | Answer:
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            return text_answer(400, "400 Bad Request: invalid Content-Length")
        if int(length) > limit:
            return text_answer(413, f"413 Request Entity Too Large: the body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return text_answer(413, f"413 Request Entity Too Large: the body exceeds {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if request.headers.get("content-encoding", "").lower() == "gzip" and body:
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, limit + 1)  # bounded: no gzip bomb
        except zlib.error:
            return text_answer(400, "400 Bad Request: the gzip body could not be decoded")
        if len(body) > limit:
            return text_answer(413, f"413 Request Entity Too Large: the body exceeds {limit} bytes")
    return body


async def decode(request: HttpRequest, path: str) -> Request | Answer:
    """The framework's request as the handlers' :class:`Request` (or an error answer)."""
    limit = MAX_IMPORT_BODY if path.rstrip("/") == "/emulator/import" else MAX_BODY
    body = await _read_body(request, limit)
    if isinstance(body, tuple):
        return body
    query = request.scope.get("query_string", b"").decode("latin-1")
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, value)
    headers = {k.lower(): v for k, v in request.headers.items()}
    method = "GET" if request.method == "HEAD" else request.method
    if "application/x-www-form-urlencoded" in headers.get("content-type", "") and body:
        form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        if form.get("_method", "").upper() == "GET":
            method = "GET"
            params.update(form)
            body = b""
    server = request.scope.get("server") or ("127.0.0.1", 80)
    host = headers.get("host") or f"{server[0]}:{server[1]}"
    return Request(method=method, path=path, params=params, body=body, headers=headers,
                   cookies=dict(request.cookies), base=f"{request.url.scheme}://{host}", query_string=query)


async def _fault_answer(request: HttpRequest, fault: Fault) -> Response | None:
    if fault.kind == "429":
        return Response(b'{"Errors":["Too Many Requests"]}', 429, media_type="application/json",
                        headers={"Retry-After": f"{fault.retry_after:g}"})
    if fault.kind == "503":
        return Response(b"<html><body><h1>503 Service Unavailable</h1></body></html>", 503,
                        media_type="text/html", headers={"Retry-After": f"{fault.retry_after:g}"})
    if fault.kind == "reset":
        abort = request.scope.get("extensions", {}).get("pyral.abort")
        if abort is None:
            raise ConnectionDropped("reset fault: the emulator dropped the connection")
        abort()
        await anyio.sleep(0)  # let the server see the connection gone; the answer below goes nowhere
        return Response(b"", 500)
    return None  # "slow": delayed inside the user's slot


async def endpoint(request: HttpRequest) -> Response:
    app: App = request.app.state.front
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    rt = route(request.method, path)
    if rt.kind == "not_found":
        return to_response(text_answer(404, f"404 Not Found: {path} is not a Rally WSAPI v2.0 endpoint"))
    if rt.kind == "bad_method":
        return to_response(text_answer(405, f"405 Method Not Allowed: {request.method} {path}"))
    fault = app.faults.take(request.method, path) if rt.kind != "control" else None
    if fault is not None:
        faulted = await _fault_answer(request, fault)
        if faulted is not None:
            return faulted
    try:
        decoded = await decode(request, path)
    except ClientDisconnect:
        return Response(b"", 400)  # nobody is listening any more
    if isinstance(decoded, tuple):
        status, headers, body = decoded
        return to_response((status, {**headers, "Connection": "close"}, body))
    if rt.kind == "control":
        return to_response(await _authenticated(app, decoded, rt, None))
    with anyio.move_on_after(app.cutoff) as cutoff:
        return to_response(await _authenticated(app, decoded, rt, fault))
    assert cutoff.cancelled_caught
    return to_response(text_answer(502, CUTOFF_PAGE, "text/html; charset=utf-8"))


async def _authenticated(app: App, req: Request, rt: Route, fault: Fault | None) -> Answer:
    principal, given = await anyio.to_thread.run_sync(app.authenticate, req, abandon_on_cancel=True)
    if principal is None:
        return unauthorized(req.path, given)
    if rt.kind == "control":
        return await anyio.to_thread.run_sync(app.answer, req, rt, principal)
    async with app.slots.hold(principal.oid):
        delay = app.latency.next() + (fault.delay if fault is not None else 0.0)
        if delay > 0:
            await anyio.sleep(delay)
        return await anyio.to_thread.run_sync(app.answer, req, rt, principal, abandon_on_cancel=True)


async def _http_error(request: HttpRequest, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    path = request.url.path
    if status == 405:
        return to_response(text_answer(405, f"405 Method Not Allowed: {request.method} {path}"))
    if status == 404:
        return to_response(text_answer(404, f"404 Not Found: {path} is not a Rally WSAPI v2.0 endpoint"))
    return to_response(json_answer(status, {"Errors": [f"HTTP {status}"]}))


def build(app: App) -> Starlette:
    """The Starlette application serving ``app``."""
    routes = [HttpRoute(path, endpoint, methods=METHODS) for path in (
        "/emulator", "/emulator/{rest:path}", "/slm/webservice/{version}/{rest:path}",
        "/slm/schema/{version}/{rest:path}", "/analytics/{rest:path}")]
    handlers: dict[Any, Any] = {404: _http_error, 405: _http_error}
    asgi = Starlette(routes=routes, exception_handlers=handlers,
                     middleware=[Middleware(GZipMiddleware, minimum_size=GZIP_MIN, compresslevel=1)])
    asgi.router.redirect_slashes = False  # Rally answers 404, it does not redirect
    asgi.state.front = app
    return asgi
