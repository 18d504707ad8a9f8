"""Who may see and change what: Rally's permission model, decided in one place.

Roles: a subscription admin sees and edits everything; a WorkspacePermission with Role
``Admin`` makes a workspace admin (everything in that workspace); ProjectPermission rows grant
``Viewer`` (read), ``Editor`` or ``Admin`` (read/write) on one project.

Every object answers to the project at the end of its **owner chain** (:data:`CHAIN`):
artifacts, tasks, iterations, releases and recycle-bin entries carry their project in the
store's ``project`` column; an Attachment answers to its Artifact (or TestCaseResult), an
AttachmentContent to the Attachment holding it, a ConversationPost to its Artifact, a
TestCaseResult/TestCaseStep to its TestCase, a Revision to its RevisionHistory and that to the
object owning the history.  The chain is written once, as SQL (:meth:`Policy.governing_sql`):
queries filter with it and single objects are checked by running it on their row, so a read, a
query and a write can never disagree.  The SQL value is the governing project's ObjectID, ``0``
for workspace-level objects (Tag, Milestone without TargetProject, TypeDefinition ...), and NULL
when the chain ends nowhere (the owner was purged): such objects are hidden from everyone but
admins.  Subscription-level objects (User, UserProfile, Subscription) are readable by every user;
only subscription admins (and users themselves, for their own User/UserProfile) change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .backend import Backend, Principal
from .catalog import TypeDef
from .store import Row, json_path, value_sql

READ_ROLES = {"Viewer", "Editor", "Admin", "User"}
WRITE_ROLES = {"Editor", "Admin"}

# Owner chain: the attribute(s) naming an object's owner, tried in order.
CHAIN: dict[str, tuple[str, ...]] = {
    "Attachment": ("Artifact", "TestCaseResult"),
    "ConversationPost": ("Artifact",),
    "TestCaseResult": ("TestCase",),
    "TestCaseStep": ("TestCase",),
    "Blocker": ("WorkProduct",),
    "Connection": ("Artifact",),
    "PullRequest": ("Artifact",),
    "TimeEntryValue": ("TimeEntryItem",),
    "Revision": ("RevisionHistory",),
    "ProjectPermission": ("Project",),
    "Milestone": ("TargetProject",),  # a milestone without a target project is workspace-level
    "RecycleBinEntry": ("DeletedObject",),
}
# Objects owned by whoever points at them: type -> (owner type or None for any, attribute).
REVERSE: dict[str, tuple[str | None, str]] = {
    "AttachmentContent": ("Attachment", "Content"),
    "RevisionHistory": (None, "RevisionHistory"),
}
# Chains that may end at "no owner" legitimately (workspace-level); others end hidden.
OPTIONAL_OWNER = {"Milestone", "AttachmentContent"}
SUBSCRIPTION_LEVEL = {"Subscription", "User", "UserProfile", "UserPermission"}
# Workspace-level types only workspace admins change (the rest: any Editor in the workspace).
ADMIN_ONLY = {"TypeDefinition", "AttributeDefinition", "WorkspaceConfiguration", "WorkspacePermission",
              "ProjectPermission", "State", "PreliminaryEstimate", "Workspace", "Project", "ScopedAttributeDefinition"}


@dataclass
class Policy:
    """One principal's rights, computed once per request (the permission rows are read once)."""

    backend: Backend
    principal: Principal
    _roles: dict[int, str] | None = None
    _admin_ws: set[int] | None = None
    _visible_ws: set[int] | None = None
    _project_ws: dict[int, int | None] = field(default_factory=dict)
    _sql: dict[tuple[str, str, int], str] = field(default_factory=dict)

    # -- the principal's grants ------------------------------------------------------------
    @property
    def sub_admin(self) -> bool:
        return self.principal.sub_admin

    def roles(self) -> dict[int, str]:
        """Project oid -> role (ProjectPermission rows)."""
        if self._roles is None:
            rows = self.backend.store.select(
                "o.type = 'ProjectPermission' AND o.deleted = 0 AND json_extract(o.data, '$.\"User\"') = ?",
                [self.principal.oid])
            self._roles = {int(r.data["Project"]): str(r.data.get("Role") or "Viewer")
                           for r in rows if r.data.get("Project")}
        return self._roles

    def admin_workspaces(self) -> set[int]:
        if self._admin_ws is None:
            rows = self.backend.store.select(
                "o.type = 'WorkspacePermission' AND o.deleted = 0 AND json_extract(o.data, '$.\"User\"') = ?"
                " AND json_extract(o.data, '$.\"Role\"') = 'Admin'", [self.principal.oid])
            self._admin_ws = {int(r.data["Workspace"]) for r in rows if r.data.get("Workspace")}
        return self._admin_ws

    def visible_workspaces(self) -> set[int]:
        """Workspaces with any grant (a WorkspacePermission, or a role in one of its projects)."""
        if self._visible_ws is None:
            rows = self.backend.store.select(
                "o.type = 'WorkspacePermission' AND o.deleted = 0 AND json_extract(o.data, '$.\"User\"') = ?",
                [self.principal.oid])
            out = {int(r.data["Workspace"]) for r in rows if r.data.get("Workspace")}
            out.update(ws for p in self.roles() if (ws := self._workspace_of(p)))
            self._visible_ws = out
        return self._visible_ws

    def _workspace_of(self, project: int) -> int | None:
        if project not in self._project_ws:
            row = self.backend.store.get(project)
            self._project_ws[project] = row.workspace if row is not None else None
        return self._project_ws[project]

    def is_workspace_admin(self, workspace: int | None) -> bool:
        return self.sub_admin or (workspace is not None and workspace in self.admin_workspaces())

    def readable_projects(self) -> list[int]:
        return sorted(p for p, role in self.roles().items() if role in READ_ROLES)

    def writable_projects(self) -> set[int]:
        return {p for p, role in self.roles().items() if role in WRITE_ROLES}

    # -- the owner chain, as SQL -----------------------------------------------------------
    def governing_sql(self, type_name: str, alias: str = "o", depth: int = 0) -> str:
        """SQL for the governing project of a row of ``type_name`` aliased ``alias``: a project
        ObjectID, 0 for workspace-level objects, NULL when the chain ends nowhere."""
        key = (type_name, alias, depth)
        if key not in self._sql:
            self._sql[key] = self._governing_sql(type_name, alias, depth)
        return self._sql[key]

    def _governing_sql(self, type_name: str, alias: str, depth: int) -> str:
        tdef = self.backend.catalog.get(type_name)
        if type_name == "Project":
            return f"{alias}.oid"
        if type_name in CHAIN and depth < 4:
            parts = []
            for attr in CHAIN[type_name]:
                target = tdef.attr(attr).target if tdef and tdef.attr(attr) else None  # type: ignore[union-attr]
                inner = f"{alias}_g{depth}"
                # The owner ref is in the data: a ProjectPermission's Project has no project column.
                owner = f"json_extract({alias}.data, '{json_path(attr)}')"
                parts.append(f"(SELECT {self._target_sql(target, inner, depth + 1)} FROM objects {inner}"
                             f" WHERE {inner}.oid = {owner})")
            if type_name in OPTIONAL_OWNER:
                parts.append("0")
            return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        if type_name in REVERSE and depth < 4:
            owner_type, attr = REVERSE[type_name]
            inner = f"{alias}_g{depth}"
            owner_sql = (self.governing_sql(owner_type, inner, depth + 1) if owner_type
                         else self._dynamic_sql(inner, depth + 1))
            type_test = f" AND {inner}.type = '{owner_type}'" if owner_type else f" AND {inner}.type != 'Revision'"
            found = (f"(SELECT {owner_sql} FROM objects {inner} WHERE {value_sql(inner, attr)} = {alias}.oid"
                     f"{type_test} LIMIT 1)")
            return f"coalesce({found}, 0)" if type_name in OPTIONAL_OWNER else found
        if tdef is not None and tdef.has_project:
            return f"{alias}.project"
        return "0"

    def _target_sql(self, target: str | None, alias: str, depth: int) -> str:
        if target in (None, "DomainObject"):
            return self._dynamic_sql(alias, depth)
        return self.governing_sql(str(target), alias, depth)

    def _dynamic_sql(self, alias: str, depth: int) -> str:
        """Governing project of a row whose type is only known at run time (a history's owner)."""
        catalog = self.backend.catalog
        column = sorted(t.type_path for t in catalog.types()
                        if t.has_project and t.name not in CHAIN and not t.abstract)
        owned = [t.type_path for t in catalog.types() if t.name in CHAIN and "RevisionHistory" in t.by_name
                 and not t.abstract]
        whens = [f"WHEN {alias}.type = 'Project' THEN {alias}.oid",
                 f"WHEN {alias}.type IN ({', '.join(repr(t) for t in column)}) THEN {alias}.project"]
        if depth < 4:
            whens += [f"WHEN {alias}.type = '{t}' THEN {self.governing_sql(t, alias, depth)}" for t in owned]
        return f"(CASE {' '.join(whens)} ELSE 0 END)"

    # -- reads -----------------------------------------------------------------------------
    def read_filter(self, tdef: TypeDef, alias: str = "o") -> tuple[str, list[Any]]:
        """SQL limiting rows of ``tdef`` to what the principal may read."""
        if self.sub_admin or tdef.name in SUBSCRIPTION_LEVEL:
            return "1", []
        admin_ws = sorted(self.admin_workspaces())
        visible_ws = sorted(self.visible_workspaces())
        projects = self.readable_projects()
        if tdef.name == "Workspace":
            return f"{alias}.oid IN ({_marks(visible_ws)})", visible_ws
        gov = self.governing_sql(tdef.name, alias)
        if gov in (f"{alias}.project", f"{alias}.oid"):  # the fast path: an indexed column
            rule, args = f"{gov} IN ({_marks(projects)})", list(projects)
        elif gov == "0":
            rule, args = f"{alias}.workspace IN ({_marks(visible_ws)})", list(visible_ws)
        else:
            rule = (f"(({gov}) IN ({_marks(projects)}) OR (({gov}) = 0 AND {alias}.workspace IN"
                    f" ({_marks(visible_ws)})))")
            args = [*projects, *visible_ws]
        if admin_ws:
            return f"({alias}.workspace IN ({_marks(admin_ws)}) OR {rule})", [*admin_ws, *args]
        return rule, args

    def visible(self, rows: list[Row]) -> set[int]:
        """The ObjectIDs among ``rows`` the principal may read (one SQL statement per owned type)."""
        if self.sub_admin:
            return {r.oid for r in rows}
        out: set[int] = set()
        chained: dict[str, list[int]] = {}
        projects = set(self.readable_projects())
        for row in rows:
            tdef = self.backend.catalog.get(row.type)
            name = tdef.name if tdef else row.type
            gov = self.governing_sql(name)
            if name in SUBSCRIPTION_LEVEL or self.is_workspace_admin(row.workspace) and name != "Workspace":
                out.add(row.oid)
            elif name == "Workspace":
                if row.oid in self.visible_workspaces():
                    out.add(row.oid)
            elif gov in ("o.project", "o.oid"):
                if (row.project if gov == "o.project" else row.oid) in projects:
                    out.add(row.oid)
            elif gov == "0":
                if row.workspace in self.visible_workspaces():
                    out.add(row.oid)
            else:
                chained.setdefault(name, []).append(row.oid)
        for name, oids in chained.items():
            tdef = self.backend.catalog.get(name)
            assert tdef is not None
            where, args = self.read_filter(tdef)
            for i in range(0, len(oids), 500):
                chunk = oids[i:i + 500]
                found = self.backend.store.execute(
                    f"SELECT o.oid FROM objects o WHERE o.oid IN ({_marks(chunk)}) AND {where}", [*chunk, *args])
                out.update(int(r[0]) for r in found)
        return out

    def governing(self, row: Row) -> int | None:
        """The governing project of a stored row (0: workspace-level, None: no owner)."""
        tdef = self.backend.catalog.get(row.type)
        sql = self.governing_sql(tdef.name if tdef else row.type)
        if sql == "o.project":
            return row.project
        if sql == "o.oid":
            return row.oid
        if sql == "0":
            return 0
        found = self.backend.store.execute(f"SELECT {sql} FROM objects o WHERE o.oid = ?", [row.oid])
        value = found[0][0] if found else None
        return int(value) if value is not None else None

    def can_read(self, row: Row) -> bool:
        if self.sub_admin:
            return True
        tdef = self.backend.catalog.get(row.type)
        name = tdef.name if tdef else row.type
        if name in SUBSCRIPTION_LEVEL:
            return True
        if name == "Workspace":
            return row.oid in self.visible_workspaces()
        if self.is_workspace_admin(row.workspace):
            return True
        return self._grants(self.governing(row), row.workspace, write=False)

    # -- writes ----------------------------------------------------------------------------
    def can_write(self, row: Row) -> bool:
        if self.sub_admin:
            return True
        tdef = self.backend.catalog.get(row.type)
        return self.may_write(tdef.name if tdef else row.type, row.workspace, self.governing(row), own=row.oid)

    def may_manage(self, action: str, type_name: str, row: Row | None = None) -> bool:
        """Subscription-level changes (users, workspaces, the subscription): subscription admins
        only, except that users update their own User and UserProfile."""
        if self.sub_admin:
            return True
        if action == "update" and row is not None and type_name in ("User", "UserProfile"):
            return self._is_self(row.oid)
        return False

    def _is_self(self, oid: int | None) -> bool:
        """Is ``oid`` the principal's own User or UserProfile?"""
        return oid in (self.principal.oid, self.principal.user.data.get("UserProfile"))

    def may_relink(self, owner: Row, attr: str) -> bool:
        """May the principal change the links ``owner.attr``?  KB-192565: a milestone's Projects
        list changes only for a caller who may write every project already on it."""
        if self.sub_admin or owner.type != "Milestone" or attr != "Projects":
            return True
        return all(self.may_write("Project", owner.workspace, p) for p in self.backend.store.links(owner.oid, attr))

    def may_write(self, type_name: str, workspace: int | None, governing: int | None, *, own: int | None = None
                  ) -> bool:
        """May the principal write an object of ``type_name`` governed by ``governing``?"""
        if self.sub_admin:
            return True
        if type_name in SUBSCRIPTION_LEVEL:
            return type_name in ("User", "UserProfile") and self._is_self(own)
        if type_name == "Workspace":
            return False
        if self.is_workspace_admin(workspace):
            return True
        if type_name in ADMIN_ONLY and type_name != "Project":
            return False
        if governing == 0:
            return any(self._workspace_of(p) == workspace for p in self.writable_projects())
        return self._grants(governing, workspace, write=True)

    def governing_new(self, tdef: TypeDef, data: dict[str, Any], project: int | None) -> int | None:
        """The governing project of an object about to be created from ``data``."""
        if tdef.name in CHAIN:
            for attr in CHAIN[tdef.name]:
                owner = data.get(attr)
                if owner:
                    row = self.backend.store.get(int(owner), include_deleted=True)
                    if row is None:
                        return None
                    return row.oid if row.type == "Project" else self.governing(row)
            return 0 if tdef.name in OPTIONAL_OWNER else None
        if tdef.name in REVERSE:
            return 0  # nothing points at a new object yet
        if tdef.has_project:
            return project
        return 0

    def _grants(self, governing: int | None, workspace: int | None, *, write: bool) -> bool:
        if governing is None:
            return False
        if governing == 0:
            return not write and workspace in self.visible_workspaces()
        return self.roles().get(governing) in (WRITE_ROLES if write else READ_ROLES)


def policy(backend: Backend, principal: Principal) -> Policy:
    """The principal's :class:`Policy`, made once per request and kept on the principal."""
    found = principal.cache.get("policy")
    if found is None:
        found = principal.cache["policy"] = Policy(backend, principal)
    return found  # type: ignore[no-any-return]


def _marks(values: list[int]) -> str:
    return ",".join("?" * len(values)) or "NULL"
