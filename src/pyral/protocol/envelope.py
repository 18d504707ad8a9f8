"""What a WSAPI answer means: status and body to an :class:`Envelope` or an exception, decided once.

A transport hands back a :class:`Reply` (status, ``json()``, ``text``); the ``expect_*``
functions are the only place that maps HTTP statuses and envelope errors to pyral's
exceptions, and :func:`retry_with_new_token` is the security-token rule for writes.  Both
clients call these; neither interprets a status itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import (
    RallyAuthError,
    RallyConnectionError,
    RallyNotFoundError,
    RallyResponseError,
    RallyRESTAPIError,
    UnreferenceableOIDError,
)

AUTH_TEXTS = ("An Authentication object was not found in the SecurityContext",
              "Error 401 The username or password you entered is incorrect.")
_BAD_PASSWORD = "The username or password you entered is incorrect."
_INVALID_KEY = "invalid key"



class Reply(Protocol):
    """The part of an HTTP answer the protocol reads (``pyral.transport.HTTPResponse`` is one)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


@dataclass
class Envelope:
    """A parsed WSAPI answer.

    ``kind`` is upstream's request type: ``Query``, ``Operation``, ``Create``, ``Update``,
    ``Delete``, ``Batch`` or ``ImpliedQuery`` (single-object read).  ``results`` holds the
    items to iterate; ``obj`` the ``Object`` of a create/update or the single object read.
    """

    kind: str
    key: str
    data: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total: int = 0
    start: int = 0
    page_size: int = 0
    results: list[Any] = field(default_factory=list)
    obj: dict[str, Any] | None = None


_RESULT_KINDS = {
    "QueryResult": "Query",
    "OperationResult": "Operation",
    "CreateResult": "Create",
    "UpdateResult": "Update",
    "DeleteResult": "Delete",
    "BatchResult": "Batch",
}


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _as_messages(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def parse_envelope(body: Any, target: str | None = None) -> Envelope:
    """Classify and unpack a decoded WSAPI JSON body.

    ``target`` is the expected type name of a single-object read (used only to pick the key
    when the body has several); raises :class:`RallyResponseError` for anything that is not a
    WSAPI envelope.
    """
    if not isinstance(body, dict) or not body:
        raise RallyResponseError(f"Response is not a WSAPI JSON envelope: {str(body)[:120]}")
    for key, kind in _RESULT_KINDS.items():
        if key in body and isinstance(body[key], dict):
            data = body[key]
            env = Envelope(kind=kind, key=key, data=data,
                           errors=_as_messages(data.get("Errors")),
                           warnings=_as_messages(data.get("Warnings")),
                           total=_as_int(data.get("TotalResultCount")),
                           start=_as_int(data.get("StartIndex")),
                           page_size=_as_int(data.get("PageSize")))
            results = data.get("Results")
            env.results = list(results) if isinstance(results, list) else []
            obj = data.get("Object")
            env.obj = obj if isinstance(obj, dict) else None
            return env
    if body.get("_CreatedAt") == "just now" and "_ref" in body:
        return Envelope(kind="Create", key="", data=body, obj=body)
    key = _pick_object_key(body, target)
    inner = body[key]
    if not isinstance(inner, dict):
        raise RallyResponseError(f"missing _Xx_Result specifier for target {target or key}")
    obj = {k: v for k, v in inner.items() if k not in ("Errors", "Warnings")}
    obj.setdefault("_type", key)
    env = Envelope(kind="ImpliedQuery", key=key, data=inner,
                   errors=_as_messages(inner.get("Errors")),
                   warnings=_as_messages(inner.get("Warnings")),
                   total=1, start=1, page_size=1, results=[obj], obj=obj)
    return env


def _pick_object_key(body: Mapping[str, Any], target: str | None) -> str:
    keys = [k for k, v in body.items() if isinstance(v, dict)]
    if not keys:
        raise RallyResponseError("Response carries no object")
    if target:
        wanted = target.split("/")[-1].lower()
        for k in keys:
            if k.lower() == wanted or k.lower() == target.lower():
                return k
    return keys[0]


def is_invalid_key_error(errors: Iterable[str]) -> bool:
    """True when Rally rejected the security token (``Not authorized ...: Invalid key``)."""
    return any(_INVALID_KEY in e.lower() for e in errors)


def retry_with_new_token(errors: Iterable[str], *, attempt: int, uses_api_key: bool) -> bool:
    """The security-token rule for writes under Basic auth.

    Rally answers a stale token with ``Invalid key`` among the ``errors`` and writes nothing, so the
    first attempt (``attempt == 0``) is sent again once with a refreshed token; an API key
    never needs a token, and a second refusal is returned to the caller as it is.
    """
    return attempt == 0 and not uses_api_key and is_invalid_key_error(errors)


def error_texts(reply: Reply) -> list[str]:
    """Error messages for a non-200 answer (the WSAPI ``Errors`` if the body has them)."""
    try:
        env = parse_envelope(reply.json())
        if env.errors:
            return env.errors
    except RallyResponseError:
        pass
    text = reply.text.strip()
    for known in AUTH_TEXTS:
        if known in text:
            return [known]
    return [text[:500] if text else f"HTTP {reply.status_code}"]


def known_error_text(problem: Any) -> str:
    """An error body as one line of text (Rally's authentication pages shortened to their message)."""
    text = problem.decode("utf-8", "replace") if isinstance(problem, bytes) else str(problem)
    for known in AUTH_TEXTS:
        if known in text:
            text = known
    return text


def expect_envelope(reply: Reply, target: str | None = None) -> Envelope:
    """The envelope of an answer that must be 200 (401 → :class:`RallyAuthError`, other → REST error)."""
    if reply.status_code == 401:
        raise RallyAuthError("Invalid credentials", status_code=401)
    if reply.status_code != 200:
        errs = error_texts(reply)
        raise RallyRESTAPIError(f"{reply.status_code} {errs[0]}", errors=errs, status_code=reply.status_code)
    return parse_envelope(reply.json(), target)


def expect_results(env: Envelope) -> list[Any]:
    """The items of an envelope that must carry no errors (REST error otherwise)."""
    if env.errors:
        raise RallyRESTAPIError(env.errors[0], errors=env.errors, warnings=env.warnings)
    return list(env.results)


def expect_page(reply: Reply, start: int | str) -> Envelope:
    """A further page of a query: any failure is a :class:`RallyResponseError` naming ``start``."""
    prefix = f"Unable to retrieve the page of results at start={start}: "
    if reply.status_code != 200:
        errs = error_texts(reply)
        raise RallyResponseError(f"{prefix}{reply.status_code} {errs[0]}", errors=errs,
                                 status_code=reply.status_code)
    env = parse_envelope(reply.json())
    if env.errors:
        raise RallyResponseError(f"{prefix}{env.errors[0]}", errors=env.errors, warnings=env.warnings)
    return env


def expect_object(reply: Reply, path: str) -> dict[str, Any]:
    """The object of a single read by path (unreadable → OID error, refused → not found)."""
    if reply.status_code != 200:
        raise UnreferenceableOIDError(f"{reply.status_code} Unreferenceable OID: {path}",
                                      status_code=reply.status_code)
    env = parse_envelope(reply.json())
    if env.errors or not env.obj:
        msg = env.errors[0] if env.errors else "no object"
        raise RallyNotFoundError(f"Unreferenceable {path}: {msg}", errors=env.errors)
    return env.obj


def expect_full_object(reply: Reply, label: str) -> dict[str, Any]:
    """The object of a lazy load of ``label`` (``Defect OID 12``); any failure is an OID error."""
    if reply.status_code != 200:
        raise UnreferenceableOIDError(label, status_code=reply.status_code)
    env = parse_envelope(reply.json())
    if env.errors or not env.obj:
        raise UnreferenceableOIDError(label, errors=env.errors)
    return env.obj


def expect_user(reply: Reply, server: str) -> dict[str, Any]:
    """The user of the connect request (``GET user``), or why connecting failed."""
    unreachable = f"404 Target host: '{server}' is either not reachable or doesn't support the Rally WSAPI"
    if reply.status_code == 401:
        raise RallyAuthError("Invalid credentials", status_code=401)
    if reply.status_code == 404:
        raise RallyConnectionError(unreachable, status_code=404)
    if reply.status_code != 200:
        errs = error_texts(reply)
        if _BAD_PASSWORD in errs[0]:
            raise RallyAuthError("Invalid credentials", status_code=reply.status_code)
        raise RallyConnectionError(f"{reply.status_code} {errs[0][:80]}", status_code=reply.status_code)
    try:
        env = parse_envelope(reply.json(), "User")
    except RallyResponseError as exc:
        raise RallyConnectionError(unreachable) from exc
    if env.errors:
        raise RallyAuthError(env.errors[0], errors=env.errors)
    if not env.results or not isinstance(env.results[0], dict):
        raise RallyAuthError("Invalid credentials")
    user: dict[str, Any] = env.results[0]
    return user


def security_token(env: Envelope) -> str:
    """The token of a ``security/authorize`` answer."""
    token = env.data.get("SecurityToken")
    if not token:
        raise RallyAuthError("Unable to obtain a security token", errors=env.errors)
    return str(token)


@dataclass
class ResponseState:
    """How a query answer starts a :class:`~pyral.client.response.RallyRESTResponse`."""

    status_code: int
    errors: list[str]
    content: Any
    data: dict[str, Any]
    envelope: Envelope | None = None
    warnings: list[str] = field(default_factory=list)


def response_state(reply: Reply, target: str | None) -> ResponseState:
    """A non-200 answer keeps its errors (no raise, as upstream); envelope errors make it 422."""
    if reply.status_code != 200:
        errors = error_texts(reply)
        data: dict[str, Any] = {"Errors": errors, "Warnings": [], "Results": []}
        return ResponseState(reply.status_code, errors, {"OperationResult": data}, data)
    body = reply.json()
    env = parse_envelope(body, target)
    status = 422 if env.errors else 200
    return ResponseState(status, env.errors, body, env.data, env, env.warnings)
