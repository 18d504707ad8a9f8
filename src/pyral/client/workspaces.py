"""Workspace/project context of a ``Rally`` instance.

:class:`RallyContext` is an immutable snapshot (server, user, subscription, workspace, project
and their refs); it never holds a password or API key.  :class:`RallyContextHelper` keeps the
current context of one ``Rally`` instance and resolves workspace/project names, ``A // B // C``
project paths and ``project/<oid>`` refs.  Workspace and project lists are fetched lazily and
cached per instance under a lock; per-call ``workspace=``/``project=`` arguments never change
the current context (upstream mutated it).

Upstream's ``pyral.context.RallyRESTAPIError`` is the same class as ``pyral.RallyRESTAPIError``.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RallyContextError, RallyRESTAPIError
from ..protocol import collection_request, context_params, oid_from_ref, read_request, ref_path

__all__ = ["ProjectInfo", "RallyContext", "RallyContextError", "RallyContextHelper",
           "RallyRESTAPIError", "WorkspaceInfo"]

PATH_SEP = " // "
_PROJECT_REF = re.compile(r"(?:^|/)project/(\d+)$", re.IGNORECASE)
_UNSET: Any = object()
UNSET = _UNSET


@dataclass(frozen=True)
class WorkspaceInfo:
    """A workspace the user can see."""

    name: str
    oid: int | str
    state: str = "Open"

    @property
    def ref(self) -> str:
        """Short ref ``workspace/<oid>``."""
        return f"workspace/{self.oid}"


@dataclass(frozen=True)
class ProjectInfo:
    """A project of a workspace."""

    name: str
    oid: int | str
    state: str = "Open"
    parent_oid: int | str | None = None

    @property
    def ref(self) -> str:
        """Short ref ``project/<oid>``."""
        return f"project/{self.oid}"


class RallyContext:
    """Immutable snapshot of where requests go; credentials are never stored here."""

    __slots__ = ("server", "user", "subscription", "workspace", "project", "workspace_ref",
                 "project_ref", "service_url")
    server: str
    user: str | None
    subscription: str | None
    workspace: str | None
    project: str | None
    workspace_ref: str | None
    project_ref: str | None
    service_url: str

    def __init__(self, server: str, user: str | None, password: Any = None, service_url: str = "",
                 subscription: str | None = None, workspace: str | None = None,
                 project: str | None = None, workspace_ref: str | None = None,
                 project_ref: str | None = None) -> None:
        for name, value in (("server", server), ("user", user), ("subscription", subscription),
                            ("workspace", workspace), ("project", project),
                            ("workspace_ref", workspace_ref), ("project_ref", project_ref),
                            ("service_url", service_url)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RallyContext is immutable")

    def _key(self) -> tuple[Any, ...]:
        return (self.server, self.user, self.subscription, self.workspace, self.project,
                self.workspace_ref, self.project_ref)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RallyContext) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def serviceURL(self) -> str:
        """The WSAPI service URL."""
        return self.service_url

    def identity(self) -> str:
        """``server | user | subscription | workspace | project`` (no credential)."""
        return " | ".join(str(v) for v in (self.server, self.user, self.subscription,
                                           self.workspace, self.project))

    def __repr__(self) -> str:
        return (f"RallyContext(server={self.server!r}, user={self.user!r}, subscription="
                f"{self.subscription!r}, workspace={self.workspace!r}, project={self.project!r})")


RawLoader = Callable[[Any], list[dict[str, Any]]]


class RallyContextHelper:
    """Keeps and resolves the workspace/project context of one ``Rally`` instance (thread-safe)."""

    def __init__(self, *, server: str, user: str | None, service_url: str, load: RawLoader,
                 subscription_ref: str | None, subscription_name: str | None,
                 default_workspace: tuple[str, int | str] | None,
                 default_project: tuple[str, int | str] | None,
                 isolated_workspace: bool = False, warn: bool = True) -> None:
        self.server = server
        self.user = user
        self.service_url = service_url
        self._load = load
        self._lock = threading.RLock()
        self.subscription_ref = subscription_ref
        self.subscription_name = subscription_name
        self.default_workspace = WorkspaceInfo(*default_workspace) if default_workspace else None
        self.default_project = ProjectInfo(*default_project) if default_project else None
        self.isolated_workspace = bool(isolated_workspace)
        self.warn = warn
        self._workspaces: list[WorkspaceInfo] | None = None
        self._projects: dict[str, list[ProjectInfo]] = {}
        self._inflated = "minimal"
        self._ws: WorkspaceInfo | None = None
        self._proj: ProjectInfo | None = None
        self._proj_label: str | None = None
        self._current: RallyContext | None = None

    # -- loading --------------------------------------------------------------------------
    def workspaces(self) -> list[WorkspaceInfo]:
        """Every workspace of the subscription (fetched once)."""
        with self._lock:
            if self._workspaces is None:
                if not self.subscription_ref:
                    subs = self._load(read_request("subscription", fetch="Name,ObjectID"))
                    if not subs or not subs[0].get("_ref"):
                        raise RallyContextError("Unable to determine the subscription of the user")
                    self.subscription_ref = ref_path(subs[0]["_ref"])
                    self.subscription_name = subs[0].get("Name") or subs[0].get("_refObjectName")
                req = collection_request(f"{self.subscription_ref}/Workspaces",
                                         fetch="Name,ObjectID,State")
                items = self._load(req)
                self._workspaces = [WorkspaceInfo(i.get("Name") or i.get("_refObjectName") or "",
                                                  i.get("ObjectID") or oid_from_ref(i["_ref"]),
                                                  i.get("State") or "Open") for i in items]
            return list(self._workspaces)

    def projects(self, ws: WorkspaceInfo) -> list[ProjectInfo]:
        """Every project of ``ws`` (fetched once per workspace)."""
        key = str(ws.oid)
        with self._lock:
            cached = self._projects.get(key)
            if cached is None:
                req = collection_request(f"workspace/{ws.oid}/Projects",
                                         fetch="Name,ObjectID,State,Parent")
                cached = []
                for i in self._load(req):
                    parent = i.get("Parent")
                    parent_oid = oid_from_ref(parent["_ref"]) if isinstance(parent, dict) and \
                        parent.get("_ref") else None
                    cached.append(ProjectInfo(i.get("Name") or i.get("_refObjectName") or "",
                                              i.get("ObjectID") or oid_from_ref(i["_ref"]),
                                              i.get("State") or "Open", parent_oid))
                self._projects[key] = cached
            return list(cached)

    # -- resolution -----------------------------------------------------------------------
    def find_workspace(self, name: str) -> WorkspaceInfo | None:
        """The open workspace called ``name`` (no request if it is the default one)."""
        dws = self.default_workspace
        if dws is not None and name == dws.name:
            return dws
        matches = [w for w in self.workspaces() if w.name == name and w.state != "Closed"]
        if not matches:
            with self._lock:  # maybe created since the list was cached: reload once
                self._workspaces = None
            matches = [w for w in self.workspaces() if w.name == name and w.state != "Closed"]
        return matches[0] if matches else None

    def _project_path(self, ws: WorkspaceInfo, proj: ProjectInfo) -> str:
        by_oid = {str(p.oid): p for p in self.projects(ws)}
        names = [proj.name]
        seen = {str(proj.oid)}
        cur = proj
        while cur.parent_oid is not None and str(cur.parent_oid) in by_oid and \
                str(cur.parent_oid) not in seen:
            cur = by_oid[str(cur.parent_oid)]
            seen.add(str(cur.oid))
            names.append(cur.name)
        return PATH_SEP.join(reversed(names))

    def find_project(self, ws: WorkspaceInfo, spec: str) -> ProjectInfo | None:
        """Resolve a project name, ``A // B // C`` path or ``project/<oid>`` ref within ``ws``."""
        spec = spec.strip()
        dproj = self.default_project
        dws = self.default_workspace
        if dproj is not None and dws is not None and ws.oid == dws.oid and spec == dproj.name:
            return dproj
        found = self._match_project(self.projects(ws), spec)
        if found is None:
            with self._lock:  # maybe created since the list was cached: reload once
                self._projects.pop(str(ws.oid), None)
            found = self._match_project(self.projects(ws), spec)
        return found

    def _match_project(self, projects: list[ProjectInfo], spec: str) -> ProjectInfo | None:
        m = _PROJECT_REF.search(spec)
        if m:
            return next((p for p in projects if str(p.oid) == m.group(1)), None)
        if PATH_SEP in spec:
            return self._walk_path(projects, [s.strip() for s in spec.split(PATH_SEP.strip())])
        return next((p for p in projects if p.name == spec), None)

    @staticmethod
    def _walk_path(projects: list[ProjectInfo], parts: list[str]) -> ProjectInfo | None:
        chains = [p for p in projects if p.name == parts[0]]
        roots = [p for p in chains if p.parent_oid is None]
        chains = roots or chains
        for part in parts[1:]:
            parents = {str(p.oid) for p in chains}
            chains = [p for p in projects if p.name == part and str(p.parent_oid) in parents]
            if not chains:
                return None
        return chains[0] if chains else None

    def _pick_default_project(self, ws: WorkspaceInfo) -> ProjectInfo:
        dproj = self.default_project
        dws = self.default_workspace
        if dproj is not None and dws is not None and ws.oid == dws.oid:
            return dproj
        projects = self.projects(ws)
        if not projects:
            raise RallyContextError(f"No accessible Projects found in the Workspace '{ws.name}'")
        if dproj is not None:
            same = next((p for p in projects if p.name == dproj.name and p.state != "Closed"), None)
            if same is not None:
                return same
        open_projects = sorted((p for p in projects if p.state != "Closed"), key=lambda p: p.name)
        chosen = (open_projects or sorted(projects, key=lambda p: p.name))[0]
        if self.warn and dproj is not None:
            print(f"WARNING: Default project changed to '{chosen.name}' ({chosen.ref}).\n"
                  f"         Your normal default project: '{dproj.name}' is not valid for\n"
                  f"         the current workspace setting of: '{ws.name}'", file=sys.stderr)
        return chosen

    # -- setup / switching ----------------------------------------------------------------
    def setup(self, workspace: Any = _UNSET, project: Any = _UNSET) -> None:
        """Choose the initial workspace and project (compat §7 rules, minus upstream's bugs)."""
        with self._lock:
            if workspace in (_UNSET, None, "", "default", "current"):
                ws = self.default_workspace
                if ws is None:
                    candidates = sorted((w for w in self.workspaces() if w.state != "Closed"),
                                        key=lambda w: w.name)
                    if not candidates:
                        raise RallyContextError("No Workspace was specified and there is no "
                                                "DefaultWorkspace setting for the user")
                    ws = candidates[0]
                    self._inflated = "narrow"
            else:
                ws = self._named_workspace(str(workspace))
            if project in (_UNSET, None, "", "default", "current"):  # None: what apps pass for "not set"
                proj = self._pick_default_project(ws)
                label = proj.name
            else:
                found = self.find_project(ws, str(project))
                if found is None:
                    raise RallyContextError(
                        f"The current Workspace '{ws.name}' does not contain an accessible Project "
                        f"with the name of '{project}'")
                proj = found
                label = str(project) if PATH_SEP in str(project) else proj.name
            self._set_current(ws, proj, label)

    def _named_workspace(self, name: str) -> WorkspaceInfo:
        dws = self.default_workspace
        if dws is not None and name == dws.name:
            return dws
        found = self.find_workspace(name)
        matches = [w for w in self.workspaces() if w.name == name and w.state != "Closed"] if found else []
        if not matches:
            raise RallyContextError(
                f"Specified workspace of '{name}' either does not exist or the user does not have "
                "permission to access that workspace")
        if len(matches) > 1:
            raise RallyContextError(
                f"Multiple workspaces ({len(matches)}) found with the same name of '{name}'.\n"
                "You must specify a workspace with a unique name.")
        self._inflated = "narrow"
        return matches[0]

    def _set_current(self, ws: WorkspaceInfo, proj: ProjectInfo | None, label: str | None) -> None:
        self._ws, self._proj, self._proj_label = ws, proj, label
        self._current = RallyContext(self.server, self.user, None, self.service_url,
                                     self.subscription_name, ws.name, label, ws.ref,
                                     proj.ref if proj else None)

    def setWorkspace(self, name: str) -> None:
        """Make ``name`` the current workspace (project: same name, default, or first)."""
        with self._lock:
            cur = self._ws
            if cur is not None and name == cur.name:
                return
            if self.isolated_workspace:
                raise RallyContextError("No reset of of the Workspace is permitted when the "
                                        "isolated_workspace option is specified")
            ws = self.find_workspace(name)
            if ws is None:
                raise RallyContextError(
                    "Specified workspace not valid for your credentials or is in a Closed state")
            proj: ProjectInfo | None = None
            if self._proj is not None:
                proj = next((p for p in self.projects(ws) if p.name == self._proj.name), None)
            if proj is None:
                try:
                    proj = self._pick_default_project(ws)
                except RallyContextError:
                    proj = None
            if ws != self.default_workspace and self._inflated == "minimal":
                self._inflated = "narrow"
            self._set_current(ws, proj, proj.name if proj else None)

    def setProject(self, name: str) -> None:
        """Make ``name`` (name, path or ref) the current project of the current workspace."""
        with self._lock:
            ws = self._require_ws()
            proj = self.find_project(ws, name)
            if proj is None:
                if PATH_SEP in name:
                    raise RallyContextError("Specified projectName not found or not valid for your "
                                            "current workspace or credentials")
                raise RallyContextError(
                    "Specified project not valid for your current workspace or credentials")
            self._set_current(ws, proj, name if PATH_SEP in name else proj.name)

    def _require_ws(self) -> WorkspaceInfo:
        if self._ws is None:
            raise RallyContextError("No current workspace")
        return self._ws

    # -- queries about the current context ------------------------------------------------
    def currentContext(self) -> RallyContext:
        """The current context snapshot (the same object until the context changes)."""
        with self._lock:
            assert self._current is not None
            return self._current

    def currentWorkspace(self) -> WorkspaceInfo | None:
        """Current workspace info."""
        return self._ws

    def currentProject(self) -> tuple[ProjectInfo | None, str | None]:
        """Current project info and its display label (a path for path-selected projects)."""
        with self._lock:
            return self._proj, self._proj_label

    def currentWorkspaceRef(self) -> str | None:
        """``workspace/<oid>`` of the current workspace."""
        return self._ws.ref if self._ws else None

    def currentProjectRef(self) -> str | None:
        """``project/<oid>`` of the current project (None when unscoped)."""
        return self._proj.ref if self._proj else None

    def isAccessibleWorkspaceName(self, name: str) -> bool:
        """True if ``name`` is an open workspace of the subscription."""
        return self.find_workspace(name) is not None

    def getProjectPath(self, proj: ProjectInfo) -> str:
        """``A // B // C`` path of a project in the current workspace."""
        return self._project_path(self._require_ws(), proj)

    def inflation(self) -> str:
        """Upstream's cache status: ``minimal``, ``narrow`` or ``wide``."""
        return self._inflated

    def mark_wide(self) -> None:
        """Record that every workspace has been listed."""
        self._inflated = "wide"

    # -- per-request context ----------------------------------------------------------------
    def resolve(self, kwargs: Mapping[str, Any], *, scoping: bool = True,
                ) -> tuple[RallyContext, list[tuple[str, str]]]:
        """Context and query params for one request (``workspace=``/``project=`` kwargs honoured).

        Never mutates the current context.  ``workspace=None``/``project=None`` drop the param.
        """
        with self._lock:
            ws = self._ws
            proj, label = self._proj, self._proj_label
        ws_arg = kwargs.get("workspace", "current")
        proj_arg = kwargs.get("project", "current")
        if ws_arg is None:
            ws = None
            if proj_arg == "current":
                proj, label = None, None
        elif ws_arg not in ("current", "default", ""):
            found = self.find_workspace(str(ws_arg))
            if found is None:
                raise RallyContextError(
                    f'Workspace specified: "{ws_arg}" not accessible with current credentials')
            if ws is None or found.oid != ws.oid:
                # another workspace: keep a same-named project, else no project scoping
                current_name = proj.name if proj is not None else None
                proj, label = None, None
                if proj_arg == "current" and current_name is not None:
                    cand = next((p for p in self.projects(found) if p.name == current_name), None)
                    if cand is not None:
                        proj, label = cand, cand.name
            ws = found
        if proj_arg is None:
            proj, label = None, None
        elif proj_arg not in ("current", "default", ""):
            target_ws = ws or self._ws
            found_p = self.find_project(target_ws, str(proj_arg)) if target_ws else None
            if found_p is None:
                raise RallyContextError(
                    f'Project specified: "{proj_arg}" (in workspace: "{kwargs.get("workspace")}") '
                    "not accessible with current credentials")
            proj = found_p
            label = str(proj_arg) if PATH_SEP in str(proj_arg) else found_p.name
        params = context_params(ws.ref if ws else None, proj.ref if proj else None,
                                kwargs.get("projectScopeUp", False),
                                kwargs.get("projectScopeDown", False), scoping=scoping)
        ctx = RallyContext(self.server, self.user, None, self.service_url, self.subscription_name,
                           ws.name if ws else None, label, ws.ref if ws else None,
                           proj.ref if proj else None)
        return ctx, params

    def identifyContext(self, **kwargs: Any) -> tuple[RallyContext, list[str]]:
        """Upstream-style: (context, ``["workspace=workspace/1", "project=project/2", ...]``)."""
        ctx, params = self.resolve(kwargs)
        return ctx, [f"{k}={v}" for k, v in params]
