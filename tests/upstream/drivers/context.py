"""Workspace/project context: defaults, explicit choices, switching, isolation, errors, paths."""

from __future__ import annotations

from _common import Checks, connect, names, setup

cfg = setup()
check = Checks()
ALT, KIPS = "Alt Workspace", "Kip's Playground"
PATH = "Jenkins // Corral // Salamandra"


def stories(rally, **kwargs):
    return sorted(names(rally.get("Story", fetch="Name", **kwargs)))


def where(rally):
    return {"workspace": rally.getWorkspace().Name, "project": rally.getProject().Name,
            "inflated": rally._wpCacheStatus()}


@check
def default_context():
    rally = connect(cfg)
    ws, proj = rally.getWorkspace(), rally.getProject()
    return {**where(rally), "ws_oid": ws.oid, "ws_ref": ws.ref, "proj_ref": proj.ref, "stories": stories(rally),
            "same_context": rally.contextHelper.currentContext() is rally.contextHelper.currentContext()}


@check
def named_default_workspace():
    rally = connect(cfg, workspace="Default Workspace")
    return {**where(rally), "stories": stories(rally)}


@check
def named_default_workspace_and_project():
    return where(connect(cfg, workspace="Default Workspace", project="Sample Project"))


@check
def non_default_project():
    rally = connect(cfg, project="My Project")
    return {**where(rally), "stories": stories(rally)}


@check
def invalid_project_in_default_workspace():
    return where(connect(cfg, project="Halfling Leaf Pipe"))


@check
def invalid_project_in_named_default_workspace():
    return where(connect(cfg, workspace="Default Workspace", project="Sailor Sami"))


@check
def alt_workspace_without_project():
    rally = connect(cfg, workspace=ALT)
    before = {**where(rally), "stories": stories(rally)}
    rally.setProject("Alt Project")
    return {"before": before, "after": {**where(rally), "stories": stories(rally)}}


@check
def apostrophe_workspace():
    rally = connect(cfg, workspace=KIPS, project="Sample Project")
    before = where(rally)
    rally.setProject("Modus Operandi")
    return {"before": before, "after": {**where(rally), "stories": stories(rally)}}


@check
def alt_workspace_invalid_project():
    return where(connect(cfg, workspace=ALT, project="Barney Rubble"))


@check
def unknown_workspace():
    return where(connect(cfg, workspace="Nowhere Land"))


@check
def closed_workspace_at_connect():
    return where(connect(cfg, workspace="Closed Workspace", project="Sample Project"))


rally = connect(cfg)


@check
def switch_workspace_and_project():
    rally.setWorkspace(ALT)
    step1 = {**where(rally), "stories": stories(rally)}
    rally.setProject("Alt Project")
    step2 = {**where(rally), "stories": stories(rally)}
    rally.setWorkspace("Default Workspace")
    rally.setProject("Sample Project")
    step3 = {**where(rally), "stories": stories(rally)}
    return [step1, step2, step3]


@check
def set_unknown_workspace():
    rally.setWorkspace("Constant Misbehavior")


check.run("workspace_after_bad_set", lambda: where(rally))


@check
def set_closed_workspace():
    rally.setWorkspace("Closed Workspace")


@check
def set_unknown_project():
    rally.setProject("Thorny Buxcuit Weevilz")


@check
def workspaces_and_projects():
    return {"workspaces": names(rally.getWorkspaces()),
            "default_projects": names(rally.getProjects()),
            "alt_projects": names(rally.getProjects(workspace=ALT)),
            "named": rally.getProject("My Project").Name}


@check
def query_kwargs_pick_context():
    return {"alt": stories(rally, workspace=ALT, project="Alt Project"),
            "all_default_ws": stories(rally, project=None),
            "my_project": stories(rally, project="My Project"),
            "no_context": stories(rally, workspace=None, project=None)}


@check
def isolated_default_workspace():
    iso = connect(cfg, isolated_workspace=True)
    out = where(iso)
    try:
        iso.setWorkspace(ALT)
    except Exception as exc:  # noqa: BLE001 - the error is what we report
        out["error"] = [f"{type(exc).__module__}.{type(exc).__name__}", str(exc)]
    return out


@check
def isolated_alt_workspace():
    iso = connect(cfg, workspace=ALT, isolated_workspace=True)
    iso.setProject("Alt Project")
    out = {**where(iso), "stories": stories(iso)}
    try:
        iso.setWorkspace("Default Workspace")
    except Exception as exc:  # noqa: BLE001
        out["error"] = [f"{type(exc).__module__}.{type(exc).__name__}", str(exc)]
    return out


@check
def project_path():
    mep = connect(cfg, project=PATH)
    out = {"project": mep.getProject().Name, "stories": stories(mep)}
    dupes = mep.get("Project", fetch="Name", query='Name = "Salamandra"')
    out["salamandras"] = dupes.resultCount
    corral = mep.get("Project", fetch="Name,ObjectID,Parent,Children", query='Name = "Corral"', instance=True)
    out["corral_parent"] = corral.Parent.Name
    out["corral_children"] = names(corral.Children)
    out["set_other_path"] = mep.setProject("Jenkins // Salamandra")
    out["other_stories"] = stories(mep)
    mep.setProject(PATH)
    target = mep.getProject(PATH)
    ws = mep.getWorkspace()
    build = mep.create("BuildDefinition", {"Name": "Path build", "Description": "made in a path project",
                                           "Workspace": ws._ref, "Project": target._ref})
    out["payload_project_ref_identical"] = build.Project._ref == target._ref
    out["build_project"] = build.Project.Name
    return out


check.emit()
