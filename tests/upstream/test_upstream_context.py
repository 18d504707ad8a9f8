"""Upstream pyral 1.7.0 context handling against the emulator (upstream test_context,
test_inflation, test_wksprj_setting, test_workspaces and test_project_pathing, on seeded data)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.upstream

CONTEXT_ERROR = "pyral.context.RallyRESTAPIError"
RESTAPI_ERROR = "pyral.restapi.RallyRESTAPIError"
ALT, KIPS = "Alt Workspace", "Kip's Playground"


@pytest.fixture(scope="module")
def result(drive, wsapi):
    default = wsapi.workspace()
    sample = wsapi.project("Sample Project")
    my = wsapi.create("Project", {"Name": "My Project", "Workspace": default["_ref"]})
    jenkins = wsapi.create("Project", {"Name": "Jenkins", "Workspace": default["_ref"]})
    sal1 = wsapi.create("Project", {"Name": "Salamandra", "Workspace": default["_ref"], "Parent": jenkins["_ref"]})
    corral = wsapi.create("Project", {"Name": "Corral", "Workspace": default["_ref"], "Parent": jenkins["_ref"]})
    sal2 = wsapi.create("Project", {"Name": "Salamandra", "Workspace": default["_ref"], "Parent": corral["_ref"]})
    for name, project in [("default story", sample), ("my story", my), ("shallow salamander story", sal1),
                          ("deep salamander story", sal2)]:
        wsapi.create("HierarchicalRequirement", {"Name": name, "Project": project["_ref"]})
    alt = wsapi.create("Workspace", {"Name": ALT})
    wsapi.create("Project", {"Name": "Sample Project", "Workspace": alt["_ref"]})
    alt_project = wsapi.create("Project", {"Name": "Alt Project", "Workspace": alt["_ref"]})
    wsapi.create("HierarchicalRequirement", {"Name": "alt story", "Project": alt_project["_ref"]},
                 workspace=wsapi.short_ref(alt))
    kips = wsapi.create("Workspace", {"Name": KIPS})
    wsapi.create("Project", {"Name": "Sample Project", "Workspace": kips["_ref"]})
    modus = wsapi.create("Project", {"Name": "Modus Operandi", "Workspace": kips["_ref"]})
    wsapi.create("HierarchicalRequirement", {"Name": "kips story", "Project": modus["_ref"]},
                 workspace=wsapi.short_ref(kips))
    closed = wsapi.create("Workspace", {"Name": "Closed Workspace"})
    wsapi.create("Project", {"Name": "Sample Project", "Workspace": closed["_ref"]})
    wsapi.update(closed["_ref"], {"State": "Closed"})
    return drive("context")


def no_project_error(ws: str, project: str) -> dict:
    return {"type": CONTEXT_ERROR,
            "message": f"The current Workspace '{ws}' does not contain an accessible Project with the name of '{project}'"}


def test_default_context(result):
    out = result["default_context"]
    assert (out["workspace"], out["project"], out["inflated"]) == ("Default Workspace", "Sample Project", "minimal")
    assert isinstance(out["ws_oid"], int) and out["ws_oid"] > 10000
    assert out["ws_ref"] == f"workspace/{out['ws_oid']}"
    assert out["proj_ref"].startswith("project/")
    assert out["stories"] == ["default story"]
    assert out["same_context"] is True


def test_named_default_workspace_uses_default_project(result):
    out = result["named_default_workspace"]
    assert (out["workspace"], out["project"], out["inflated"]) == ("Default Workspace", "Sample Project", "minimal")
    assert out["stories"] == ["default story"]
    out = result["named_default_workspace_and_project"]
    assert (out["project"], out["inflated"]) == ("Sample Project", "minimal")


def test_non_default_project(result):
    out = result["non_default_project"]
    assert (out["workspace"], out["project"], out["inflated"]) == ("Default Workspace", "My Project", "minimal")
    assert out["stories"] == ["my story"]


def test_invalid_project_names_give_upstream_errors(result):
    assert result.error("invalid_project_in_default_workspace") == no_project_error("Default Workspace",
                                                                                    "Halfling Leaf Pipe")
    assert result.error("invalid_project_in_named_default_workspace") == no_project_error("Default Workspace",
                                                                                          "Sailor Sami")
    assert result.error("alt_workspace_invalid_project") == no_project_error(ALT, "Barney Rubble")


def test_non_default_workspace_without_project(result):
    out = result["alt_workspace_without_project"]
    assert out["before"]["workspace"] == ALT
    assert out["before"]["project"] == "Sample Project"
    assert out["before"]["inflated"] == "narrow"
    assert out["before"]["stories"] == []
    assert out["after"]["project"] == "Alt Project"
    assert out["after"]["stories"] == ["alt story"]


def test_workspace_name_with_apostrophe(result):
    out = result["apostrophe_workspace"]
    assert (out["before"]["workspace"], out["before"]["inflated"]) == (KIPS, "narrow")
    assert out["after"]["project"] == "Modus Operandi"
    assert out["after"]["stories"] == ["kips story"]


def test_unknown_and_closed_workspace_at_connect(result):
    assert result.error("unknown_workspace") == {
        "type": CONTEXT_ERROR,
        "message": "Specified workspace of 'Nowhere Land' either does not exist or the user does not have "
                   "permission to access that workspace"}
    err = result.error("closed_workspace_at_connect")
    assert err["type"] == CONTEXT_ERROR
    assert "Closed Workspace" in err["message"]


def test_switching_workspace_and_project(result):
    step1, step2, step3 = result["switch_workspace_and_project"]
    assert (step1["workspace"], step1["project"], step1["stories"]) == (ALT, "Sample Project", [])
    assert (step2["workspace"], step2["project"], step2["stories"]) == (ALT, "Alt Project", ["alt story"])
    assert (step3["workspace"], step3["project"], step3["stories"]) == (
        "Default Workspace", "Sample Project", ["default story"])


def test_setting_invalid_workspace_or_project(result):
    msg = "Specified workspace not valid for your credentials or is in a Closed state"
    assert result.error("set_unknown_workspace") == {"type": "builtins.Exception", "message": msg}
    assert result.error("set_closed_workspace") == {"type": "builtins.Exception", "message": msg}
    assert result["workspace_after_bad_set"]["workspace"] == "Default Workspace"
    assert result.error("set_unknown_project") == {
        "type": "builtins.Exception", "message": "Specified project not valid for your current workspace or credentials"}


def test_get_workspaces_and_projects(result):
    out = result["workspaces_and_projects"]
    assert out["workspaces"] == sorted([ALT, "Default Workspace", KIPS])
    # upstream keys projects by name, so the two Salamandras collapse into one entry
    assert out["default_projects"] == ["Corral", "Jenkins", "My Project", "Salamandra", "Sample Project"]
    assert out["alt_projects"] == ["Alt Project", "Sample Project"]
    assert out["named"] == "My Project"


def test_query_workspace_and_project_kwargs(result):
    out = result["query_kwargs_pick_context"]
    assert out["alt"] == ["alt story"]
    assert out["all_default_ws"] == sorted(["default story", "my story", "shallow salamander story",
                                            "deep salamander story"])
    assert out["my_project"] == ["my story"]
    # Without workspace and project parameters Rally falls back to the user's default workspace.
    assert out["no_context"] == out["all_default_ws"]


def test_isolated_workspace(result):
    msg = "No reset of of the Workspace is permitted when the isolated_workspace option is specified"
    out = result["isolated_default_workspace"]
    assert (out["workspace"], out["project"]) == ("Default Workspace", "Sample Project")
    assert out["error"] == [RESTAPI_ERROR, msg]
    out = result["isolated_alt_workspace"]
    assert (out["workspace"], out["project"], out["stories"]) == (ALT, "Alt Project", ["alt story"])
    assert out["error"] == [RESTAPI_ERROR, msg]


def test_multi_element_project_path(result):
    out = result["project_path"]
    assert out["project"] == "Jenkins // Corral // Salamandra"
    assert out["stories"] == ["deep salamander story"]
    assert out["salamandras"] == 2
    assert out["corral_parent"] == "Jenkins"
    assert out["corral_children"] == ["Salamandra"]
    assert out["set_other_path"] is None
    assert out["other_stories"] == ["shallow salamander story"]
    assert out["payload_project_ref_identical"] is True
    assert out["build_project"] == "Salamandra"
