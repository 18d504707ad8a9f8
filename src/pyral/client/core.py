"""The base of ``Rally``: connecting, sending requests, the security token, logging.

Connecting costs one request (``GET user`` with a nested fetch of the UserProfile defaults)
when the user's default workspace and project are used; workspace and project lists and
the schema are fetched only when something needs them and are cached per instance.
What an answer means is decided in :mod:`pyral.protocol`; this module only moves bytes.
"""

from __future__ import annotations

import platform
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from .. import protocol as proto
from .._version import VERSION_STRING
from ..errors import (
    RallyConnectionError,
    RallyContextError,
    RallyRESTAPIError,
)
from ..model.schema import SchemaCache
from ..protocol import MAX_THREADS, Envelope, Request
from ..support.settings import SERVER
from ..transport import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HTTPResponse, SyncTransport
from .workspaces import UNSET, RallyContextHelper

__all__ = ["Core", "parse_server"]

_USER_FETCH = ("ObjectID,UserName,DisplayName,FirstName,LastName,EmailAddress,Disabled,"
               "SubscriptionAdmin,Subscription,UserProfile,DefaultWorkspace,DefaultProject,Name")
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


class Core:
    """Connecting, sending, the security token and logging: what every other part of ``Rally`` uses."""

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

    def __enter__(self) -> Self:
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
        return proto.expect_envelope(self._send(req), target)

    def _fetch_all_raw(self, req: Request) -> list[dict[str, Any]]:
        """Every item of a (paged) query or the object of a single read, as raw dicts."""
        env = self._envelope(req)
        items = proto.expect_results(env)
        for start in proto.further_starts(env, len(items), proto.servable(env, proto.MAX_ITEMS)):
            page = self._envelope(proto.page_request(req, start))
            if not page.results:
                break
            items.extend(page.results)
        return [i for i in items if isinstance(i, dict)]

    def _load_schema(self, workspace_oid: str) -> list[dict[str, Any]]:
        env = self._envelope(proto.schema_request(workspace_oid))
        if env.errors:
            raise RallyRESTAPIError(env.errors[0], errors=env.errors)
        return [t for t in env.results if isinstance(t, dict)]

    # -- connect -----------------------------------------------------------------------
    def _connect(self, workspace: Any, project: Any) -> RallyContextHelper:
        user = proto.expect_user(self._transport.send(proto.read_request("user", fetch=_USER_FETCH)),
                                 self.server)
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
                self._token = proto.security_token(self._envelope(proto.security_token_request()))
            return self._token

    def _write(self, req_factory: Callable[[str | None], Request]) -> tuple[HTTPResponse, Envelope]:
        """Send a write built by ``req_factory(key)``; a stale token is refreshed once (see protocol)."""
        for attempt in (0, 1):
            req = req_factory(self.obtainSecurityToken(refresh=attempt == 1))
            http = self._send(req)
            env = proto.expect_envelope(http)
            if not proto.retry_with_new_token(env.errors, attempt=attempt, uses_api_key=bool(self.apikey)):
                break
        return http, env

    # ==================================================================================
    # logging
    def enableLogging(self, dest: Any = sys.stdout, attrget: bool = False, append: bool = False) -> None:
        """Record requests (credentials redacted) to ``dest`` (a stream or a file path)."""
        from ..support.log import RallyLog

        log = self._log if self._log is not None else RallyLog(self.service_url,
                                                               self.user_name or self.user)
        log.enableLogging(dest, attrget=attrget, append=append)
        self._log = log if log.enabled else None

    def disableLogging(self) -> None:
        """Stop logging (caller-supplied streams stay open)."""
        if self._log is not None:
            self._log.disableLogging()
        self._log = None
