"""The workspace/project context: current workspace and project, switching, listing."""

from __future__ import annotations

from .. import protocol as proto
from ..errors import (
    RallyContextError,
)
from ..model.entities import (
    Persistable,
    Workspace,
)
from ..model.entities import Project as ProjectEntity
from .operation import Op, computed, operation
from .writes import Writes


class Scoping(Writes):
    """The workspace/project context: current workspace and project, switching, listing."""

    def _wpCacheStatus(self) -> str:
        return self.contextHelper.inflation()

    def serviceURL(self) -> str:
        """The WSAPI service URL."""
        return self.service_url

    def _subscription_name(self) -> Op[str | None]:
        """Name of the user's subscription."""
        if self.contextHelper.subscription_name is None:
            yield from self._subscription()
        return self.contextHelper.subscription_name

    subscriptionName = operation(_subscription_name)

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

    def _set_workspace_now(self, workspaceName: str) -> None:
        """Switch the current workspace (see compat §7.3)."""
        self.contextHelper.setWorkspace(workspaceName)

    def _workspace_now(self) -> Persistable:
        """Shell ``Workspace`` of the current workspace (other attributes lazy-load)."""
        ws = self.contextHelper.currentWorkspace()
        assert ws is not None
        return self._shell(Workspace, ws.name, ws.ref)

    def _workspaces_now(self) -> list[Persistable]:
        """Shells of every open workspace, sorted by name."""
        items = sorted((w for w in self.contextHelper.workspaces() if w.state != "Closed"),
                       key=lambda w: w.name)
        self.contextHelper.mark_wide()
        return [self._shell(Workspace, w.name, w.ref) for w in items]

    def _set_project_now(self, projectName: str) -> None:
        """Switch the current project (name, ``A // B`` path or ``project/<oid>``)."""
        self.contextHelper.setProject(projectName)

    def _project_now(self, name: str | None = None) -> Persistable | None:
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

    def _projects_now(self, workspace: str | None = None) -> list[Persistable]:
        """Shells of the projects of ``workspace`` (default: current), sorted by name."""
        helper = self.contextHelper
        ws = helper.currentWorkspace() if workspace in (None, "current") else \
            helper.find_workspace(str(workspace))
        if ws is None:
            raise RallyContextError(f'Workspace specified: "{workspace}" not accessible with current '
                                    "credentials")
        return [self._shell(ProjectEntity, p.name, p.ref)
                for p in sorted(helper.projects(ws), key=lambda p: p.name)]

    setWorkspace = computed(_set_workspace_now)
    getWorkspace = computed(_workspace_now)
    getWorkspaces = computed(_workspaces_now)
    setProject = computed(_set_project_now)
    getProject = computed(_project_now)
    getProjects = computed(_projects_now)
