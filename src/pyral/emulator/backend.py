"""The emulator's state: the store, the catalog, workspace schemas, users and sessions.

:class:`Backend` creates a fresh subscription (one workspace, one project, the admin user) on
an empty store, authenticates requests, and resolves the workspace and project a request is
scoped to.  Everything mutable hangs off the instance; nothing is module-global.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import history
from .catalog import Catalog, CustomAttr, TypeDef, WorkspaceSchema, catalog
from .clock import iso_ms
from .store import Row, Store

DEFAULT_ADMIN_USER = "admin@emulator.local"
CUSTOMS_FROM = ("AttributeDefinition",)  # the object types a workspace's custom fields are read from
DEFAULT_ADMIN_PASSWORD = "Rally-Emulator-1"
DEFAULT_ADMIN_API_KEY = "_emulatorAdminKey0000000000000000000001"


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.sha256((salt + password).encode()).hexdigest()
    return f"{salt}${digest}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored or "$" not in stored:
        return False
    salt, digest = stored.split("$", 1)
    return secrets.compare_digest(hashlib.sha256((salt + password).encode()).hexdigest(), digest)


class ClockError(ValueError):
    """The clock may not move where asked (back before a recorded write)."""


@dataclass
class Principal:
    """The authenticated user of one request."""

    user: Row
    via_api_key: bool
    session: str | None = None
    defaults: tuple[int | None, int | None] | None = None  # (workspace, project), read once per request
    cache: dict[str, Any] = field(default_factory=dict)  # per-request memo (the access policy)

    @property
    def oid(self) -> int:
        return self.user.oid

    @property
    def sub_admin(self) -> bool:
        return bool(self.user.data.get("SubscriptionAdmin"))


class Backend:
    """All emulator state behind the HTTP layer."""

    def __init__(self, store: Store, *, admin_user: str = DEFAULT_ADMIN_USER,
                 admin_password: str = DEFAULT_ADMIN_PASSWORD,
                 admin_api_key: str = DEFAULT_ADMIN_API_KEY) -> None:
        self.store = store
        self.clock = store.clock  # one clock per backend: every write of its store is stamped with it
        self.writes_open = 0  # nesting depth of service write operations (changed under the store lock)
        self.catalog: Catalog = catalog()
        self.admin_user = admin_user
        self.admin_password = admin_password
        self.admin_api_key = admin_api_key
        self._schemas: dict[int, tuple[tuple[int, int], WorkspaceSchema]] = {}
        self._schema_lock = threading.Lock()
        self._sessions: dict[str, dict[str, Any]] = {}
        self._session_lock = threading.Lock()
        if store.get_meta("subscription") is None:
            self.bootstrap()

    # -- ids -------------------------------------------------------------------------------
    @property
    def subscription(self) -> int:
        return int(self.store.get_meta("subscription") or 0)

    # -- time ------------------------------------------------------------------------------
    def set_clock(self, when: datetime | None) -> datetime:
        """Emulate ``when`` as now (None: the real clock); never back before the latest artifact
        write, whose history would otherwise run backwards (:class:`ClockError`)."""
        target = when if when is not None else datetime.now(UTC)
        if target.tzinfo is None:
            raise ValueError("the clock needs an aware datetime (with a time zone)")
        last = history.last_write(self)
        if last is not None and iso_ms(target) < last:
            raise ClockError(f"The clock cannot move back to {iso_ms(target)}: "
                             f"the history already has a write at {last}")
        self.clock.set(when)
        return self.clock.now()

    def advance_clock(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` (it becomes emulated if it was real); ValueError
        for anything but a number >= 0."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0 or seconds != seconds:
            raise ValueError(f"advance takes a number of seconds >= 0, not {seconds!r}")
        return self.clock.advance(float(seconds))

    # -- fresh store -----------------------------------------------------------------------
    def bootstrap(self) -> None:
        """Create the subscription, default workspace and project, and the admin user."""
        from . import service

        with self.store.transaction():
            sub = self.store.insert("Subscription", {
                "Name": "Emulated Subscription", "SubscriptionID": 100, "SubscriptionType": "Unlimited",
                "StoryHierarchyEnabled": True, "StoryHierarchyType": "Unlimited",
                "ProjectHierarchyEnabled": True, "ApiKeysEnabled": True, "JSONPEnabled": False,
                "EmailEnabled": False, "MaximumProjects": -1, "MaximumCustomUserFields": -1,
                "SessionTimeoutSeconds": 3600, "PreviousPasswordCount": 0, "Modules": "",
            })
            self.store.set_meta("subscription", str(sub.oid))
            admin = self.create_user(self.admin_user, password=self.admin_password,
                                     api_key=self.admin_api_key, display_name="Emulator Admin",
                                     first="Emulator", last="Admin", sub_admin=True)
            ws = service.create_workspace(self, "Default Workspace", owner=admin.oid)
            project = service.create_project(self, ws.oid, "Sample Project", owner=admin.oid)
            self.set_defaults(admin.oid, ws.oid, project.oid)

    def create_user(self, username: str, *, password: str | None = None, api_key: str | None = None,
                    display_name: str = "", first: str = "", last: str = "", email: str | None = None,
                    sub_admin: bool = False, extra: dict[str, Any] | None = None) -> Row:
        """Create a User with its UserProfile (used by bootstrap, demo data and WSAPI create)."""
        with self.store.transaction():
            profile = self.store.insert("UserProfile", self.catalog.defaults(self.type("UserProfile")))
            data = self.catalog.defaults(self.type("User"))
            data.update({"UserName": username, "EmailAddress": email or username,
                         # unset STRINGs are null (wsapi-more.md §7)
                         "DisplayName": display_name or None, "FirstName": first or None, "LastName": last or None,
                         "MiddleName": None, "ShortDisplayName": (first[:1] + last[:7]).lower() or username,
                         "OnpremLdapUsername": None, "SubscriptionAdmin": sub_admin,
                         "SubscriptionID": 100, "UserProfile": profile.oid,
                         "LastPasswordUpdateDate": self.clock.iso(),
                         "SubscriptionPermission": "Subscription Admin" if sub_admin else "Workspace User",
                         "WorkspacePermission": "Subscription Admin" if sub_admin else "Workspace User"})
            data.update(extra or {})
            user = self.store.insert("User", data)
            if password is not None or api_key is not None:
                self.store.set_credentials(user.oid, password=hash_password(password) if password else None,
                                           api_key=api_key)
        return user

    def set_defaults(self, user_oid: int, workspace: int | None, project: int | None) -> None:
        user = self.store.get(user_oid)
        assert user is not None
        profile = self.store.get(int(user.data["UserProfile"]))
        assert profile is not None
        profile.data["DefaultWorkspace"] = workspace
        profile.data["DefaultProject"] = project
        self.store.save(profile)

    # -- schema ----------------------------------------------------------------------------
    def type(self, name: str, workspace: int | None = None) -> TypeDef:
        tdef = self.schema(workspace).get(name)
        assert tdef is not None, name
        return tdef

    def schema(self, workspace: int | None) -> WorkspaceSchema:
        """The schema of a workspace: built-ins plus its custom fields (cached until an
        AttributeDefinition is written, a write of one is undone, or the store is replaced)."""
        key = workspace or 0
        # The store's lock first, as every write does: a write holding it may ask for a schema.
        with self.store.lock, self._schema_lock:
            stamp = self.store.writes_of(CUSTOMS_FROM)
            hit = self._schemas.get(key)
            if hit is None or hit[0] != stamp:
                hit = (stamp, WorkspaceSchema(self.catalog, self._load_customs(workspace)))
                self._schemas[key] = hit
            return hit[1]

    def reload(self) -> None:
        """Forget cached schemas after the store was replaced (reset or import)."""
        with self._schema_lock:
            self._schemas.clear()

    def invalidate_schema(self, workspace: int | None) -> None:
        with self._schema_lock:
            self._schemas.pop(workspace or 0, None)

    def _load_customs(self, workspace: int | None) -> list[CustomAttr]:
        if not workspace:
            return []
        rows = self.store.select("o.type = 'AttributeDefinition' AND o.deleted = 0 AND o.workspace = ?",
                                 [workspace])
        out = []
        for r in rows:
            d = r.data
            allowed = d.get("AllowedValueList")
            out.append(CustomAttr(oid=r.oid, type_path=str(d.get("OwnerTypePath")), name=str(d["ElementName"]),
                                  display_name=str(d.get("Name") or d["ElementName"]),
                                  attr_type=str(d.get("AttributeType", "STRING")),
                                  allowed=tuple(allowed) if allowed else None,
                                  required=bool(d.get("Required")), hidden=bool(d.get("Hidden"))))
        return out

    # -- authentication --------------------------------------------------------------------
    def authenticate(self, *, basic: tuple[str, str] | None, api_key: str | None,
                     session: str | None) -> Principal | None:
        """The principal for the given credentials, or None (answered with 401)."""
        if api_key:
            oid = self.store.user_for_api_key(api_key)
            user = self.store.get(oid) if oid else None
            if user is None or user.data.get("Disabled"):
                return None
            return Principal(user, via_api_key=True, session=session)
        if basic:
            username, password = basic
            rows = self.store.select("o.type = 'User' AND o.deleted = 0 AND lower(json_extract(o.data, '$.\"UserName\"')) = ?",
                                     [username.lower()], limit=1)
            if not rows or rows[0].data.get("Disabled"):
                return None
            stored, _ = self.store.credentials(rows[0].oid)
            if not check_password(stored, password):
                return None
            return Principal(rows[0], via_api_key=False, session=session)
        if session:
            with self._session_lock:
                info = self._sessions.get(session)
            if info:
                user = self.store.get(int(info["user"]))
                if user is not None and not user.data.get("Disabled"):
                    return Principal(user, via_api_key=False, session=session)
        return None

    def new_session(self, user_oid: int) -> str:
        sid = secrets.token_hex(16)
        with self._session_lock:
            self._sessions[sid] = {"user": user_oid, "tokens": set()}
        return sid

    def issue_token(self, session: str, user_oid: int) -> str:
        token = secrets.token_urlsafe(24)
        with self._session_lock:
            info = self._sessions.setdefault(session, {"user": user_oid, "tokens": set()})
            info["tokens"].add(token)
        return token

    def token_valid(self, session: str | None, user_oid: int, token: str | None) -> bool:
        if not session or not token:
            return False
        with self._session_lock:
            info = self._sessions.get(session)
            return bool(info and info["user"] == user_oid and token in info["tokens"])

    def forget_sessions(self) -> None:
        with self._session_lock:
            self._sessions.clear()

    # -- defaults --------------------------------------------------------------------------
    def user_defaults(self, principal: Principal) -> tuple[int | None, int | None]:
        """(DefaultWorkspace, DefaultProject) of the user's profile."""
        if principal.defaults is None:
            profile_oid = principal.user.data.get("UserProfile")
            profile = self.store.get(int(profile_oid)) if profile_oid else None
            ws = profile.data.get("DefaultWorkspace") if profile else None
            proj = profile.data.get("DefaultProject") if profile else None
            principal.defaults = (int(ws) if ws else None, int(proj) if proj else None)
        return principal.defaults
