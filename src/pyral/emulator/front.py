"""What the HTTP front knows besides HTTP: credentials, answers, and the per-instance knobs.

:class:`App` is the state one emulator's front works with (the backend, the WSAPI handlers,
injected faults, latency, per-user slots, the request cut-off).  Everything here is
synchronous and runs in a worker thread; the ASGI layer (``asgi.py``) moves the bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import traceback
from collections.abc import Callable
from typing import Any

from . import control, envelopes, errors
from .backend import Backend, Principal
from .faults import FaultBook, Latency
from .limits import DEFAULT_PER_USER, REQUEST_CUTOFF, UserSlots
from .lookback import Lookback
from .routing import Request, Route
from .schema_documents import SchemaDocuments
from .wsapi import Handlers, schema_not_found

log = logging.getLogger("pyral.emulator")
Answer = tuple[int, dict[str, str], bytes]
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Rally ALM"'}


def json_answer(status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> Answer:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update(extra or {})
    return status, headers, json.dumps(body, separators=(",", ":")).encode()


def text_answer(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Answer:
    return status, {"Content-Type": content_type}, text.encode()


def unauthorized(path: str, credentials_given: bool) -> Answer:
    """Rally's 401 page, with the Basic challenge."""
    reason = errors.WRONG_CREDENTIALS if credentials_given else errors.NO_CREDENTIALS
    status, headers, body = text_answer(401, errors.unauthorized_page(path, reason), "text/html;charset=utf-8")
    headers.update(CHALLENGE)
    return status, headers, body


def error_envelope(rt: Route, message: str) -> dict[str, Any]:
    """The envelope a client of this route expects, carrying one error."""
    if rt.kind in ("query", "collection"):
        return envelopes.query_error(message)
    if rt.kind == "create":
        return envelopes.create_result(None, [message])
    if rt.kind == "batch":
        return envelopes.batch_result([], [message])
    return envelopes.operation_result(errors=[message])


class App:
    """One emulator's front state; its methods run in worker threads."""

    def __init__(self, backend: Backend, on_reset: Callable[[], None] | None = None, *,
                 latency: Latency | None = None, per_user: int = DEFAULT_PER_USER,
                 cutoff: float = REQUEST_CUTOFF) -> None:
        self.backend = backend
        self.handlers = Handlers(backend)
        self.schemas = SchemaDocuments(backend.store)
        self.lookback = Lookback(backend)
        self.on_reset = on_reset
        self.faults = FaultBook()
        self.latency = latency or Latency()
        self.slots = UserSlots(per_user)
        self.cutoff = cutoff

    def authenticate(self, req: Request) -> tuple[Principal | None, bool]:
        """The caller, and whether any usable credentials were given at all."""
        api_key = req.headers.get("zsessionid") or req.cookies.get("ZSESSIONID")
        session = req.cookies.get("JSESSIONID")
        basic = None
        auth = req.headers.get("authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").partition(":")
                basic = (user, password)
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None, False  # unusable credentials: Rally asks for full authentication
        given = bool(api_key or basic)
        return self.backend.authenticate(basic=basic, api_key=api_key, session=session), given

    def answer(self, req: Request, rt: Route, principal: Principal) -> Answer:
        """The answer to an authenticated request (control plane, Lookback or WSAPI)."""
        try:
            if rt.kind == "control":
                return control.handle(self, req, rt.rest, principal)
            if rt.kind == "lookback":
                if req.method not in ("GET", "POST"):
                    return text_answer(405, f"405 Method Not Allowed: {req.method} {req.path}")
                return json_answer(*self.lookback.handle(req, rt.rest, principal))
            return self._wsapi(req, rt, principal)
        except RecursionError:
            if rt.kind == "control":
                return json_answer(400, {"Errors": ["The body is not valid JSON: it nests too deeply"]})
            return json_answer(200, error_envelope(
                rt, "Cannot parse input stream due to I/O error as JSON document: it nests too deeply"))
        except Exception as exc:  # noqa: BLE001 - report in Rally's envelope, never crash the front
            log.error("internal error on %s %s\n%s", req.method, req.path, traceback.format_exc())
            return json_answer(500, error_envelope(rt, f"Internal emulator error: {type(exc).__name__}: {exc}"))

    def _wsapi(self, req: Request, rt: Route, principal: Principal) -> Answer:
        if req.method == "DELETE" and rt.kind != "delete":
            return text_answer(405, f"405 Method Not Allowed: {req.method} {req.path}")
        if req.method in ("POST", "PUT") and rt.kind in ("query", "read", "collection") and (
                rt.kind != "query" or (req.param("_method") or "").upper() != "GET"):
            return json_answer(200, envelopes.operation_result(
                errors=[f"Cannot {req.method} to {req.path}: use GET to read, /create to create"]))
        if rt.kind == "schema":
            return self._schema(req, rt, principal)
        status, body = self.handlers.handle(req, rt, principal)
        extra = {"Set-Cookie": req.set_cookies[0]} if req.set_cookies else None  # set by the handler
        return json_answer(status, body, extra)

    def _schema(self, req: Request, rt: Route, principal: Principal) -> Answer:
        """The workspace schema: who may read it is checked every time; the document itself
        comes from :attr:`schemas`, gzip-compressed there when the caller takes gzip (the HTTP
        front's middleware leaves an encoded answer alone)."""
        workspace = self.handlers.schema_workspace(rt, principal)
        if workspace is None:
            return json_answer(*schema_not_found())
        gzipped = "gzip" in req.headers.get("accept-encoding", "")  # the middleware's own test
        body = self.schemas.get(workspace, req.base, lambda: json_answer(
            200, self.handlers.schema_document(req, workspace))[2], gzipped=gzipped)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if gzipped:
            headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return 200, headers, body
