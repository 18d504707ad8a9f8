"""What a WSAPI request is: :class:`Request`, the request builders, refs and argument checks.

Nothing here touches a socket.  :class:`Request` describes one HTTP exchange (method, path
relative to the service root, ordered query parameters, JSON body); the builder functions
produce the exact requests both clients send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..support.settings import KILO_PAGESIZE, SCHEMA_SERVICE, WEB_SERVICE, WS_API_VERSION
from ..support.settings import MAX_ITEMS as _MAX_ITEMS
from ..support.settings import MAX_PAGESIZE as _MAX_PAGESIZE

WEB_SERVICE_PATH = f"{WEB_SERVICE}/{WS_API_VERSION}"
SCHEMA_SERVICE_PATH = f"{SCHEMA_SERVICE}/{WS_API_VERSION}"
ANALYTICS_SERVICE_PATH = "analytics/v2.0/service/rally"
MAX_PAGESIZE = _MAX_PAGESIZE
DEFAULT_PAGESIZE = KILO_PAGESIZE
MAX_ITEMS = _MAX_ITEMS

_REF_SPLIT = re.compile(r"/(?:webservice|schema)/v2\.[0x]/", re.IGNORECASE)
_FORMATTED_ID = re.compile(r"^[A-Za-z]+\d+$")
_TRUTHY = {"1", "true", "yes", "on"}

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Request:
    """One WSAPI request, independent of any HTTP library.

    ``path`` is relative to the service root (``HierarchicalRequirement``, ``defect/12``,
    ``security/authorize``); ``service`` selects the web service, the schema service or the analytics (Lookback) service.
    """

    method: str
    path: str
    params: Params = ()
    body: Any = None
    service: str = "webservice"

    @property
    def idempotent(self) -> bool:
        """True for requests that may be retried safely (GETs and Lookback queries; writes never are)."""
        return self.method == "GET" or self.service == "analytics"

    def query_string(self) -> str:
        """The encoded query string (``/`` and ``,`` are kept readable, as upstream sends them)."""
        return "&".join(f"{quote(k, safe='')}={quote(v, safe='/,:')}" for k, v in self.params)

    def resource(self) -> str:
        """``path?query`` for logs, reprs and :attr:`RallyRESTResponse.resource` (``key`` masked)."""
        shown = tuple((k, "***" if k == "key" and v else v) for k, v in self.params)
        qs = Request(self.method, self.path, shown).query_string()
        return f"{self.path}?{qs}" if qs else self.path

    def __repr__(self) -> str:
        return f"Request({self.method} {self.service}:{self.resource()})"


# --------------------------------------------------------------------------------------------
# refs and identifiers


def ref_path(ref: str) -> str:
    """The service-relative part of a ref: ``https://h/slm/webservice/v2.0/defect/1`` → ``defect/1``.

    Short forms (``/defect/1``, ``defect/1``) are returned without the leading slash; any
    query string is dropped.
    """
    ref = ref.split("?", 1)[0]
    parts = _REF_SPLIT.split(ref, maxsplit=1)
    tail = parts[1] if len(parts) == 2 else ref
    return tail.strip("/")


def oid_from_ref(ref: str) -> int | str:
    """The object id (last path segment) of a ref, as an int when it is numeric."""
    last = ref_path(ref).rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else last


def type_path_from_ref(ref: str) -> str:
    """The type part of an object ref: ``.../portfolioitem/feature/7`` → ``portfolioitem/feature``."""
    path = ref_path(ref)
    return path.rsplit("/", 1)[0] if "/" in path else path


def is_oid(value: Any) -> bool:
    """True for ints and all-digit strings."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.strip().isdigit()


def is_formatted_id(value: Any) -> bool:
    """True for FormattedIDs with any alphabetic prefix (``F12``, ``DE3``, ``US10``, ``TC4``)."""
    return isinstance(value, str) and bool(_FORMATTED_ID.match(value.strip()))


def flag(value: Any) -> str:
    """Upstream truthiness for scope flags: ``1, True, 'true', 'True'`` → ``'true'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "true" if str(value).strip().lower() in _TRUTHY else "false"


# --------------------------------------------------------------------------------------------
# request builders


def context_params(workspace_ref: str | None, project_ref: str | None,
                   scope_up: Any = False, scope_down: Any = False,
                   scoping: bool = True) -> list[tuple[str, str]]:
    """``workspace``/``project``/``projectScopeUp``/``projectScopeDown`` params (upstream order)."""
    params: list[tuple[str, str]] = []
    if workspace_ref:
        params.append(("workspace", workspace_ref))
    if project_ref:
        params.append(("project", project_ref))
        if scoping:
            params.append(("projectScopeUp", flag(scope_up)))
            params.append(("projectScopeDown", flag(scope_down)))
    return params


def query_request(entity_path: str, *, fetch: str, query: str | None = None,
                  order: str | None = None, context: Sequence[tuple[str, str]] = (),
                  pagesize: int = DEFAULT_PAGESIZE, start: int = 1) -> Request:
    """``GET <type>?fetch=..&query=..&order=..&workspace..&pagesize=..&start=..``."""
    return _paged_get(entity_path, fetch, query, order, context, pagesize, start)


def _paged_get(path: str, fetch: str | None, query: str | None, order: str | None,
               context: Sequence[tuple[str, str]], pagesize: int, start: int) -> Request:
    params: list[tuple[str, str]] = [("fetch", fetch)] if fetch else []
    if query:
        params.append(("query", query))
    if order:
        params.append(("order", order))
    params.extend(context)
    params.append(("pagesize", str(pagesize)))
    params.append(("start", str(start)))
    return Request("GET", path, tuple(params))


def page_request(first: Request, start: int) -> Request:
    """The request for the page beginning at ``start`` (same URL, new ``start``)."""
    params = tuple((k, str(start)) if k == "start" else (k, v) for k, v in first.params)
    if not any(k == "start" for k, _ in first.params):
        params += (("start", str(start)),)
    return Request(first.method, first.path, params, first.body, first.service)


def read_request(path: str, *, context: Sequence[tuple[str, str]] = (),
                 fetch: str | None = None) -> Request:
    """``GET <type>/<oid>`` (single object envelope)."""
    params: list[tuple[str, str]] = []
    if fetch:
        params.append(("fetch", fetch))
    params.extend(context)
    return Request("GET", path, tuple(params))


def collection_request(path: str, *, fetch: str | None = "true", query: str | None = None,
                       order: str | None = None, context: Sequence[tuple[str, str]] = (),
                       pagesize: int = MAX_PAGESIZE, start: int = 1) -> Request:
    """``GET <type>/<oid>/<Collection>`` as a paged query."""
    return _paged_get(path, fetch, query, order, context, pagesize, start)


def security_token_request() -> Request:
    """``GET security/authorize``."""
    return Request("GET", "security/authorize")


def _write_params(key: str | None, context: Sequence[tuple[str, str]],
                  fetch: str | None = "true") -> tuple[tuple[str, str], ...]:
    params: list[tuple[str, str]] = []
    if fetch:
        params.append(("fetch", fetch))
    if key:
        params.append(("key", key))
    params.extend(context)
    return tuple(params)


def create_request(entity_path: str, wrapper: str, data: Mapping[str, Any], *,
                   key: str | None = None, context: Sequence[tuple[str, str]] = ()) -> Request:
    """``PUT <type>/create`` with body ``{"<Type>": {...}}`` (never retried)."""
    return Request("PUT", f"{entity_path.lower()}/create", _write_params(key, context),
                   {wrapper: dict(data)})


def update_request(entity_path: str, wrapper: str, oid: int | str, data: Mapping[str, Any], *,
                   key: str | None = None, context: Sequence[tuple[str, str]] = (),
                   extra: Sequence[tuple[str, str]] = ()) -> Request:
    """``POST <type>/<oid>`` with body ``{"<Type>": {...}}`` (never retried)."""
    params = tuple(extra) + _write_params(key, context)
    return Request("POST", f"{entity_path.lower()}/{oid}", params, {wrapper: dict(data)})


def delete_request(entity_path: str, oid: int | str, *, key: str | None = None,
                   context: Sequence[tuple[str, str]] = ()) -> Request:
    """``DELETE <type>/<oid>``."""
    return Request("DELETE", f"{entity_path.lower()}/{oid}", _write_params(key, context, None))


def collection_change_request(target_path: str, collection: str, op: str,
                              refs: Iterable[str], *, key: str | None = None,
                              fetch: str | None = "Name,ObjectID") -> Request:
    """``POST <type>/<oid>/<Collection>/add|remove`` with body ``{"CollectionItems": [...]}``."""
    body = {"CollectionItems": [{"_ref": r} for r in refs]}
    return Request("POST", f"{target_path}/{collection}/{op}", _write_params(key, (), fetch), body)


def batch_request(entries: Sequence[Mapping[str, Any]], *, key: str | None = None,
                  context: Sequence[tuple[str, str]] = (),
                  fetch: str = "FormattedID,Name") -> Request:
    """``POST batch`` with body ``{"Batch": [{"Entry": {...}}, ...]}``."""
    params: list[tuple[str, str]] = []
    if key:
        params.append(("key", key))
    params.extend(context)
    params.append(("fetch", fetch))
    return Request("POST", "batch", tuple(params), {"Batch": [{"Entry": dict(e)} for e in entries]})


def schema_request(workspace_oid: int | str) -> Request:
    """``GET slm/schema/v2.0/workspace/<oid>``."""
    return Request("GET", f"workspace/{workspace_oid}", (), None, service="schema")


# --------------------------------------------------------------------------------------------
# argument checks

def checked_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``, else ValueError naming the argument."""
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an integer, not {value!r}") from exc
    if number < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {number}")
    return number


def clamp_pagesize(pagesize: Any) -> int:
    """Validate ``pagesize`` (1..2000; upstream passed anything through)."""
    return min(checked_int("pagesize", pagesize, 1), MAX_PAGESIZE)


def checked_start(start: Any) -> int:
    """Validate ``start`` (>= 1; upstream silently ignored bad values)."""
    return checked_int("start", start, 1)


def checked_limit(limit: Any) -> int:
    """Validate ``limit`` (>= 0, capped at 1,000,000 like upstream)."""
    return min(checked_int("limit", limit, 0), MAX_ITEMS)
