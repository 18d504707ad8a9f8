"""Connecting, authentication, transport options and workspace/project context (emulator)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from client_helpers import CountingTransport

from pyral import Rally
from pyral.context import RallyRESTAPIError as ContextRESTAPIError
from pyral.errors import RallyAuthError, RallyConnectionError, RallyContextError
from pyral.restapi import RallyRESTAPIError as RestRESTAPIError


def test_connect_with_apikey_costs_one_request(connect_both: Any) -> None:
    rally, sent = connect_both()
    assert sent.lines() == ["GET user"]
    assert rally.getWorkspace().Name == "Default Workspace"
    assert rally.getProject().Name == "Sample Project"
    assert rally._wpCacheStatus() == "minimal"
    rally.get("Project", fetch=False, limit=10)
    assert len(sent.sent) == 2  # the query itself; no schema, no workspace list


def test_connect_basic_auth_http_full_url(emu: Any) -> None:
    with Rally(emu.url, emu.admin_user, emu.admin_password) as rally:
        assert rally.serviceURL() == f"{emu.url}/slm/webservice/v2.0"
        resp = rally.get("Project", fetch=False, limit=10)
        assert resp.status_code == 200 and resp.resultCount >= 1 and resp.errors == []


def test_connect_https_host_port_without_verification(tls_emulator: Any) -> None:
    tls_emulator.reset()
    with Rally(tls_emulator.server, tls_emulator.admin_user, tls_emulator.admin_password,
               verify_ssl_cert=False) as rally:
        assert rally.service_url.startswith("https://")
        story = rally.create("Story", {"Name": "over TLS"})
        assert rally.get("Story", query=f'FormattedID = "{story.FormattedID}"', instance=True).Name == "over TLS"
    with Rally(f"https://{tls_emulator.server}", apikey=tls_emulator.admin_api_key,
               verify_ssl_cert=False) as rally:
        assert rally.getProject().Name == "Sample Project"


def test_https_certificate_is_verified_by_default(tls_emulator: Any) -> None:
    with pytest.raises(RallyConnectionError, match="SSL certificate verification failed"):
        Rally(tls_emulator.server, apikey=tls_emulator.admin_api_key, max_retries=0)


def test_bad_credentials(emu: Any) -> None:
    for kwargs in ({"apikey": "_bogus"}, {"user": emu.admin_user, "password": "wrong"},
                   {"user": "nobody@x.com", "password": emu.admin_password},
                   {"user": emu.admin_user, "password": emu.admin_password, "apikey": "_bogus"}):
        with pytest.raises(RallyAuthError) as exc:
            Rally(emu.url, **kwargs)
        assert str(exc.value) == "Invalid credentials"
        assert isinstance(exc.value, ContextRESTAPIError) and isinstance(exc.value, RestRESTAPIError)
    # a valid key wins over a bad user/password
    Rally(emu.url, "bogus", "bogus", apikey=emu.admin_api_key).close()


def test_unreachable_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RallyConnectionError) as exc:
        Rally(f"http://127.0.0.1:{port}", apikey="_x", max_retries=1)
    assert str(exc.value) == f"Target Rally host: '127.0.0.1:{port}' non-existent or unreachable"
    with pytest.raises(RallyConnectionError, match="is either not reachable or doesn't support the Rally WSAPI"):
        Rally("bad\x07server", apikey="_x")


def test_headers_override(emu: Any) -> None:
    sent = CountingTransport()
    Rally(emu.url, apikey=emu.admin_api_key, http_transport=sent,
          headers={"name": "MyTool", "vendor": "Me", "version": "9.9", "nonsense": "dropped"}).close()
    h = sent.sent[0].headers
    assert h["X-RallyIntegrationName"] == "MyTool" and h["X-RallyIntegrationVendor"] == "Me"
    assert h["X-RallyIntegrationVersion"] == "9.9" and "nonsense" not in h
    assert h["ZSESSIONID"] == emu.admin_api_key and "authorization" not in h


def _alt_setup(rally: Rally) -> None:
    ws = rally.create("Workspace", {"Name": "Alt WS"})
    rally.create("Project", {"Name": "Beta", "Workspace": ws.ref})
    rally.create("Project", {"Name": "Alpha", "Workspace": ws.ref})
    rally.create("Project", {"Name": "My Project"})
    top = rally.create("Project", {"Name": "Arctic"})
    mid = rally.create("Project", {"Name": "Corral", "Parent": top.ref})
    rally.create("Project", {"Name": "Salamandra", "Parent": mid.ref})
    rally.create("Project", {"Name": "Salamandra", "Parent": top.ref})


def test_named_projects_and_inflation(connect_both: Any, both: Any) -> None:
    rally = both
    _alt_setup(rally)
    for project in ("Sample Project", "My Project"):
        other, _ = connect_both(project=project)
        assert other.getProject().Name == project and other._wpCacheStatus() == "minimal"
    with pytest.raises(RallyContextError) as exc:
        connect_both(project="Halfling Leaf Pipe")
    assert str(exc.value) == ("The current Workspace 'Default Workspace' does not contain an accessible "
                              "Project with the name of 'Halfling Leaf Pipe'")
    with pytest.raises(RallyContextError) as exc:
        connect_both(workspace="Alt WS", project="Barney Rubble")
    assert "The current Workspace 'Alt WS' does not contain an accessible Project" in str(exc.value)
    with pytest.raises(RallyContextError, match="Specified workspace of 'Nowhere' either does not exist"):
        connect_both(workspace="Nowhere")


def test_bug_10_7_context_fixes(connect_both: Any, both: Any, capsys: Any) -> None:
    rally = both
    _alt_setup(rally)
    # project=None (what apps pass when a setting is empty): the user's defaults, not a TypeError
    for kwargs in ({"project": None}, {"workspace": None, "project": None}):
        defaults, sent = connect_both(**kwargs)
        assert sent.lines() == ["GET user"]  # the defaults come with the user: one request
        assert defaults.getWorkspace().Name == "Default Workspace"
        assert defaults.getProject().Name == "Sample Project"
        defaults.get("Story")
        assert f"project=project/{defaults.getProject().oid}&" in str(sent.sent[-1].url)
        assert len(sent.sent) == 2
    # workspace=None: default workspace, no bogus warning
    connect_both(workspace=None)
    assert "Unable to use your workspace" not in capsys.readouterr().err
    # non-default workspace without project: that workspace's first project, not an error
    alt, _ = connect_both(workspace="Alt WS", warn=False)
    assert alt.getProject().Name == "Alpha" and alt._wpCacheStatus() == "narrow"
    # the error names the real project
    with pytest.raises(RallyContextError, match="'Nope'"):
        connect_both(workspace="Alt WS", project="Nope")


def test_project_paths(connect_both: Any, both: Any) -> None:
    rally = both
    _alt_setup(rally)
    path = "Arctic // Corral // Salamandra"
    deep, _ = connect_both(project=path)
    assert deep.getProject().Name == path
    assert deep.getProject(path).Name == path
    assert len(list(rally.get("Project", query='Name = "Salamandra"', project=None))) == 2
    shallow = rally.getProject("Arctic // Salamandra")
    assert shallow is not None and shallow.ref != deep.getProject().ref
    assert rally.setProject(path) is None and rally.getProject().Name == path
    story = rally.create("Story", {"Name": "deep story"})
    assert story.Project.Name == "Salamandra"
    with pytest.raises(RallyContextError, match="Specified projectName not found"):
        rally.setProject("Arctic // Nope")


def test_set_workspace_and_project(connect_both: Any, both: Any) -> None:
    rally = both
    _alt_setup(rally)
    ws0 = rally.getWorkspace()
    rally.setWorkspace("Alt WS")
    assert rally.getWorkspace().Name == "Alt WS" and rally.getProject().Name == "Alpha"
    rally.setProject("Beta")
    ctx, augments = rally.contextHelper.identifyContext()
    assert f"workspace=workspace/{rally.getWorkspace().oid}" in augments
    assert f"project=project/{rally.getProject().oid}" in augments
    assert rally.contextHelper.identifyContext(project=None)[1] == [f"workspace=workspace/{rally.getWorkspace().oid}"]
    assert rally.contextHelper.identifyContext(workspace=None, project=None)[1] == []
    assert rally.getProject().Name == "Beta"  # per-call None never mutates the context
    with pytest.raises(RallyContextError, match="Specified workspace not valid for your credentials"):
        rally.setWorkspace("Constant Misbehavior")
    with pytest.raises(RallyContextError, match="Specified project not valid for your current workspace"):
        rally.setProject("Thorny Buxcuit Weevilz")
    assert rally.getWorkspace().Name == "Alt WS"
    rally.setWorkspace("Default Workspace")
    assert rally.getWorkspace().oid == ws0.oid and rally.getProject().Name == "Sample Project"
    names = [w.Name for w in rally.getWorkspaces()]
    assert names == sorted(names) and "Alt WS" in names
    assert [p.Name for p in rally.getProjects("Alt WS")] == ["Alpha", "Beta"]
    iso, _ = connect_both(isolated_workspace=True)
    with pytest.raises(RallyContextError) as exc:
        iso.setWorkspace("Alt WS")
    assert str(exc.value) == "No reset of of the Workspace is permitted when the isolated_workspace option is specified"
    iso.setWorkspace("Default Workspace")  # same workspace: allowed


def test_per_call_workspace_and_project(both: Any) -> None:
    rally = both
    _alt_setup(rally)
    rally.create("Story", {"Name": "in sample"})
    alt_story = rally.create("Story", {"Name": "in alpha"}, workspace="Alt WS", project="Alpha")
    assert alt_story.Project.Name == "Alpha"
    got = list(rally.get("Story", fetch="Name", workspace="Alt WS", project="Alpha"))
    assert [s.Name for s in got] == ["in alpha"]
    assert [s.Name for s in rally.get("Story", fetch="Name")] == ["in sample"]
    with pytest.raises(RallyContextError, match='Workspace specified: "Nope" not accessible'):
        rally.get("Story", workspace="Nope")
    with pytest.raises(RallyContextError, match='Project specified: "Nope"'):
        rally.get("Story", project="Nope")


def test_subscription_and_context_identity(emu: Any, both: Any) -> None:
    rally = both
    assert rally.subscriptionName() == "Emulated Subscription"
    ctx = rally.contextHelper.currentContext()
    assert ctx == rally.contextHelper.currentContext()
    assert emu.admin_api_key not in ctx.identity() + repr(ctx) + repr(rally)


def _resource_url(rally: Rally, entity: str, **kwargs: Any) -> str:
    """Upstream test_context.py's makeResourceUrl helper, driven through our compat API."""
    from pyral import RallyUrlBuilder

    resource = RallyUrlBuilder(entity)
    resource.qualify(True, None, None, 10, 1)
    _context, augments = rally.contextHelper.identifyContext(**kwargs)
    workspace_ref = rally.contextHelper.currentWorkspaceRef()
    project_ref = rally.contextHelper.currentProjectRef()
    if workspace_ref and kwargs.get("workspace", "x") is not None:
        resource.augmentWorkspace(augments, workspace_ref)
        if project_ref and kwargs.get("project", "x") is not None:
            resource.augmentProject(augments, project_ref)
            resource.augmentScoping(augments)
    return f"{rally.service_url}/{resource.build()}"


def test_upstream_context_url_checks(both: Any) -> None:
    rally = both
    _alt_setup(rally)
    context1 = rally.contextHelper.currentContext()
    workspace, project = rally.getWorkspace(), rally.getProject()
    assert context1 == rally.contextHelper.currentContext()
    assert context1.workspace == "Default Workspace" and context1.project == "Sample Project"
    url = _resource_url(rally, "Defect")
    assert f"workspace=workspace/{workspace.oid}" in url and f"project=project/{project.oid}" in url
    url = _resource_url(rally, "Defect", project=None)
    assert f"workspace=workspace/{workspace.oid}" in url and "&project=" not in url
    url = _resource_url(rally, "Defect", workspace=None, project=None)
    assert "&workspace=" not in url and "&project=" not in url
    rally.setWorkspace("Alt WS")
    rally.setProject("Beta")
    url = _resource_url(rally, "Defect")
    assert f"workspace=workspace/{rally.getWorkspace().oid}" in url
    assert f"project=project/{rally.getProject().oid}" in url
