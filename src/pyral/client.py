"""The ``Rally`` client: upstream pyral's API on a sans-I/O core and an httpx transport.

Connecting costs one request (``GET user`` with a nested fetch of the UserProfile defaults)
when the user's default workspace and project are used; workspace and project lists and
the schema are fetched only when something needs them and are cached per instance.  One
``Rally`` instance may be shared by many threads.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import platform
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from . import prefetch
from . import protocol as proto
from ._version import VERSION_STRING
from .entities import (
    Artifact,
    Persistable,
    TestCaseResult,
    Workspace,
    getEntityName,
)
from .entities import Project as ProjectEntity
from .errors import (
    InvalidRallyTypeNameError,
    MultipleOperationError,
    RallyAttributeNameError,
    RallyAuthError,
    RallyConnectionError,
    RallyContextError,
    RallyError,
    RallyNotFoundError,
    RallyResponseError,
    RallyRESTAPIError,
    RallyValidationError,
    UnreferenceableOIDError,
)
from .hydration import Hydrator, fetch_names
from .lookback import LookbackMixin
from .protocol import Envelope, Request
from .query import format_fetch, format_order, format_query
from .response import MAX_THREADS, RallyRESTResponse, error_texts
from .schema import SchemaCache, SchemaItem, WorkspaceSchema
from .settings import SERVER
from .transport import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HTTPResponse, SyncTransport
from .workspace_context import UNSET, RallyContext, RallyContextHelper

__all__ = ["BatchResults", "Rally", "getCollection", "getResourceByOID", "hydrateAnInstance"]

_USER_FETCH = ("ObjectID,UserName,DisplayName,FirstName,LastName,EmailAddress,Disabled,"
               "SubscriptionAdmin,Subscription,UserProfile,DefaultWorkspace,DefaultProject,Name")
_ALL_USERS_FETCH = ("UserName,DisplayName,FirstName,LastName,MiddleName,ShortDisplayName,"
                    "OnpremLdapUsername,CreationDate,EmailAddress,LastPasswordUpdateDate,Disabled,"
                    "Subscription,SubscriptionAdmin,Role,UserPermissions,TeamMemberships,UserProfile,"
                    "TimeZone,DefaultWorkspace,DefaultProject,DateFormat,DateTimeFormat,"
                    "EmailNotificationEnabled,SessionTimeoutSeconds,SessionTimeoutWarning,ObjectID")
_READ_ONLY_KEYS = ("objectid", "formattedid")
_BATCH_CHUNK = 100
_LOCK_STRIPES = 64


def _default_headers() -> dict[str, str]:
    return {
        "X-RallyIntegrationName": "Rally REST API toolkit for Python",
        "X-RallyIntegrationVendor": "Broadcom / Rally",
        "X-RallyIntegrationVersion": VERSION_STRING,
        "X-RallyIntegrationLibrary": f"pyral-{VERSION_STRING}",
        "X-RallyIntegrationPlatform": f"Python {platform.python_version()}",
        "X-RallyIntegrationOS": platform.platform(),
        "User-Agent": "Pyral Rally WebServices Agent",
        "Content-Type": "application/json",
        "Accept-Encoding": "gzip",
    }


def _apply_header_overrides(headers: dict[str, str], overrides: Mapping[str, Any] | None) -> None:
    """Upstream rule: a key replaces the header whose name (minus ``X-RallyIntegration``) matches."""
    for key, value in (overrides or {}).items():
        wanted = str(key).lower()
        for name in list(headers):
            short = name.lower().removeprefix("x-rallyintegration")
            if wanted in (name.lower(), short):
                headers[name] = str(value)


def parse_server(server: str) -> tuple[str, str]:
    """``host``, ``host:port`` or a URL → (``scheme://host[:port]``, ``host[:port]``)."""
    text = (server or SERVER).strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in text) or " " in text:
        raise RallyConnectionError(
            f"404 Target host: '{server}' is either not reachable or doesn't support the Rally WSAPI")
    if "://" in text:
        parts = urlsplit(text)
        scheme, netloc = parts.scheme.lower(), parts.netloc
    else:
        scheme, netloc = "https", text.split("/", 1)[0]
    netloc = netloc.rsplit("@", 1)[-1]
    if scheme not in ("http", "https") or not netloc:
        raise RallyConnectionError(
            f"404 Target host: '{server}' is either not reachable or doesn't support the Rally WSAPI")
    return f"{scheme}://{netloc}", netloc


class BatchResults(list):  # type: ignore[type-arg]
    """Successful items of a batch (upstream's list of dicts) plus ``failures``.

    ``failures`` is a list of ``(index, item, errors)`` for items Rally rejected.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[tuple[int, Any, list[str]]] = []
        self.warnings: list[str] = []


class Rally(LookbackMixin):
    """A connection to Rally WSAPI v2.0 (upstream ``pyral.Rally`` API)."""

    ARTIFACT_TYPE = {"S": "Story", "US": "Story", "DE": "Defect", "DS": "DefectSuite", "TA": "Task",
                     "TC": "TestCase", "TS": "TestSet", "PI": "PortfolioItem", "F": "Feature",
                     "I": "Initiative", "T": "Theme"}
    FORMATTED_ID_PATTERN = r"^[A-Za-z]+\d+$"
    MAX_ATTACHMENT_SIZE = 50_000_000

    def __init__(self, server: str = SERVER, user: str | None = None, password: str | None = None,
                 apikey: str | None = None, version: str = "v2.0", warn: bool = True,
                 server_ping: Any = None, isolated_workspace: bool = False, *,
                 workspace: Any = UNSET, project: Any = UNSET, verify_ssl_cert: bool | str = True,
                 headers: Mapping[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES,
                 http_transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        base_url, hostport = parse_server(server)
        self.server = hostport
        self.version = "v2.0"
        self.apikey = apikey or None
        self.user = None if self.apikey else user
        self.password = None if self.apikey else password
        self.isolated_workspace = bool(isolated_workspace)
        self.service_url = f"{base_url}/{proto.WEB_SERVICE_PATH}"
        self.schema_url = f"{base_url}/{proto.SCHEMA_SERVICE_PATH}"
        self.hydration = "shell"
        self._warn = bool(warn)
        hdrs = _default_headers()
        _apply_header_overrides(hdrs, headers)
        if self.apikey:
            hdrs["ZSESSIONID"] = self.apikey
        auth = None if self.apikey else (user or "", password or "")
        if verify_ssl_cert not in (True, False) and not isinstance(verify_ssl_cert, str):
            verify_ssl_cert = True
        self._transport = SyncTransport(base_url, auth=auth, headers=hdrs, verify=verify_ssl_cert,
                                        timeout=timeout, max_retries=max_retries,
                                        http_transport=http_transport, server_label=hostport)
        self.session = self._transport._client
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._stripes = [threading.RLock() for _ in range(_LOCK_STRIPES)]
        self._log: Any = None
        self._schemas = SchemaCache(self._load_schema)
        self.user_oid: int | str | None = None
        self.user_name: str | None = None
        try:
            self.contextHelper = self._connect(workspace, project)
        except BaseException:
            self._transport.close()
            raise

    # ==================================================================================
    # plumbing
    def __repr__(self) -> str:
        who = self.user_name or self.user or "apikey-user"
        return f"<Rally server={self.server!r} user={who!r}>"

    def __enter__(self) -> Rally:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections and the page-fetching pool."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self._transport.close()

    def _page_executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="pyral-page")
            return self._pool

    def _stripe(self, obj: Any) -> threading.RLock:
        return self._stripes[hash(id(obj)) % _LOCK_STRIPES]

    def _send(self, req: Request, *, log: bool = True) -> HTTPResponse:
        if log and self._log is not None:
            self._log.request(req.method, req.resource(), req.body)
        http = self._transport.send(req)
        return http

    def _envelope(self, req: Request, *, target: str | None = None) -> Envelope:
        """Send a request that must answer 200 with a WSAPI envelope."""
        http = self._send(req)
        if http.status_code == 401:
            raise RallyAuthError("Invalid credentials", status_code=401)
        if http.status_code != 200:
            errs = error_texts(http)
            raise RallyRESTAPIError(f"{http.status_code} {errs[0]}", errors=errs,
                                    status_code=http.status_code)
        return proto.parse_envelope(http.json(), target)

    def _fetch_all_raw(self, req: Request) -> list[dict[str, Any]]:
        """Every item of a (paged) query or the object of a single read, as raw dicts."""
        env = self._envelope(req)
        if env.errors:
            raise RallyRESTAPIError(env.errors[0], errors=env.errors, warnings=env.warnings)
        items = list(env.results)
        if env.kind == "Query":
            size = env.page_size or len(items)
            start = env.start or 1
            while items and size and len(items) < env.total:
                start += size
                page = self._envelope(proto.page_request(req, start))
                if not page.results:
                    break
                items.extend(page.results)
        return [i for i in items if isinstance(i, dict)]

    def _page_envelope(self, req: Request) -> Envelope:
        http = self._send(req)
        if http.status_code != 200:
            errs = error_texts(http)
            start = dict(req.params).get("start", "?")
            raise RallyResponseError(f"Unable to retrieve the page of results at start={start}: "
                                     f"{http.status_code} {errs[0]}", errors=errs,
                                     status_code=http.status_code)
        return proto.parse_envelope(http.json())

    def _response(self, req: Request, hydrator: Hydrator, *, limit: int = proto.MAX_ITEMS,
                  threads: int | None = None) -> RallyRESTResponse:
        http = self._send(req)
        resp = RallyRESTResponse(self, req, http, hydrator=hydrator, limit=limit, threads=threads,
                                 fetch_page=self._page_envelope)
        if self._log is not None:
            self._log.query_result(resp.status_code, req.path, resp.resultCount, resp.errors)
        return resp

    # -- connect -----------------------------------------------------------------------
    def _connect(self, workspace: Any, project: Any) -> RallyContextHelper:
        req = proto.read_request("user", fetch=_USER_FETCH)
        try:
            http = self._transport.send(req)
        except RallyConnectionError:
            raise
        if http.status_code == 401:
            raise RallyAuthError("Invalid credentials", status_code=401)
        if http.status_code == 404:
            raise RallyConnectionError(f"404 Target host: '{self.server}' is either not reachable or "
                                       "doesn't support the Rally WSAPI", status_code=404)
        if http.status_code != 200:
            errs = error_texts(http)
            if "The username or password you entered is incorrect." in errs[0]:
                raise RallyAuthError("Invalid credentials", status_code=http.status_code)
            raise RallyConnectionError(f"{http.status_code} {errs[0][:80]}", status_code=http.status_code)
        try:
            env = proto.parse_envelope(http.json(), "User")
        except RallyResponseError as exc:
            raise RallyConnectionError(f"404 Target host: '{self.server}' is either not reachable or "
                                       "doesn't support the Rally WSAPI") from exc
        if env.errors:
            raise RallyAuthError(env.errors[0], errors=env.errors)
        if not env.results or not isinstance(env.results[0], dict):
            raise RallyAuthError("Invalid credentials")
        user = env.results[0]
        self.user_oid = user.get("ObjectID") or proto.oid_from_ref(user.get("_ref", ""))
        self.user_name = user.get("UserName")
        self._user_item = user
        profile = user.get("UserProfile")
        if isinstance(profile, dict) and profile.get("_ref") and "DefaultWorkspace" not in profile:
            got = self._fetch_all_raw(proto.read_request(proto.ref_path(profile["_ref"])))
            profile = got[0] if got else profile
        dws = dproj = None
        if isinstance(profile, dict):
            dws = self._name_oid(profile.get("DefaultWorkspace"))
            dproj = self._name_oid(profile.get("DefaultProject"))
        sub = user.get("Subscription")
        sub_ref = proto.ref_path(sub["_ref"]) if isinstance(sub, dict) and sub.get("_ref") else None
        sub_name = (sub.get("Name") or sub.get("_refObjectName")) if isinstance(sub, dict) else None
        helper = RallyContextHelper(server=self.server, user=self.user_name or self.user,
                                    service_url=self.service_url, load=self._context_loader,
                                    subscription_ref=sub_ref, subscription_name=sub_name,
                                    default_workspace=dws, default_project=dproj,
                                    isolated_workspace=self.isolated_workspace, warn=self._warn)
        helper.setup(workspace, project)
        return helper

    @staticmethod
    def _name_oid(ref: Any) -> tuple[str, int | str] | None:
        if not isinstance(ref, dict) or not ref.get("_ref"):
            return None
        name = ref.get("Name") or ref.get("_refObjectName") or ""
        return name, ref.get("ObjectID") or proto.oid_from_ref(ref["_ref"])

    def _context_loader(self, req: Request) -> list[dict[str, Any]]:
        return self._fetch_all_raw(req)

    def _subscription(self) -> dict[str, Any]:
        items = self._fetch_all_raw(proto.read_request("subscription", fetch="Name,ObjectID"))
        if not items:
            raise RallyContextError("Unable to determine the subscription of the user")
        sub = items[0]
        self.contextHelper.subscription_ref = proto.ref_path(sub.get("_ref", ""))
        self.contextHelper.subscription_name = sub.get("Name") or sub.get("_refObjectName")
        return sub

    # -- security token ------------------------------------------------------------------
    def obtainSecurityToken(self, refresh: bool = False) -> str | None:
        """The security token for writes under Basic auth (None with an API key)."""
        if self.apikey:
            return None
        with self._token_lock:
            if self._token is None or refresh:
                env = self._envelope(proto.security_token_request())
                token = env.data.get("SecurityToken")
                if not token:
                    raise RallyAuthError("Unable to obtain a security token", errors=env.errors)
                self._token = str(token)
            return self._token

    def _write(self, req_factory: Any) -> tuple[HTTPResponse, Envelope]:
        """Send a write built by ``req_factory(key)``; on ``Invalid key`` refresh the token once."""
        for attempt in (0, 1):
            req: Request = req_factory(self.obtainSecurityToken(refresh=attempt == 1))
            http = self._send(req)
            if http.status_code == 401:
                raise RallyAuthError("Invalid credentials", status_code=401)
            if http.status_code != 200:
                errs = error_texts(http)
                raise RallyRESTAPIError(f"{http.status_code} {errs[0]}", errors=errs,
                                        status_code=http.status_code)
            env = proto.parse_envelope(http.json())
            if attempt == 0 and not self.apikey and proto.is_invalid_key_error(env.errors):
                continue  # Rally rejected the request itself: nothing was written
            return http, env
        raise AssertionError("unreachable")

    # ==================================================================================
    # schema and names
    def _load_schema(self, workspace_oid: str) -> list[dict[str, Any]]:
        env = self._envelope(proto.schema_request(workspace_oid))
        if env.errors:
            raise RallyRESTAPIError(env.errors[0], errors=env.errors)
        return [t for t in env.results if isinstance(t, dict)]

    def _ws_oid(self, workspace_ref: str | None = None) -> str:
        ref = workspace_ref or self.contextHelper.currentWorkspaceRef()
        if not ref:
            raise RallyContextError("No current workspace")
        return str(proto.oid_from_ref(ref))

    def _schema(self, workspace_ref: str | None = None) -> WorkspaceSchema:
        return self._schemas.get(self._ws_oid(workspace_ref))

    def _official_name(self, entity: str, workspace_ref: str | None = None) -> str:
        """Official type name/path for ``entity`` (case-insensitive, aliases, schema types)."""
        if not isinstance(entity, str) or not entity.strip():
            raise InvalidRallyTypeNameError(str(entity))
        name = entity.strip()
        head, _, tail = name.partition("/")
        if tail and head.lower() == "portfolioitem":
            try:
                return getEntityName(tail) if tail.lower() in ("strategy", "initiative", "theme",
                                                               "feature") else self._schema_name(name)
            except InvalidRallyTypeNameError:
                raise InvalidRallyTypeNameError(entity) from None
        try:
            return getEntityName(name)
        except InvalidRallyTypeNameError:
            pass
        try:
            return self._schema_name(name, workspace_ref)
        except InvalidRallyTypeNameError:
            raise InvalidRallyTypeNameError(entity) from None

    def _schema_name(self, name: str, workspace_ref: str | None = None) -> str:
        item = self._schema(workspace_ref).find(name)
        if item is None:
            raise InvalidRallyTypeNameError(name)
        return item.TypePath or item.ElementName

    def typedef(self, target_type: str) -> SchemaItem | None:
        """The schema item (TypeDefinition) of a type in the current workspace, or None."""
        try:
            official = self._official_name(target_type)
        except InvalidRallyTypeNameError:
            return None
        return self._schema().find(official)

    def getSchemaInfo(self, workspace: Any = None, project: Any = None) -> list[dict[str, Any]]:
        """The raw TypeDefinition dicts of ``workspace`` (a name; default: current)."""
        ref = None
        if isinstance(workspace, str) and workspace not in ("current", "default"):
            ws = self.contextHelper.find_workspace(workspace)
            ref = ws.ref if ws else None
        return list(self._schema(ref).raw)

    def validateAttributeNames(self, entity_name: str, itemData: Mapping[str, Any],
                               workspace_ref: str | None = None) -> dict[str, Any]:
        """``itemData`` with keys renamed to ElementNames (``c_`` added, case fixed).

        Raises :class:`RallyAttributeNameError` naming every key that is not an attribute.
        """
        official = self._official_name(entity_name, workspace_ref)
        item = self._schema(workspace_ref).find(official)
        if item is None:
            return dict(itemData)
        out: dict[str, Any] = {}
        bad: list[str] = []
        for key, value in itemData.items():
            attr = item.attribute(str(key))
            if attr is None:
                bad.append(str(key))
            else:
                out[attr.ElementName] = value
        if bad:
            raise RallyAttributeNameError(", ".join(bad))
        return out

    # ==================================================================================
    # queries
    def _fetch_spec(self, official: str, fetch: Any) -> tuple[str, bool, bool]:
        """(fetch text, complete, hydrated) for a ``fetch`` argument."""
        if isinstance(fetch, tuple) and len(fetch) == 1 and isinstance(fetch[0], str):
            fetch = fetch[0]
        if isinstance(fetch, list | tuple):
            names = self.validateAttributeNames(official, {str(n).strip(): None for n in fetch if
                                                           str(n).strip()})
            text = ",".join(names) or "false"
        else:
            text = format_fetch(fetch)
        if text == "true":
            return text, True, True
        if text == "false":
            return text, False, False
        return text, False, True

    def get(self, entity: str, fetch: Any = False, query: Any = None, order: Any = None,
            **kwargs: Any) -> Any:
        """Query ``entity``; returns a :class:`RallyRESTResponse` (or an instance, see ``instance``).

        kwargs: ``instance, pagesize, start, limit, workspace, project, projectScopeUp,
        projectScopeDown, threads``.  ``instance=True`` returns the item when exactly one
        matches, None when none does, and the response otherwise.
        """
        official = self._official_name(entity)
        if kwargs.get("_disableAugments"):
            ctx: RallyContext | None = None
            params: list[tuple[str, str]] = []
        else:
            ctx, params = self.contextHelper.resolve(kwargs)
        fetch_text, complete, hydrated = self._fetch_spec(official, fetch)
        query_text = format_query(query) if query not in (None, "", [], {}, ()) else ""
        order_text = format_order(order) if order else ""
        pagesize = proto.clamp_pagesize(kwargs.get("pagesize", proto.DEFAULT_PAGESIZE))
        start = proto.checked_start(kwargs.get("start", 1))
        limit = proto.checked_limit(kwargs.get("limit", proto.MAX_ITEMS))
        threads = kwargs.get("threads")
        req = proto.query_request(official, fetch=fetch_text, query=query_text or None,
                                  order=order_text or None, context=params, pagesize=pagesize,
                                  start=start)
        self.hydration = "full" if hydrated else "shell"
        hydrator = Hydrator(self, complete=complete, hydrated=hydrated, context=ctx,
                            fetched=fetch_names(fetch_text))
        resp = self._response(req, hydrator, limit=limit,
                              threads=int(threads) if threads is not None else None)
        if kwargs.get("instance"):
            if resp.errors:
                return resp
            if resp.resultCount == 1:
                return resp.next()
            if resp.resultCount == 0:
                return None
        return resp

    find = get

    def _single(self, path: str, *, ctx: RallyContext | None = None,
                workspace_ref: str | None = None) -> Persistable:
        """Read one object by its service-relative path; raises on failure."""
        ws_ref = workspace_ref or (ctx.workspace_ref if ctx else self.contextHelper.currentWorkspaceRef())
        req = proto.read_request(path, context=proto.context_params(ws_ref, None))
        http = self._send(req)
        if http.status_code != 200:
            raise UnreferenceableOIDError(f"{http.status_code} Unreferenceable OID: {path}",
                                          status_code=http.status_code)
        env = proto.parse_envelope(http.json())
        if env.errors or not env.obj:
            msg = env.errors[0] if env.errors else "no object"
            raise RallyNotFoundError(f"Unreferenceable {path}: {msg}", errors=env.errors)
        inst = Hydrator(self, complete=True, hydrated=True, context=ctx).make(env.obj)
        assert isinstance(inst, Persistable)
        return inst

    def _schema_lacks(self, inst: Persistable, name: str) -> bool:
        """True when the schema of ``inst``'s type (loaded once per workspace) has no ``name``."""
        d = inst.__dict__
        typ = d.get("typePath") or d.get("_type") or inst._type
        ctx = d.get("_context")
        try:
            schema = self._schema(getattr(ctx, "workspace_ref", None))
        except RallyError:
            return False  # unknown: let the read decide
        item = schema.find(str(typ))
        return item is not None and item.attribute(name) is None

    def _hydrate_in_place(self, inst: Persistable) -> None:
        """Load every attribute of ``inst`` (one GET), in place; called by lazy attribute access."""
        with self._stripe(inst):
            d = inst.__dict__
            if d.get("_complete"):
                return
            ref = d.get("_ref")
            if not ref:
                d["_complete"] = True
                return
            ctx = d.get("_context")
            ws_ref = getattr(ctx, "workspace_ref", None) or self.contextHelper.currentWorkspaceRef()
            req = proto.read_request(proto.ref_path(ref), context=proto.context_params(ws_ref, None))
            if self._log is not None:
                self._log.attribute_get(req.resource())
            http = self._transport.send(req)
            if http.status_code != 200:
                raise UnreferenceableOIDError(f"{inst.__class__.__name__} OID {inst.oid}",
                                              status_code=http.status_code)
            env = proto.parse_envelope(http.json())
            if env.errors or not env.obj:
                raise UnreferenceableOIDError(f"{inst.__class__.__name__} OID {inst.oid}",
                                              errors=env.errors)
            Hydrator(self, complete=True, hydrated=True, context=ctx).fill(inst, env.obj)
            d["_hydrated"] = True
            d["_complete"] = True

    def _expand_collection(self, inst: Persistable, attr: str) -> Any:
        """Fetch a pending collection attribute (all pages, items complete) and cache it."""
        with self._stripe(inst):
            d = inst.__dict__
            if attr in d:
                return d[attr]
            url = d["_lazy"][attr]
            ctx = d.get("_context")
            ws_ref = getattr(ctx, "workspace_ref", None) or self.contextHelper.currentWorkspaceRef()
            hydrator = Hydrator(self, complete=True, hydrated=True, context=ctx)
            inverse = prefetch.inverse_for(d.get("_ref") or "", attr)
            group = d.get("_page_group")
            raws = (self._page_members(group, attr, inverse, d.get("_ref") or "", ws_ref)
                    if group is not None and inverse is not None else None)
            if raws is not None:
                items = [hydrator.make(raw) for raw in raws]
            else:
                req = proto.collection_request(proto.ref_path(url), fetch="true",
                                               order=inverse.order if inverse else None,
                                               context=proto.context_params(ws_ref, None))
                if self._log is not None:
                    self._log.attribute_get(req.resource())
                resp = self._response(req, hydrator)
                if resp.errors:
                    raise RallyRESTAPIError(f"Unable to load {attr}: {resp.errors[0]}", errors=resp.errors)
                items = list(resp)
            d[attr] = items
            d["_lazy"].pop(attr, None)
            return items

    def _page_members(self, group: prefetch.PageGroup, attr: str, inverse: prefetch.Inverse,
                      owner_ref: str, ws_ref: str | None) -> list[dict[str, Any]] | None:
        """Members of ``attr`` for every item of a page, loaded once (see :mod:`pyral.prefetch`)."""
        with group.lock:
            if attr not in group.loaded:
                owners = [ref for ref, _ in group.owners(attr)]
                if len(owners) < 2:
                    return None  # nothing to share: a plain collection read is as cheap
                members: list[dict[str, Any]] = []
                try:
                    for start in range(0, len(owners), prefetch.CHUNK):
                        req = proto.query_request(
                            inverse.member, fetch="true",
                            query=prefetch.member_query(inverse, owners[start:start + prefetch.CHUNK]),
                            order=inverse.order, context=[*proto.context_params(ws_ref, None), ("project", "null")],
                            pagesize=proto.MAX_PAGESIZE)
                        if self._log is not None:
                            self._log.attribute_get(req.resource())
                        members.extend(self._fetch_all_raw(req))
                except RallyRESTAPIError:
                    group.loaded[attr] = {}  # the page-wide query was refused: each item reads its own
                else:
                    group.store(attr, inverse, members)
            return group.members(attr, owner_ref)

    def getCollection(self, collection_url: str, **kwargs: Any) -> RallyRESTResponse:
        """Query a collection URL (any scheme/host: only the path after ``/v2.0/`` is used)."""
        parts = urlsplit(collection_url)
        path = proto.ref_path(parts.path if parts.scheme else collection_url.split("?")[0])
        given = dict(parse_qsl(parts.query, keep_blank_values=True))
        fetch = given.pop("fetch", kwargs.get("fetch", "true"))
        fetch_text = format_fetch(fetch)
        params = [] if kwargs.get("_disableAugments") else proto.context_params(
            self.contextHelper.currentWorkspaceRef(), None)
        req = proto.collection_request(path, fetch=fetch_text, query=given.get("query") or None,
                                       order=given.get("order") or None, context=params,
                                       pagesize=proto.clamp_pagesize(given.get("pagesize",
                                                                               proto.MAX_PAGESIZE)),
                                       start=proto.checked_start(given.get("start", 1)))
        complete = fetch_text == "true"
        return self._response(req, Hydrator(self, complete=complete, hydrated=fetch_text != "false",
                                            context=self.contextHelper.currentContext(),
                                            fetched=fetch_names(fetch_text)))

    # ==================================================================================
    # create / update / delete
    def _grease(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn entity instances (and lists of them / of ref strings) into ``{"_ref": ...}``."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, Persistable):
                out[key] = value.ref
            elif isinstance(value, list):
                items = []
                for v in value:
                    if isinstance(v, Persistable):
                        items.append({"_ref": v.ref})
                    elif isinstance(v, str) and proto.is_oid(v.rsplit("/", 1)[-1]) and "/" in v:
                        items.append({"_ref": v})
                    else:
                        items.append(v)
                out[key] = items
            else:
                out[key] = value
        return out

    def _entity_path(self, official: str) -> str:
        return official.lower()

    def put(self, entityName: str, itemData: Mapping[str, Any], workspace: Any = "current",
            project: Any = "current", **kwargs: Any) -> Persistable:
        """Create an object; returns the new instance (complete).  Raises on Rally errors."""
        official = self._official_name(entityName)
        if official == "RecycleBinEntry":
            raise RallyRESTAPIError("create operation unsupported for RecycleBinEntry")
        ctx, params = self.contextHelper.resolve({"workspace": workspace, "project": project},
                                                 scoping=False)
        data = self._grease(self.validateAttributeNames(official, dict(itemData), ctx.workspace_ref))
        return self._create(official, data, ctx, params)

    create = put

    def _create(self, official: str, data: dict[str, Any], ctx: RallyContext | None,
                params: Sequence[tuple[str, str]]) -> Persistable:
        _http, env = self._write(lambda key: proto.create_request(
            self._entity_path(official), official, data, key=key, context=params))
        if env.errors:
            raise RallyValidationError(f"422 {env.errors[0]}", errors=env.errors,
                                       warnings=env.warnings, status_code=422)
        obj = env.obj
        if not obj or not obj.get("_ref"):
            raise RallyResponseError(f"Create of {official} returned no object")
        obj = dict(obj)
        obj.setdefault("_type", official)
        if self._log is not None:
            self._log.created(official, proto.oid_from_ref(obj["_ref"]))
        inst = Hydrator(self, complete=len(obj) > 8, hydrated=True, context=ctx).make(obj)
        assert isinstance(inst, Persistable)
        return inst

    def _oid_for_formatted_id(self, official: str, fid: str, ws_ref: str | None) -> int | str:
        query = f'(FormattedID = "{fid}")'
        req = proto.query_request(official, fetch="ObjectID,FormattedID", query=query,
                                  context=proto.context_params(ws_ref, None), pagesize=2, start=1)
        env = self._envelope(req)
        hits = [r for r in env.results if isinstance(r, dict)]
        if env.errors or not hits:
            raise RallyNotFoundError(f"Target {official} {fid} could not be located",
                                     errors=env.errors)
        hit = hits[0]
        return hit.get("ObjectID") or proto.oid_from_ref(hit["_ref"])

    def _oids_for_formatted_ids(self, official: str, fids: Sequence[str]) -> dict[str, int | str]:
        """FormattedID (upper-case) -> ObjectID for many IDs, a few queries instead of one per ID."""
        out: dict[str, int | str] = {}
        wanted = sorted({f.strip().upper() for f in fids if f.strip()})
        ws_ref = self.contextHelper.currentWorkspaceRef()
        for start in range(0, len(wanted), 200):
            chunk = wanted[start:start + 200]
            req = proto.query_request(official, fetch="ObjectID,FormattedID",
                                      query=f"(FormattedID in {','.join(chunk)})",
                                      context=proto.context_params(ws_ref, None), pagesize=2000, start=1)
            env = self._envelope(req)
            for hit in env.results:
                if isinstance(hit, dict) and hit.get("FormattedID"):
                    out[str(hit["FormattedID"]).upper()] = hit.get("ObjectID") or proto.oid_from_ref(hit["_ref"])
        return out

    def post(self, entityName: str, itemData: Mapping[str, Any], workspace: Any = "current",
             project: Any = "current", **kwargs: Any) -> Persistable:
        """Update an object identified by ``ObjectID`` or ``FormattedID`` in ``itemData``."""
        official = self._official_name(entityName)
        if official == "RecycleBinEntry":
            raise RallyRESTAPIError("update operation unsupported for RecycleBinEntry")
        ctx, params = self.contextHelper.resolve({"workspace": workspace, "project": project},
                                                 scoping=False)
        raw = dict(itemData)
        ident = {k.lower(): raw.pop(k) for k in list(raw) if k.lower() in _READ_ONLY_KEYS}
        oid = ident.get("objectid")
        if not oid and ident.get("formattedid"):
            oid = self._oid_for_formatted_id(official, str(ident["formattedid"]), ctx.workspace_ref)
        if not oid:
            raise RallyRESTAPIError("An identifying field (ObjectID or FormattedID) must be specified")
        data = self._grease(self.validateAttributeNames(official, raw, ctx.workspace_ref))
        return self._update(official, oid, data, ctx, params, entityName)

    update = post

    def _update(self, official: str, oid: Any, data: dict[str, Any], ctx: RallyContext | None,
                params: Sequence[tuple[str, str]], label: str,
                extra: Sequence[tuple[str, str]] = ()) -> Persistable:
        _http, env = self._write(lambda key: proto.update_request(
            self._entity_path(official), official, oid, data, key=key, context=params, extra=extra))
        if env.errors:
            raise RallyValidationError(
                f"Unable to update the {label}\nERRORS: {chr(10).join(env.errors)}\n"
                f"WARNINGS: {chr(10).join(env.warnings)}\n",
                errors=env.errors, warnings=env.warnings, status_code=422)
        if env.obj and env.obj.get("_ref"):
            obj = dict(env.obj)
            obj.setdefault("_type", official)
            inst = Hydrator(self, complete=len(obj) > 8, hydrated=True, context=ctx).make(obj)
            assert isinstance(inst, Persistable)
            return inst
        return self._single(f"{self._entity_path(official)}/{oid}", ctx=ctx)

    def delete(self, entityName: str, itemIdent: Any, workspace: Any = "current",
               project: Any = "current", *, raise_on_error: bool = False, **kwargs: Any) -> bool:
        """Delete by ObjectID, FormattedID (any prefix) or instance; True on success.

        Like upstream, a refusal by Rally returns False; with ``raise_on_error=True`` it raises
        :class:`RallyRESTAPIError` carrying Rally's errors instead.  A FormattedID that matches
        nothing raises :class:`RallyNotFoundError`.
        """
        official = self._official_name(entityName)
        ctx, params = self.contextHelper.resolve({"workspace": workspace, "project": project},
                                                 scoping=False)
        path = self._entity_path(official)
        if isinstance(itemIdent, Persistable):
            oid: Any = itemIdent.oid
            type_path = proto.type_path_from_ref(itemIdent._ref) if itemIdent._ref else ""
            if type_path:
                path = type_path.lower()
        elif proto.is_oid(itemIdent):
            oid = int(itemIdent)
        elif proto.is_formatted_id(itemIdent):
            oid = self._oid_for_formatted_id(official, itemIdent.strip(), ctx.workspace_ref)
        else:
            raise RallyRESTAPIError(f"Unrecognized identifier for {entityName}: {itemIdent!r}")
        http, env = self._write(lambda key: proto.delete_request(path, oid, key=key, context=params))
        if self._log is not None:
            self._log.deleted(http.status_code, official, env.errors)
        if env.errors and raise_on_error:
            raise RallyRESTAPIError(f"Unable to delete the {official}: {env.errors[0]}", errors=env.errors,
                                    warnings=env.warnings)
        return not env.errors

    # ==================================================================================
    # context
    def _wpCacheStatus(self) -> str:
        return self.contextHelper.inflation()

    def serviceURL(self) -> str:
        """The WSAPI service URL."""
        return self.service_url

    def subscriptionName(self) -> str | None:
        """Name of the user's subscription."""
        if self.contextHelper.subscription_name is None:
            self._subscription()
        return self.contextHelper.subscription_name

    def enableWarnings(self) -> None:
        """Print context warnings (default)."""
        self.contextHelper.warn = True

    def disableWarnings(self) -> None:
        """Do not print context warnings."""
        self.contextHelper.warn = False

    def warningsEnabled(self) -> bool:
        """Whether context warnings are printed."""
        return bool(self.contextHelper.warn)

    def _shell(self, cls: type[Persistable], name: str, ref: str) -> Persistable:
        inst = cls(proto.oid_from_ref(ref), name, ref, self.contextHelper.currentContext(), self)
        inst.__dict__["_type"] = cls._type
        return inst

    def setWorkspace(self, workspaceName: str) -> None:
        """Switch the current workspace (see compat §7.3)."""
        self.contextHelper.setWorkspace(workspaceName)

    def getWorkspace(self) -> Persistable:
        """Shell ``Workspace`` of the current workspace (other attributes lazy-load)."""
        ws = self.contextHelper.currentWorkspace()
        assert ws is not None
        return self._shell(Workspace, ws.name, ws.ref)

    def getWorkspaces(self) -> list[Persistable]:
        """Shells of every open workspace, sorted by name."""
        items = sorted((w for w in self.contextHelper.workspaces() if w.state != "Closed"),
                       key=lambda w: w.name)
        self.contextHelper.mark_wide()
        return [self._shell(Workspace, w.name, w.ref) for w in items]

    def setProject(self, projectName: str) -> None:
        """Switch the current project (name, ``A // B`` path or ``project/<oid>``)."""
        self.contextHelper.setProject(projectName)

    def getProject(self, name: str | None = None) -> Persistable | None:
        """Shell ``Project`` for ``name`` (default: current; ``Name`` is the path for paths)."""
        helper = self.contextHelper
        if name is None:
            proj, label = helper.currentProject()
            if proj is None:
                return None
            return self._shell(ProjectEntity, label or proj.name, proj.ref)
        ws = helper.currentWorkspace()
        if ws is None:
            return None
        found = helper.find_project(ws, name)
        if found is None:
            return None
        return self._shell(ProjectEntity, name if " // " in name else found.name, found.ref)

    def getProjects(self, workspace: str | None = None) -> list[Persistable]:
        """Shells of the projects of ``workspace`` (default: current), sorted by name."""
        helper = self.contextHelper
        ws = helper.currentWorkspace() if workspace in (None, "current") else \
            helper.find_workspace(str(workspace))
        if ws is None:
            raise RallyContextError(f'Workspace specified: "{workspace}" not accessible with current '
                                    "credentials")
        return [self._shell(ProjectEntity, p.name, p.ref)
                for p in sorted(helper.projects(ws), key=lambda p: p.name)]

    # ==================================================================================
    # users, states, allowed values
    def getUserInfo(self, oid: Any = None, username: str | None = None,
                    name: str | None = None) -> Any:
        """A ``User`` by oid, or a list of Users by ``username`` or display ``name``."""
        if oid:
            return self._single(f"User/{oid}")
        if username:
            return list(self.get("User", fetch=True, query=f'UserName = "{username}"', project=None))
        if name:
            return list(self.get("User", fetch=True, query=f'DisplayName = "{name}"', project=None))
        raise RallyRESTAPIError("No specification provided to obtain User information")

    def getAllUsers(self, workspace: str | None = None) -> list[Any]:
        """Every user of the subscription, with ``UserProfile`` fields fetched in the same pages."""
        ws_ref = self.contextHelper.currentWorkspaceRef()
        if workspace:
            ws = self.contextHelper.find_workspace(workspace)
            if ws is None:
                raise RallyContextError(f'Workspace specified: "{workspace}" not accessible with '
                                        "current credentials")
            ws_ref = ws.ref
        req = proto.query_request("users", fetch=_ALL_USERS_FETCH,
                                  query="((Disabled = true) OR (Disabled = false))",
                                  context=proto.context_params(ws_ref, None),
                                  pagesize=proto.MAX_PAGESIZE, start=1)
        resp = self._response(req, Hydrator(self, complete=False, hydrated=True,
                                            context=self.contextHelper.currentContext()))
        if not resp:
            return []
        return list(resp)

    def getState(self, entity: str, state_name: str) -> Any:
        """The ``State`` object called ``state_name`` of a PortfolioItem type."""
        return self.get("State", fetch=True, query=[f'TypeDef.Name = "{entity}"', f'Name = "{state_name}"'],
                        project=None, instance=True)

    def getStates(self, entity: str) -> list[Any]:
        """The ``State`` objects of a PortfolioItem type, by OrderIndex."""
        resp = self.get("State", fetch=True, query=f'TypeDef.Name = "{entity}"',
                        order="OrderIndex,ObjectID", project=None)
        unique: dict[tuple[Any, Any], Any] = {}
        for state in resp:
            unique[(state.__dict__.get("OrderIndex"), state.Name)] = state
        return sorted(unique.values(), key=lambda s: (s.__dict__.get("OrderIndex") or 0))

    def getAllowedValues(self, entityName: str, attributeName: str, **kwargs: Any) -> list[Any] | None:
        """Allowed values of an attribute (strings), ``[True]`` for an object collection, or None."""
        item = self.typedef(entityName)
        if item is None:
            return None
        attr = next((a for a in item.Attributes if a.ElementName in (attributeName, f"c_{attributeName}")),
                    None)
        if attr is None:
            return None
        attr.resolveAllowedValues(self._allowed_values_loader)
        values = attr.allowed_value_strings()
        if not values and attr.AttributeType in ("COLLECTION", "OBJECT") and not attr.Custom:
            return [True]
        return values

    def _allowed_values_loader(self, ref: str) -> list[dict[str, Any]]:
        req = proto.collection_request(proto.ref_path(ref), fetch="true",
                                       context=proto.context_params(
                                           self.contextHelper.currentWorkspaceRef(), None))
        return self._fetch_all_raw(req)

    # ==================================================================================
    # collections and ranking
    @staticmethod
    def _target_path(target: Persistable) -> str:
        return target.ref

    def _invalidate(self, target: Persistable, collection: str) -> None:
        d = target.__dict__
        d.pop(collection, None)
        d["_complete"] = False

    def addCollectionItems(self, target: Persistable, collection_name: str,
                           items: Sequence[Persistable]) -> Persistable | None:
        """Add ``items`` to ``target.<collection_name>``; returns the re-read target."""
        if not items:
            return None
        types = {getattr(i, "_type", type(i).__name__) for i in items}
        if len(types) > 1:
            raise RallyRESTAPIError("addCollectionItems: all items must be of the same type")
        refs = [i.ref if isinstance(i, Persistable) else str(i) for i in items]
        _http, env = self._write(lambda key: proto.collection_change_request(
            self._target_path(target), collection_name, "add", refs, key=key))
        if env.errors:
            raise RallyValidationError(f"Unable to add items to {collection_name}: {env.errors[0]}",
                                       errors=env.errors, warnings=env.warnings)
        self._invalidate(target, collection_name)
        return self._single(target.ref)

    def dropCollectionItems(self, target: Persistable, collection_name: str,
                            items: Sequence[Persistable]) -> RallyRESTResponse | None:
        """Remove ``items`` from ``target.<collection_name>``; returns the response."""
        if not items:
            return None
        refs = [i.ref if isinstance(i, Persistable) else str(i) for i in items]
        key = self.obtainSecurityToken()
        req = proto.collection_change_request(self._target_path(target), collection_name, "remove",
                                              refs, key=key)
        http = self._send(req)
        resp = RallyRESTResponse(self, req, http, hydrator=Hydrator(self, complete=False, hydrated=True))
        if resp.errors and not self.apikey and proto.is_invalid_key_error(resp.errors):
            req = proto.collection_change_request(self._target_path(target), collection_name, "remove",
                                                  refs, key=self.obtainSecurityToken(refresh=True))
            resp = RallyRESTResponse(self, req, self._send(req),
                                     hydrator=Hydrator(self, complete=False, hydrated=True))
        self._invalidate(target, collection_name)
        return resp

    def _rank(self, target: Persistable, param: tuple[str, str], reference: Any = None) -> RallyRESTResponse:
        for art in (target, reference):
            if art is not None and not isinstance(art, Artifact):
                raise RallyRESTAPIError(f"Unable to change DragAndDropRank for target "
                                        f"{art.__class__.__name__}, not an Artifact")
        type_path = proto.type_path_from_ref(target._ref)
        wrapper = type_path.rsplit("/", 1)[-1].lower()
        ws = self.contextHelper.currentWorkspaceRef()
        ctx_params = proto.context_params(ws, None)

        def build(key: str | None) -> Request:
            return proto.update_request(type_path, wrapper, target.oid, {"_ref": target.ref}, key=key,
                                        context=ctx_params, extra=[param])
        http, env = self._write(build)
        if env.errors:
            fid = target.__dict__.get("FormattedID", target.oid)
            raise RallyRESTAPIError(f"Unable to update the DragAndDropRank value for the target_artifact "
                                    f"{fid}, {env.errors[0]}", errors=env.errors)
        self._invalidate(target, "DragAndDropRank")
        req = build(None)
        return RallyRESTResponse(self, req, http, hydrator=Hydrator(self, complete=True, hydrated=True))

    def rankAbove(self, reference_artifact: Persistable, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` just above ``reference_artifact``."""
        return self._rank(target_artifact, ("rankAbove", reference_artifact.ref), reference_artifact)

    def rankBelow(self, reference_artifact: Persistable, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` just below ``reference_artifact``."""
        return self._rank(target_artifact, ("rankBelow", reference_artifact.ref), reference_artifact)

    def rankToTop(self, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` first."""
        return self._rank(target_artifact, ("rankTo", "TOP"))

    def rankToBottom(self, target_artifact: Persistable) -> RallyRESTResponse:
        """Rank ``target_artifact`` last."""
        return self._rank(target_artifact, ("rankTo", "BOTTOM"))

    rankTop = rankToTop
    rankBottom = rankToBottom

    # ==================================================================================
    # attachments
    def _artifact(self, artifact: Any) -> Persistable | None:
        if isinstance(artifact, Persistable):
            return artifact
        if isinstance(artifact, str) and proto.is_formatted_id(artifact):
            prefix = artifact.rstrip("0123456789").upper()
            entity = self.ARTIFACT_TYPE.get(prefix, "Artifact")
            try:
                found = self.get(entity, fetch=True, query=f'FormattedID = "{artifact}"', project=None,
                                 instance=True)
            except InvalidRallyTypeNameError:
                found = self.get("Artifact", fetch=True, query=f'FormattedID = "{artifact}"',
                                 project=None, instance=True)
            return found if isinstance(found, Persistable) else None
        return None

    def addAttachment(self, artifact: Any, filename: str, mime_type: str = "text/plain", *,
                      content: bytes | None = None) -> Persistable | bool:
        """Attach a file (or ``content`` bytes named ``filename``) to an artifact or TestCaseResult."""
        art = self._artifact(artifact)
        if art is None:
            return False
        if content is None:
            if not os.path.exists(filename):
                raise RallyValidationError(f"Named attachment filename: {filename} not found")
            if not os.path.isfile(filename):
                raise RallyValidationError(f"Named attachment filename: {filename} is not a regular file")
            if os.path.getsize(filename) > self.MAX_ATTACHMENT_SIZE:
                raise RallyValidationError("Attachment file size too large, unable to attach to Rally "
                                           f"Artifact (limit {self.MAX_ATTACHMENT_SIZE} bytes)")
            with open(filename, "rb") as fh:
                content = fh.read()
        if len(content) > self.MAX_ATTACHMENT_SIZE:
            raise RallyValidationError("Attachment file size too large, unable to attach to Rally "
                                       f"Artifact (limit {self.MAX_ATTACHMENT_SIZE} bytes)")
        name = os.path.basename(filename)
        for existing in art.Attachments or []:
            if existing.Name == name:
                return existing
        ctx, params = self.contextHelper.resolve({"project": None}, scoping=False)
        blob = self._create("AttachmentContent",
                            {"Content": base64.b64encode(content).decode("ascii")}, ctx, params)
        owner_key = "TestCaseResult" if isinstance(art, TestCaseResult) else "Artifact"
        att = self._create("Attachment", {"Name": name, "Content": blob.ref, "ContentType": mime_type,
                                          "Size": len(content), "User": f"user/{self.user_oid}",
                                          owner_key: art.ref}, ctx, params)
        self._invalidate(art, "Attachments")
        return att

    def addAttachments(self, artifact: Any, attachments: Iterable[Mapping[str, Any]]) -> bool:
        """Attach several files: dicts with ``Name`` and a mime type (``ContentType`` etc.)."""
        ok = True
        for spec in attachments:
            mime = spec.get("mime_type") or spec.get("MimeType") or spec.get("content_type") or \
                spec.get("ContentType") or "text/plain"
            res = self.addAttachment(artifact, spec["Name"], mime, content=spec.get("Content"))
            ok = ok and bool(res)
        return ok

    def _attachment_content(self, att: Persistable) -> bytes:
        content_ref = att.Content
        if isinstance(content_ref, bytes):
            return content_ref
        ref = content_ref.ref if isinstance(content_ref, Persistable) else str(content_ref)
        obj = self._fetch_all_raw(proto.read_request(
            proto.ref_path(ref), context=proto.context_params(self.contextHelper.currentWorkspaceRef(),
                                                              None)))
        raw = obj[0].get("Content", "") if obj else ""
        return base64.b64decode(raw or b"")

    def getAttachment(self, artifact: Any, filename: str) -> Persistable | None | bool:
        """The attachment called ``filename`` with ``.Content`` as bytes (None if absent)."""
        art = self._artifact(artifact)
        if art is None:
            return False
        for att in art.Attachments or []:
            if att.Name == filename:
                att.__dict__["Content"] = self._attachment_content(att)
                return att
        return None

    def getAttachments(self, artifact: Any) -> list[Persistable]:
        """All attachments of an artifact, each with ``.Content`` bytes."""
        art = self._artifact(artifact)
        if art is None:
            return []
        out = []
        for att in art.Attachments or []:
            att.__dict__["Content"] = self._attachment_content(att)
            out.append(att)
        return out

    def getAttachmentNames(self, artifact: Any) -> list[str]:
        """Names of an artifact's attachments."""
        art = self._artifact(artifact)
        return [a.Name for a in (art.Attachments or [])] if art is not None else []

    def deleteAttachment(self, artifact: Any, filename: str) -> Persistable | bool:
        """Delete the attachment called ``filename``; returns the re-read artifact."""
        art = self._artifact(artifact)
        if art is None:
            return False
        att = next((a for a in art.Attachments or [] if a.Name == filename), None)
        if att is None:
            return False
        content = att.__dict__.get("Content")
        if isinstance(content, Persistable):
            self.delete("AttachmentContent", content.oid, project=None)
        self.delete("Attachment", att.oid, project=None)
        self._invalidate(art, "Attachments")
        return self._single(art.ref)

    # ==================================================================================
    # batch
    def _batch_item(self, item: Any, fields: Sequence[str] | None) -> tuple[dict[str, Any], bool]:
        """(payload dict, came_from_instance)."""
        if isinstance(item, Mapping):
            return dict(item), False
        if isinstance(item, Persistable):
            names = list(fields) if fields else [k for k in item.__dict__
                                                 if not k.startswith("_") and k not in ("oid", "Name")]
            data = {n: item.__dict__[n] for n in names if n in item.__dict__}
            data["ObjectID"] = item.oid
            return data, True
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item), True
        raise MultipleOperationError("All items must be consistent, ie., all dicts or all data-like "
                                     "instances")

    def _batch(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None,
               update: bool, raise_on_error: bool) -> BatchResults:
        official = self._official_name(entityName)
        schema_item = self._schema().find(official)
        kinds = {isinstance(i, Mapping) for i in items}
        if len(kinds) > 1:
            raise MultipleOperationError("All items must be consistent, ie., all dicts or all "
                                         "data-like instances")
        path = self._entity_path(official)
        results = BatchResults()
        prepared = [self._batch_item(item, fields) for item in items]
        idents: list[dict[str, Any]] = []
        if update:
            for data, _ in prepared:
                idents.append({k.lower(): data.pop(k) for k in list(data) if k.lower() in _READ_ONLY_KEYS})
            oids = self._oids_for_formatted_ids(official, [str(i["formattedid"]) for i in idents
                                                           if not i.get("objectid") and i.get("formattedid")])
        # (index in items, batch entry); items refused before sending go straight to failures.
        entries: list[tuple[int, dict[str, Any]]] = []
        for idx, (data, from_instance) in enumerate(prepared):
            problems: list[str] = []
            oid = None
            if update:
                ident = idents[idx]
                oid = ident.get("objectid") or oids.get(str(ident.get("formattedid") or "").upper())
                if not oid:
                    problems.append(f"{official} {ident['formattedid']} could not be located"
                                    if ident.get("formattedid") else "no ObjectID or FormattedID")
            body: dict[str, Any] = {}
            for key, value in data.items():
                attr = schema_item.attribute(key) if schema_item else None
                if attr is None and schema_item is not None:
                    if from_instance:
                        continue  # client-side field of a data class (e.g. ``oid``)
                    problems.append(f"unknown attribute {key}")
                    continue
                body[attr.ElementName if attr else key] = value
            if problems:
                results.failures.append((idx, items[idx], problems))
                continue
            body = self._grease(body)
            if update:
                entries.append((idx, {"Path": f"/{path}/{oid}", "Method": "POST", "Body": {path: body}}))
            else:
                entries.append((idx, {"Path": f"/{path}/create", "Method": "PUT", "Body": {path: body}}))
        ws = self.contextHelper.currentWorkspaceRef()
        proj = self.contextHelper.currentProjectRef()
        params = [("workspace", f"/{ws}")] if ws else []
        if proj:
            params.append(("project", f"/{proj}"))
        for offset in range(0, len(entries), _BATCH_CHUNK):
            chunk = entries[offset:offset + _BATCH_CHUNK]
            _http, env = self._write(lambda key, chunk=chunk: proto.batch_request(  # type: ignore[misc]
                [entry for _, entry in chunk], key=key, context=params))
            results.warnings.extend(env.warnings)
            if env.errors:
                for idx, _ in chunk:
                    results.failures.append((idx, items[idx], list(env.errors)))
                continue
            for (idx, _), res in zip(chunk, env.results):
                errs = list(res.get("Errors") or []) if isinstance(res, dict) else ["no result"]
                obj = res.get("Object") if isinstance(res, dict) else None
                if errs or not isinstance(obj, dict):
                    results.failures.append((idx, items[idx], errs or ["no object"]))
                    continue
                results.append({"_ref": obj.get("_ref"),
                                "ObjectID": str(obj.get("ObjectID") or proto.oid_from_ref(obj.get("_ref", ""))),
                                "FormattedID": obj.get("FormattedID"),
                                "Name": obj.get("_refObjectName") or obj.get("Name")})
            for idx, _ in chunk[len(env.results):]:
                results.failures.append((idx, items[idx], ["no result returned"]))
        results.failures.sort(key=lambda failure: failure[0])
        if raise_on_error and results.failures:
            raise MultipleOperationError(
                f"{len(results.failures)} of {len(items)} batch items failed: "
                + "; ".join(f"item {i}: {e[0] if e else '?'}" for i, _, e in results.failures),
                errors=[e for _, _, errs in results.failures for e in errs])
        return results

    def createMultiple(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                       workspace: Any = "current", project: Any = "current", *,
                       raise_on_error: bool = False, **kwargs: Any) -> BatchResults:
        """Create many objects in ``POST batch`` requests.

        Returns upstream's list of ``{_ref, ObjectID, FormattedID, Name}`` dicts for the items
        created; rejected items are in ``.failures`` (or raised with ``raise_on_error=True``).
        """
        return self._batch(entityName, items, fields, update=False, raise_on_error=raise_on_error)

    def updateMultiple(self, entityName: str, items: Sequence[Any], fields: Sequence[str] | None = None,
                       workspace: Any = "current", project: Any = "current", *,
                       raise_on_error: bool = False, **kwargs: Any) -> BatchResults:
        """Update many objects in ``POST batch`` requests (see :meth:`createMultiple`)."""
        return self._batch(entityName, items, fields, update=True, raise_on_error=raise_on_error)

    # ==================================================================================
    # logging
    def enableLogging(self, dest: Any = sys.stdout, attrget: bool = False, append: bool = False) -> None:
        """Record requests (credentials redacted) to ``dest`` (a stream or a file path)."""
        from .log import RallyLog

        log = self._log if self._log is not None else RallyLog(self.service_url,
                                                               self.user_name or self.user)
        log.enableLogging(dest, attrget=attrget, append=append)
        self._log = log if log.enabled else None

    def disableLogging(self) -> None:
        """Stop logging (caller-supplied streams stay open)."""
        if self._log is not None:
            self._log.disableLogging()
        self._log = None


# -- upstream module-level helpers (pyral.restapi) ---------------------------------------------
def _rally_of(context: Any) -> Rally:
    if isinstance(context, Rally):
        return context
    rally = getattr(context, "rally", None)
    if isinstance(rally, Rally):
        return rally
    raise RallyError("A Rally instance (or an entity obtained from one) is required")


def getResourceByOID(context: Any, entity: str, oid: Any, **kwargs: Any) -> Persistable:
    """Read one object by OID through the ``Rally`` instance ``context``."""
    rally = _rally_of(context)
    return rally._single(f"{rally._official_name(entity)}/{oid}")


def getCollection(context: Any, collection_url: str, **kwargs: Any) -> RallyRESTResponse:
    """Query a collection URL through the ``Rally`` instance ``context``."""
    return _rally_of(context).getCollection(collection_url, **kwargs)


def hydrateAnInstance(context: Any, item: dict[str, Any], existingInstance: Persistable | None = None
                      ) -> Any:
    """Build (or fill in place) an entity instance from a WSAPI item dict."""
    rally = context if isinstance(context, Rally) else getattr(context, "rally", None)
    hydrator = Hydrator(rally, complete=True, hydrated=True)
    if existingInstance is not None:
        hydrator.fill(existingInstance, item)
        existingInstance.__dict__["_hydrated"] = True
        return existingInstance
    return hydrator.make(item)
