"""The HTTP(S) front: decoding requests, authentication, encoding answers.

A threading HTTP/1.1 server (keep-alive, gzip when asked) hands each decoded request to
:class:`App`, which routes it to the control plane or the WSAPI handlers.  Missing or bad
credentials get Rally's non-JSON 401 page; unknown paths 404; wrong methods 405; oversize
bodies 413; anything unexpected a JSON 500 that names the failure (never a half-written store,
since every write runs in one transaction).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import logging
import ssl
import threading
import traceback
import zlib
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import control, envelopes, errors
from .backend import Backend
from .lookback import Lookback
from .routing import Request, route
from .wsapi import Handlers

log = logging.getLogger("pyral.emulator")
MAX_BODY = 80 * 1024 * 1024  # WSAPI: a 50 MB attachment, base64-encoded, fits
MAX_IMPORT_BODY = 1024 * 1024 * 1024  # the control plane's whole-store import
GZIP_MIN = 1024
ALLOWED_METHODS = {"GET", "POST", "PUT", "DELETE"}

Answer = tuple[int, dict[str, str], bytes]


def json_answer(status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> Answer:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update(extra or {})
    return status, headers, json.dumps(body, separators=(",", ":")).encode()


def text_answer(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Answer:
    return status, {"Content-Type": content_type}, text.encode()


class App:
    """Routes decoded requests; independent of the socket server (used directly in tests)."""

    def __init__(self, backend: Backend, on_reset: Any = None) -> None:
        self.backend = backend
        self.handlers = Handlers(backend)
        self.lookback = Lookback(backend)
        self.on_reset = on_reset

    def __call__(self, req: Request) -> Answer:
        rt = route(req.method, req.path)
        if rt.kind == "not_found":
            return text_answer(404, f"404 Not Found: {req.path} is not a Rally WSAPI v2.0 endpoint")
        if req.method not in ALLOWED_METHODS or rt.kind == "bad_method":
            return text_answer(405, f"405 Method Not Allowed: {req.method} {req.path}")
        principal = self._principal(req)
        if principal is None:
            return text_answer(401, errors.UNAUTHORIZED_BODY, "text/html; charset=utf-8")
        if rt.kind == "control":
            return control.handle(self, req, rt.rest, principal)
        if rt.kind == "lookback":
            if req.method not in ("GET", "POST"):
                return text_answer(405, f"405 Method Not Allowed: {req.method} {req.path}")
            return json_answer(*self.lookback.handle(req, rt.rest, principal))
        if req.method == "DELETE" and rt.kind not in ("delete",):
            return text_answer(405, f"405 Method Not Allowed: {req.method} {req.path}")
        if req.method in ("POST", "PUT") and rt.kind in ("query", "read", "collection") and (
                rt.kind != "query" or (req.param("_method") or "").upper() != "GET"):
                return json_answer(200, envelopes.operation_result(
                    errors=[f"Cannot {req.method} to {req.path}: use GET to read, /create to create"]))
        status, body = self.handlers.handle(req, rt, principal)
        extra = {"Set-Cookie": req.set_cookies[0]} if req.set_cookies else None
        return json_answer(status, body, extra)

    def _principal(self, req: Request):  # noqa: ANN202 - Principal | None
        api_key = req.headers.get("zsessionid") or req.cookies.get("ZSESSIONID")
        basic = None
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
                basic = (user, password)
            except (binascii.Error, UnicodeDecodeError):
                return None
        session = req.cookies.get("JSESSIONID")
        return self.backend.authenticate(basic=basic, api_key=api_key, session=session if not (basic or api_key) else session)


def decode(handler: BaseHTTPRequestHandler, scheme: str) -> Request | Answer:
    """Turn the raw HTTP request into a :class:`Request` (or an error answer)."""
    parts = urlsplit(handler.path)
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(key, value)
    headers = {k.lower(): v for k, v in handler.headers.items()}
    limit = MAX_IMPORT_BODY if parts.path.rstrip("/") == "/emulator/import" else MAX_BODY
    length = headers.get("content-length")
    body = b""
    if length:
        try:
            size = int(length)
        except ValueError:
            return text_answer(400, "400 Bad Request: invalid Content-Length")
        if size > limit:
            return text_answer(413, f"413 Request Entity Too Large: the body exceeds {limit} bytes")
        body = handler.rfile.read(size)
    if headers.get("content-encoding", "").lower() == "gzip" and body:
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, limit + 1)  # bounded: a small gzip bomb stays small
        except zlib.error:
            return text_answer(400, "400 Bad Request: the gzip body could not be decoded")
        if len(body) > limit:
            return text_answer(413, f"413 Request Entity Too Large: the body exceeds {limit} bytes")
    method = handler.command.upper()
    if "application/x-www-form-urlencoded" in headers.get("content-type", "") and body:
        form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        if form.get("_method", "").upper() == "GET":
            method = "GET"
            params.update(form)
            body = b""
    cookies: dict[str, str] = {}
    if "cookie" in headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers["cookie"])
        except Exception:  # noqa: BLE001 - a malformed cookie header is just ignored
            jar = SimpleCookie()
        cookies = {k: m.value for k, m in jar.items()}
    address: Any = handler.server.server_address
    host = headers.get("host") or f"{address[0]}:{address[1]}"
    return Request(method=method, path=parts.path, params=params, body=body, headers=headers, cookies=cookies,
                   base=f"{scheme}://{host}", query_string=parts.query)


def make_handler(app: App, scheme: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "RallyEmulator/2.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("%s " + format, self.address_string(), *args)

        def _serve(self) -> None:
            decoded = decode(self, scheme)
            if isinstance(decoded, tuple):
                answer = decoded
                self.close_connection = True
            else:
                try:
                    answer = app(decoded)
                except Exception as exc:  # noqa: BLE001 - report, never crash the server
                    log.error("internal error on %s %s\n%s", self.command, self.path, traceback.format_exc())
                    answer = json_answer(500, envelopes.operation_result(
                        errors=[f"Internal emulator error: {type(exc).__name__}: {exc}"]))
            status, headers, body = answer
            if body and len(body) >= GZIP_MIN and "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body, compresslevel=1)
                headers["Content-Encoding"] = "gzip"
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")  # so keep-alive clients do not reuse this socket
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def serve(app: App, host: str, port: int, ssl_context: ssl.SSLContext | None) -> tuple[Server, threading.Thread]:
    """Start serving in a background thread; returns the server and its thread."""
    scheme = "https" if ssl_context else "http"
    server = Server((host, port), make_handler(app, scheme))
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name=f"rally-emulator-{port}", daemon=True)
    thread.start()
    return server, thread
