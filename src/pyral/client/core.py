"""The base of both clients: configuration, connecting, the security token, loads, logging.

Connecting costs one request (``GET user`` with a nested fetch of the UserProfile defaults)
when the user's default workspace and project are used; workspace and project lists and
the schema are fetched only when something needs them and are cached per instance.
Every method that talks to Rally is an operation (:mod:`.operation`): written once, run by
``Rally`` synchronously and by ``AsyncRally`` on an event loop.  What an answer means is
decided in :mod:`pyral.protocol`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .. import protocol as proto
from ..errors import (
    RallyConnectionError,
    RallyContextError,
)
from ..model.schema import SchemaCache, SchemaItem
from ..protocol import Envelope, Reply, Request
from ..support.settings import DEFAULT_TIMEOUT, RALLY_REST_HEADERS, SERVER
from ..transport import DEFAULT_MAX_RETRIES
from .operation import Op, gather, operation, send
from .workspaces import UNSET, RallyContextHelper

__all__ = ["Core", "NeedsLoad", "parse_server"]

T = TypeVar("T")

_USER_FETCH = ("ObjectID,UserName,DisplayName,FirstName,LastName,EmailAddress,Disabled,"
               "SubscriptionAdmin,Subscription,UserProfile,DefaultWorkspace,DefaultProject,Name")
_LOCK_STRIPES = 64


def _default_headers() -> dict[str, str]:
    return dict(RALLY_REST_HEADERS)


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


class NeedsLoad(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a client that cannot load synchronously when a computation needs ``request``'s items.

    :meth:`Core._with_loads` catches it, loads the items as a step of the operation and runs the
    computation again with them at hand.
    """

    def __init__(self, request: Request, paged: bool) -> None:
        super().__init__(request.resource())
        self.request = request
        self.paged = paged


class Core:
    """Configuration, connecting, the security token, loads and logging: what every other part uses.

    A client class adds the I/O: ``_open_transport``, ``_start``, ``_load_now``, ``_hold``,
    ``_response_for`` and a driver (:class:`~.operation.Driver` or :class:`~.operation.AsyncDriver`).
    """

    ARTIFACT_TYPE = {"S": "Story", "US": "Story", "DE": "Defect", "DS": "DefectSuite", "TA": "Task",
                     "TC": "TestCase", "TS": "TestSet", "PI": "PortfolioItem", "F": "Feature",
                     "I": "Initiative", "T": "Theme"}
    FORMATTED_ID_PATTERN = r"^[A-Za-z]+\d+$"
    MAX_ATTACHMENT_SIZE = 50_000_000

    contextHelper: RallyContextHelper

    def __init__(self, server: str = SERVER, user: str | None = None, password: str | None = None,
                 apikey: str | None = None, version: str = "v2.0", warn: bool = True,
                 server_ping: Any = None, isolated_workspace: bool = False, *,
                 workspace: Any = UNSET, project: Any = UNSET, verify_ssl_cert: bool | str = True,
                 headers: Mapping[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES,
                 http_transport: Any = None, **kwargs: Any) -> None:
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
        self._transport: Any = self._open_transport(
            base_url, auth=auth, headers=hdrs, verify=verify_ssl_cert, timeout=timeout,
            max_retries=max_retries, http_transport=http_transport, server_label=hostport)
        self.session = self._transport._client
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self._stripes = [threading.RLock() for _ in range(_LOCK_STRIPES)]
        self._log: Any = None
        self._schemas = SchemaCache(self._load_schema)
        self._batch_types: dict[tuple[str, str], SchemaItem] = {}  # batch writes' one-type schemas
        self._answers: dict[Request, list[dict[str, Any]]] | None = None
        self.user_oid: int | str | None = None
        self.user_name: str | None = None
        self._start(workspace, project)

    # -- what a client class provides -------------------------------------------------------
    def _open_transport(self, base_url: str, **options: Any) -> Any:
        raise NotImplementedError

    def _start(self, workspace: Any, project: Any) -> None:
        """Connect now (sync) or on entering the context (async)."""
        raise NotImplementedError

    def _load_now(self, request: Request, paged: bool) -> list[dict[str, Any]]:
        """The items of ``request`` for a computation that cannot yield (context, schema)."""
        raise NotImplementedError

    def _hold(self, lock: threading.Lock | threading.RLock) -> AbstractContextManager[Any]:
        """``lock`` held across an operation's steps (sync), or nothing (one event loop thread)."""
        raise NotImplementedError

    def _response_for(self, request: Request, reply: Reply, hydrator: Any, *, limit: int,
                      threads: int | None) -> Any:
        """The client's response type for the first page of a query."""
        raise NotImplementedError

    # ==================================================================================
    # plumbing
    def __repr__(self) -> str:
        who = self.user_name or self.user or "apikey-user"
        return f"<{type(self).__name__} server={self.server!r} user={who!r}>"

    def _stripe(self, obj: Any) -> threading.RLock:
        return self._stripes[hash(id(obj)) % _LOCK_STRIPES]

    def _log_exchange(self, req: Request) -> None:
        if self._log is not None:
            self._log.request(req.method, req.resource(), req.body)

    def _envelope(self, req: Request, *, target: str | None = None) -> Op[Envelope]:
        """Send a request that must answer 200 with a WSAPI envelope."""
        reply = yield from send(req)
        return proto.expect_envelope(reply, target)

    def _fetch_all_raw(self, req: Request, paged: bool = True) -> Op[list[dict[str, Any]]]:
        """Every item of a (paged) query or the object of a single read, as raw dicts."""
        env = yield from self._envelope(req)
        return (yield from self._rest_of_raw(req, env, paged))

    def _fetch_all_raw_many(self, requests: Sequence[Request]) -> Op[list[dict[str, Any]]]:
        """Every item of several queries, in order; their first pages are sent together."""
        replies = yield from gather(requests)
        items: list[dict[str, Any]] = []
        for req, reply in zip(requests, replies, strict=True):
            items.extend((yield from self._rest_of_raw(req, proto.expect_envelope(reply), True)))
        return items

    def _rest_of_raw(self, req: Request, env: Envelope, paged: bool) -> Op[list[dict[str, Any]]]:
        """The items of ``env`` (the first answer to ``req``) and of the further pages the plan needs."""
        items = proto.expect_results(env)
        starts = proto.further_starts(env, len(items), proto.servable(env, proto.MAX_ITEMS)) if paged else []
        for start in starts:
            page = yield from self._envelope(proto.page_request(req, start))
            if not page.results:
                break
            items.extend(page.results)
        return [i for i in items if isinstance(i, dict)]

    def _with_loads(self, compute: Callable[[], T]) -> Op[T]:
        """``compute()``, loading what it needs first when the client cannot load synchronously.

        The sync client loads inside ``compute`` (``_load_now`` runs a nested operation); the async
        client raises :class:`NeedsLoad`, so the load becomes a step here and ``compute`` runs again
        with the items at hand.  ``compute`` must only read state until it succeeds.
        """
        answers: dict[Request, list[dict[str, Any]]] = {}
        while True:
            self._answers = answers
            try:
                return compute()
            except NeedsLoad as need:
                missing = need
            finally:
                self._answers = None
            answers[missing.request] = yield from self._fetch_all_raw(missing.request, missing.paged)

    def _preloaded(self, request: Request, paged: bool) -> list[dict[str, Any]]:
        """The items loaded for the running computation, or :class:`NeedsLoad`."""
        answers = self._answers
        if answers is not None and request in answers:
            return answers[request]
        raise NeedsLoad(request, paged)

    def _load_schema(self, workspace_oid: str) -> list[dict[str, Any]]:
        return self._load_now(proto.schema_request(workspace_oid), False)

    def _context_loader(self, req: Request) -> list[dict[str, Any]]:
        return self._load_now(req, True)

    # -- connect -----------------------------------------------------------------------
    def _connect(self, workspace: Any, project: Any) -> Op[RallyContextHelper]:
        reply = yield from send(proto.read_request("user", fetch=_USER_FETCH), log=False)
        user = proto.expect_user(reply, self.server)
        self.user_oid = user.get("ObjectID") or proto.oid_from_ref(user.get("_ref", ""))
        self.user_name = user.get("UserName")
        self._user_item = user
        profile = user.get("UserProfile")
        if isinstance(profile, dict) and profile.get("_ref") and "DefaultWorkspace" not in profile:
            got = yield from self._fetch_all_raw(proto.read_request(proto.ref_path(profile["_ref"])))
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
        yield from self._with_loads(lambda: helper.setup(workspace, project))
        self.contextHelper = helper
        return helper

    @staticmethod
    def _name_oid(ref: Any) -> tuple[str, int | str] | None:
        if not isinstance(ref, dict) or not ref.get("_ref"):
            return None
        name = ref.get("Name") or ref.get("_refObjectName") or ""
        return name, ref.get("ObjectID") or proto.oid_from_ref(ref["_ref"])

    def _subscription(self) -> Op[dict[str, Any]]:
        items = yield from self._fetch_all_raw(proto.read_request("subscription", fetch="Name,ObjectID"))
        if not items:
            raise RallyContextError("Unable to determine the subscription of the user")
        sub = items[0]
        self.contextHelper.subscription_ref = proto.ref_path(sub.get("_ref", ""))
        self.contextHelper.subscription_name = sub.get("Name") or sub.get("_refObjectName")
        return sub

    # -- security token ------------------------------------------------------------------
    def _obtain_security_token(self, refresh: bool = False) -> Op[str | None]:
        """The security token for writes under Basic auth (None with an API key)."""
        if self.apikey:
            return None
        with self._hold(self._token_lock):
            if self._token is None or refresh:
                env = yield from self._envelope(proto.security_token_request())
                self._token = proto.security_token(env)
            return self._token

    obtainSecurityToken = operation(_obtain_security_token)

    def _write(self, req_factory: Callable[[str | None], Request]) -> Op[tuple[Reply, Envelope]]:
        """Send a write built by ``req_factory(key)``; a stale token is refreshed once (see protocol)."""
        for attempt in (0, 1):
            key = yield from self._obtain_security_token(refresh=attempt == 1)
            reply = yield from send(req_factory(key))
            env = proto.expect_envelope(reply)
            if not proto.retry_with_new_token(env.errors, attempt=attempt, uses_api_key=bool(self.apikey)):
                break
        return reply, env

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
