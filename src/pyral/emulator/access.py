"""Who may see and change what: Rally's permission model, simplified.

* A subscription admin sees and edits everything.
* A WorkspacePermission with Role ``Admin`` makes a workspace admin: everything in that workspace.
* ProjectPermission rows grant ``Viewer`` (read), ``Editor`` (read/write) or ``Admin`` (read/write)
  on one project.
* Users with no permission in a workspace see nothing in it; queries silently leave out what a
  user may not see, and writes are refused with Rally's ``Not authorized to ...`` texts.
"""

from __future__ import annotations

from .backend import Backend, Principal

READ_ROLES = {"Viewer", "Editor", "Admin", "User"}
WRITE_ROLES = {"Editor", "Admin"}


def workspace_admin(backend: Backend, principal: Principal, workspace: int | None) -> bool:
    if principal.sub_admin:
        return True
    if not workspace:
        return False
    rows = backend.store.select(
        "o.type = 'WorkspacePermission' AND o.deleted = 0 AND json_extract(o.data, '$.\"User\"') = ?"
        " AND json_extract(o.data, '$.\"Workspace\"') = ? AND json_extract(o.data, '$.\"Role\"') = 'Admin'",
        [principal.oid, workspace], limit=1)
    return bool(rows)


def project_roles(backend: Backend, principal: Principal) -> dict[int, str]:
    """Project oid -> role for a non-admin user."""
    rows = backend.store.select(
        "o.type = 'ProjectPermission' AND o.deleted = 0 AND json_extract(o.data, '$.\"User\"') = ?",
        [principal.oid])
    return {int(r.data["Project"]): str(r.data.get("Role") or "Viewer") for r in rows if r.data.get("Project")}


def readable_projects(backend: Backend, principal: Principal, workspace: int | None) -> set[int] | None:
    """Projects the user may read in a workspace; None means all of them."""
    if workspace_admin(backend, principal, workspace):
        return None
    return {p for p, role in project_roles(backend, principal).items() if role in READ_ROLES}


def readable_workspaces(backend: Backend, principal: Principal) -> set[int] | None:
    """Workspaces the user may see; None means all of them."""
    if principal.sub_admin:
        return None
    out: set[int] = set()
    rows = backend.store.select(
        "o.type = 'WorkspacePermission' AND o.deleted = 0 AND json_extract(o.data, '$.\"User\"') = ?",
        [principal.oid])
    out.update(int(r.data["Workspace"]) for r in rows if r.data.get("Workspace"))
    projects = list(project_roles(backend, principal))
    if projects:
        for row in backend.store.get_many(projects).values():
            if row.workspace:
                out.add(row.workspace)
    return out


def can_read_project(backend: Backend, principal: Principal, workspace: int | None, project: int | None) -> bool:
    """May the user read objects of ``project`` (None: objects of the workspace without a project)?"""
    if project is None:
        visible = readable_workspaces(backend, principal)
        return visible is None or workspace in visible
    allowed = readable_projects(backend, principal, workspace)
    return allowed is None or project in allowed


def can_write_project(backend: Backend, principal: Principal, workspace: int | None, project: int | None) -> bool:
    if workspace_admin(backend, principal, workspace):
        return True
    if project is None:
        return False
    return project_roles(backend, principal).get(project) in WRITE_ROLES


def can_write_workspace(backend: Backend, principal: Principal, workspace: int | None) -> bool:
    """Workspace-level objects (tags, milestones ...): workspace admins, and project editors or
    admins of a project in that workspace."""
    if workspace_admin(backend, principal, workspace):
        return True
    writable = [p for p, role in project_roles(backend, principal).items() if role in WRITE_ROLES]
    return any(row.workspace == workspace for row in backend.store.get_many(writable).values())
