"""Requests and routes: what the HTTP layer hands to the WSAPI handlers.

Paths are matched as Rally does: ``/slm/webservice/v2.0`` or ``v2.x``, an optional ``.js``
suffix on the last segment, type names case-insensitive, ``portfolioitem/<sub>`` as one type,
and the schema service under ``/slm/schema/v2.0|v2.x``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

WSAPI = re.compile(r"^/slm/webservice/v2\.[0x](?P<rest>/.*)?$", re.IGNORECASE)
SCHEMA = re.compile(r"^/slm/schema/v2\.[0x]/(?P<scope>workspace|project)/(?P<oid>\d+)(?:/(?P<hash>[^/]+))?/?$",
                    re.IGNORECASE)
CONTROL = re.compile(r"^/emulator(?P<rest>/.*)?$")
LOOKBACK = re.compile(r"^/analytics/v2\.0/service/rally/workspace/(?P<ws>[^/]+)/artifact/snapshot/query(?:\.js)?/?$",
                      re.IGNORECASE)


@dataclass
class Request:
    """One HTTP request, decoded."""

    method: str
    path: str
    params: dict[str, str]
    body: bytes
    headers: dict[str, str]
    cookies: dict[str, str]
    base: str
    query_string: str = ""
    set_cookies: list[str] = field(default_factory=list)
    # The entries of one batch share their request's ``workspace``/``project`` parameters: the
    # objects those name are looked up once per batch (WSAPI handlers' ``_param_row``).
    context_rows: dict[tuple[str, str], Any] | None = None

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, self.params.get(name.lower(), default))

    def flag(self, name: str, default: bool) -> bool:
        value = self.param(name)
        if value is None or value == "":
            return default
        return value.strip().lower() in ("true", "1", "yes")


@dataclass(frozen=True)
class Route:
    """Where a WSAPI path leads."""

    kind: str  # query | read | create | update | delete | copy | collection | collection_add | collection_remove
    #          | scoped_attribute | authorize | batch | schema | control | lookback | not_found
    type_name: str = ""
    oid: int | None = None
    attr: str = ""
    action: str = ""
    rest: str = ""


def route(method: str, path: str) -> Route:
    """Map a request path to a route (no knowledge of which types exist)."""
    path = unquote(path)
    m = CONTROL.match(path)
    if m:
        return Route("control", rest=(m.group("rest") or "/").strip("/"))
    m = LOOKBACK.match(path)
    if m:
        return Route("lookback", rest=m.group("ws"))
    m = SCHEMA.match(path)
    if m:
        return Route("schema", type_name=m.group("scope").lower(), oid=int(m.group("oid")))
    m = WSAPI.match(path)
    if not m:
        return Route("not_found")
    rest = (m.group("rest") or "").strip("/")
    segments = [s for s in rest.split("/") if s]
    if not segments:
        return Route("not_found")
    if segments[-1].lower().endswith(".js"):
        segments[-1] = segments[-1][:-3]
    lowered = [s.lower() for s in segments]
    if lowered[:2] == ["security", "authorize"]:
        return Route("authorize")
    if lowered == ["batch"]:
        return Route("batch")
    type_name = segments[0]
    i = 1
    if lowered[0] == "portfolioitem" and len(segments) > 1 and not _is_oid(segments[1]) and lowered[1] != "create":
        type_name = f"{segments[0]}/{segments[1]}"
        i = 2
    tail = segments[i:]
    low_tail = [t.lower() for t in tail]
    if not tail:
        return Route("query", type_name)
    if low_tail == ["create"]:
        return Route("create", type_name)
    if not _is_oid(tail[0]):
        return Route("not_found")
    oid = int(tail[0])
    if len(tail) == 1:
        kind = {"GET": "read", "POST": "update", "PUT": "update", "DELETE": "delete"}.get(method, "bad_method")
        return Route(kind, type_name, oid)
    if len(tail) == 2 and low_tail[1] == "copy" and method == "POST":
        return Route("copy", type_name, oid)
    if len(tail) == 2:
        return Route("collection", type_name, oid, tail[1])
    if len(tail) == 3 and low_tail[2] in ("add", "remove"):
        return Route(f"collection_{low_tail[2]}", type_name, oid, tail[1])
    if (len(tail) == 5 and low_tail[1] == "typedefinition" and low_tail[3] == "scopedattributedefinition"
            and _is_oid(tail[2]) and _is_oid(tail[4])):
        # project/<oid>/TypeDefinition/<oid>/ScopedAttributeDefinition/<attribute oid>
        return Route("scoped_attribute", type_name, oid, action=method, rest=f"{tail[2]}/{tail[4]}")
    return Route("not_found")


def _is_oid(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", text))
