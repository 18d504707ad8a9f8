"""Permissions: a matrix of roles x operations, each refused with Rally's text and nothing changed.

Roles: subscription admin, workspace admin, project Editor, project Viewer, and a user with no
permission at all.  Operations on a Defect in the project: query, read, create, update, delete.
Everything goes over HTTP with httpx (never the project's client).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from wsapi_client import create_with, inner

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@dataclass
class World:
    emu: Emulator
    admin: httpx.Client
    workspace: int
    project: int
    other_project: int
    defect: int
    clients: dict[str, httpx.Client]

    def count_defects(self) -> int:
        body = self.admin.get(f"{API}/defect", params={"workspace": f"/workspace/{self.workspace}",
                                                       "project": "null", "pagesize": 1}).json()
        return int(body["QueryResult"]["TotalResultCount"])



def _ok(body: dict[str, Any]) -> dict[str, Any]:
    found = inner(body)
    assert found["Errors"] == [], found["Errors"]
    return found


def _create(client: httpx.Client, type_name: str, fields: dict[str, Any], **params: Any) -> int:
    return int(create_with(client, type_name, fields, **params)["ObjectID"])


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator() as emu:
        admin = httpx.Client(base_url=emu.url, headers={"ZSESSIONID": emu.admin_api_key})
        me = _ok(admin.get(f"{API}/user", params={"fetch": "UserProfile"}).json())
        ws_ref = admin.get(f"{API}/workspace", params={"fetch": "ObjectID"}).json()["QueryResult"]["Results"][0]
        workspace = int(ws_ref["ObjectID"])
        project = int(admin.get(f"{API}/project", params={"fetch": "ObjectID"}).json()
                      ["QueryResult"]["Results"][0]["ObjectID"])
        other = _create(admin, "Project", {"Name": "Elsewhere", "Workspace": f"/workspace/{workspace}"})
        assert me["UserProfile"]
        roles = {"wsadmin": None, "editor": "Editor", "viewer": "Viewer", "nobody": None}
        clients: dict[str, httpx.Client] = {"subadmin": admin}
        for name, role in roles.items():
            user = _create(admin, "User", {"UserName": f"{name}@example.com", "EmailAddress": f"{name}@example.com",
                                           "DisplayName": name.title()})
            key = f"_key_{name}_0000000000000000"
            answer = admin.put(f"/emulator/users/{name}@example.com/credentials", json={"api_key": key})
            assert answer.status_code == 200, answer.text
            if role:
                _create(admin, "ProjectPermission", {"User": f"/user/{user}", "Project": f"/project/{project}",
                                                     "Role": role})
            if name == "wsadmin":
                _create(admin, "WorkspacePermission", {"User": f"/user/{user}", "Workspace": f"/workspace/{workspace}",
                                                       "Role": "Admin"})
            clients[name] = httpx.Client(base_url=emu.url, headers={"ZSESSIONID": key})
        defect = _create(admin, "Defect", {"Name": "Permission probe"}, workspace=f"/workspace/{workspace}",
                         project=f"/project/{project}")
        yield World(emu, admin, workspace, project, other, defect, clients)
        for client in clients.values():
            client.close()


READERS = {"subadmin", "wsadmin", "editor", "viewer"}
WRITERS = {"subadmin", "wsadmin", "editor"}
ROLES = ["subadmin", "wsadmin", "editor", "viewer", "nobody"]


@pytest.mark.parametrize("role", ROLES)
def test_query(world: World, role: str) -> None:
    body = world.clients[role].get(f"{API}/defect", params={"workspace": f"/workspace/{world.workspace}",
                                                            "query": '(Name = "Permission probe")'}).json()
    inner = _ok(body)
    assert inner["TotalResultCount"] == (1 if role in READERS else 0)


@pytest.mark.parametrize("role", ROLES)
def test_read(world: World, role: str) -> None:
    inner = next(iter(world.clients[role].get(f"{API}/defect/{world.defect}").json().values()))
    if role in READERS:
        assert inner["Errors"] == [] and inner["ObjectID"] == world.defect
    else:
        assert inner["Errors"] == ["Cannot find object to read"]


@pytest.mark.parametrize("role", ROLES)
def test_create(world: World, role: str) -> None:
    before = world.count_defects()
    body = world.clients[role].put(f"{API}/defect/create", params={"workspace": f"/workspace/{world.workspace}",
                                                                   "project": f"/project/{world.project}"},
                                   json={"Defect": {"Name": f"created by {role}"}}).json()["CreateResult"]
    if role in WRITERS:
        assert body["Errors"] == [] and body["Object"]["Name"] == f"created by {role}"
        assert world.count_defects() == before + 1
    else:
        assert body["Errors"] == ["Not authorized to create: Defect"]
        assert "Object" not in body
        assert world.count_defects() == before


@pytest.mark.parametrize("role", ROLES)
def test_update(world: World, role: str) -> None:
    before = _ok(world.admin.get(f"{API}/defect/{world.defect}").json())
    body = world.clients[role].post(f"{API}/defect/{world.defect}",
                                    json={"Defect": {"Notes": f"touched by {role}"}}).json()["OperationResult"]
    after = _ok(world.admin.get(f"{API}/defect/{world.defect}").json())
    if role in WRITERS:
        assert body["Errors"] == [] and after["Notes"] == f"touched by {role}"
        assert int(after["_objectVersion"]) == int(before["_objectVersion"]) + 1
    elif role in READERS:
        assert body["Errors"] == [f"Not authorized to update: Defect {world.defect}"]
        assert after == before
    else:
        assert body["Errors"] == [f"Could not read: Could not read Defect {world.defect} to update."]
        assert after == before


@pytest.mark.parametrize("role", ROLES)
def test_delete(world: World, role: str) -> None:
    victim = _create(world.admin, "Defect", {"Name": f"victim for {role}"},
                     workspace=f"/workspace/{world.workspace}", project=f"/project/{world.project}")
    body = world.clients[role].delete(f"{API}/defect/{victim}").json()["OperationResult"]
    still_there = _ok(world.admin.get(f"{API}/defect/{victim}").json()) if role not in WRITERS else None
    if role in WRITERS:
        assert body["Errors"] == []
        gone = next(iter(world.admin.get(f"{API}/defect/{victim}").json().values()))
        assert gone["Errors"] == ["Cannot find object to read"]
    elif role in READERS:
        assert body["Errors"] == [f"Not authorized to delete: Defect {victim}"]
        assert still_there is not None and still_there["ObjectID"] == victim
    else:
        assert body["Errors"] == ["Object to delete cannot be null"]
        assert still_there is not None and still_there["ObjectID"] == victim


def test_editor_cannot_write_in_another_project(world: World) -> None:
    before = world.count_defects()
    body = world.clients["editor"].put(
        f"{API}/defect/create", params={"workspace": f"/workspace/{world.workspace}"},
        json={"Defect": {"Name": "sneaky", "Project": f"/project/{world.other_project}"}}).json()["CreateResult"]
    # A project the editor cannot even see reads as a missing reference (nothing about it leaks).
    assert body["Errors"] == [f"Could not read: Could not read referenced object {world.other_project}"]
    assert world.count_defects() == before


def test_only_subscription_admins_manage_users_and_workspaces(world: World) -> None:
    for role in ("wsadmin", "editor", "viewer"):
        client = world.clients[role]
        body = client.put(f"{API}/user/create", json={"User": {"UserName": f"x-{role}@example.com",
                                                               "EmailAddress": "x@example.com"}}).json()
        assert body["CreateResult"]["Errors"] == ["Not authorized to create: User"]
        body = client.put(f"{API}/workspace/create", json={"Workspace": {"Name": f"ws by {role}"}}).json()
        assert body["CreateResult"]["Errors"] == ["Not authorized to create: Workspace"]
    users = world.admin.get(f"{API}/user", params={"query": '(UserName contains "x-")'}).json()
    assert users["QueryResult"]["TotalResultCount"] == 0


def test_users_update_only_themselves_and_never_delete_users(world: World) -> None:
    def me(role: str) -> dict[str, Any]:
        return world.clients[role].get(f"{API}/user", params={"fetch": "ObjectID,DisplayName,UserProfile"}).json()["User"]

    editor, viewer = me("editor"), me("viewer")
    profile = editor["UserProfile"]["_ref"].rsplit("/", 1)[1]
    own = world.clients["editor"].post(f"{API}/user/{editor['ObjectID']}",
                                       json={"User": {"DisplayName": "Ed Itor"}}).json()["OperationResult"]
    assert own["Errors"] == [] and own["Object"]["DisplayName"] == "Ed Itor"
    own_profile = world.clients["editor"].post(f"{API}/userprofile/{profile}",
                                               json={"UserProfile": {"TimeZone": "Europe/Paris"}}).json()
    assert own_profile["OperationResult"]["Errors"] == []
    other = world.clients["editor"].post(f"{API}/user/{viewer['ObjectID']}",
                                         json={"User": {"DisplayName": "Hijacked"}}).json()["OperationResult"]
    assert other["Errors"] == [f"Not authorized to update: User {viewer['ObjectID']}"]
    gone = world.clients["editor"].delete(f"{API}/user/{editor['ObjectID']}").json()["OperationResult"]
    assert gone["Errors"] == [f"Not authorized to delete: User {editor['ObjectID']}"]
    assert me("viewer")["DisplayName"] == viewer["DisplayName"]
    assert me("editor")["DisplayName"] == "Ed Itor"


def test_projects_are_filtered_by_visibility(world: World) -> None:
    def names(role: str) -> set[str]:
        body = world.clients[role].get(f"{API}/project", params={"workspace": f"/workspace/{world.workspace}",
                                                                 "fetch": "Name", "pagesize": 200}).json()
        return {r["Name"] for r in body["QueryResult"]["Results"]}

    assert names("subadmin") == names("wsadmin") == {"Sample Project", "Elsewhere"}
    assert names("editor") == names("viewer") == {"Sample Project"}
    assert names("nobody") == set()


def test_control_plane_refuses_non_admins(world: World) -> None:
    for role in ("wsadmin", "editor", "nobody"):
        answer = world.clients[role].get("/emulator/export")
        assert answer.status_code == 403
        assert "admin" in answer.json()["Errors"][0]


@pytest.mark.parametrize(("role", "allowed"), [("subadmin", True), ("wsadmin", True), ("editor", True),
                                               ("viewer", False), ("nobody", False)])
def test_workspace_level_objects_need_a_writer_in_that_workspace(world: World, role: str, allowed: bool) -> None:
    body = world.clients[role].put(f"{API}/tag/create", params={"workspace": f"/workspace/{world.workspace}"},
                                   json={"Tag": {"Name": f"tag by {role}"}}).json()["CreateResult"]
    if allowed:
        assert body["Errors"] == [] and body["Object"]["Name"] == f"tag by {role}"
    else:
        assert body["Errors"] == ["Not authorized to create: Tag"] and "Object" not in body


def _create_as(world: World, role: str, type_name: str, fields: dict[str, Any]) -> dict[str, Any]:
    return inner(world.clients[role].put(f"{API}/{type_name.lower()}/create",
                                         params={"workspace": f"/workspace/{world.workspace}"},
                                         json={type_name: fields}).json())


def _count(world: World, type_name: str, query: str) -> int:
    body = world.admin.get(f"{API}/{type_name.lower()}", params={
        "workspace": f"/workspace/{world.workspace}", "project": "null", "query": query, "pagesize": 1}).json()
    return int(body["QueryResult"]["TotalResultCount"])


def test_only_workspace_admins_grant_project_permissions(world: World) -> None:
    """An Editor cannot hand out roles (not even in its own project); a workspace admin can."""
    nobody = _ok(world.admin.get(f"{API}/user", params={"query": '(UserName = "nobody@example.com")',
                                                        "fetch": "ObjectID"}).json())["Results"][0]
    grant = {"User": nobody["_ref"], "Project": f"/project/{world.project}", "Role": "Editor"}
    query = '(User.UserName = "nobody@example.com")'
    before = _count(world, "ProjectPermission", query)
    refused = _create_as(world, "editor", "ProjectPermission", grant)
    assert refused["Errors"] == ["Not authorized to create: ProjectPermission"] and "Object" not in refused
    assert _count(world, "ProjectPermission", query) == before
    made = _create_as(world, "wsadmin", "ProjectPermission", grant)
    assert made["Errors"] == [] and _count(world, "ProjectPermission", query) == before + 1
    assert _ok(world.admin.delete(made["Object"]["_ref"]).json())["Errors"] == []


@pytest.mark.parametrize("role", ["wsadmin", "editor", "viewer"])
def test_only_subscription_admins_change_a_workspace(world: World, role: str) -> None:
    path = f"{API}/workspace/{world.workspace}"
    before = _ok(world.admin.get(path).json())
    body = inner(world.clients[role].post(path, json={"Workspace": {"Description": f"by {role}"}}).json())
    assert body["Errors"] == [f"Not authorized to update: Workspace {world.workspace}"]
    assert _ok(world.admin.get(path).json()) == before


def test_a_milestone_without_a_target_project_belongs_to_the_workspace(world: World) -> None:
    """docs/emulator.md: Editors of any project in the workspace write it; its Viewers read it."""
    made = _create_as(world, "editor", "Milestone", {"Name": "Workspace-wide milestone"})
    assert made["Errors"] == [], made["Errors"]
    oid = made["Object"]["ObjectID"]
    assert _ok(world.clients["viewer"].get(f"{API}/milestone/{oid}").json())["Name"] == "Workspace-wide milestone"
    assert inner(world.clients["nobody"].get(f"{API}/milestone/{oid}").json())["Errors"] == [
        "Cannot find object to read"]
    assert _create_as(world, "viewer", "Milestone", {"Name": "by a viewer"})["Errors"] == [
        "Not authorized to create: Milestone"]


def test_users_are_readable_through_dotted_paths_by_every_user(world: World) -> None:
    """User is subscription-level: a Viewer's query can match a defect by its owner's UserName."""
    editor = _ok(world.admin.get(f"{API}/user", params={"query": '(UserName = "editor@example.com")',
                                                        "fetch": "ObjectID"}).json())["Results"][0]
    _create(world.admin, "Defect", {"Name": "Owned probe", "Owner": editor["_ref"]},
            workspace=f"/workspace/{world.workspace}", project=f"/project/{world.project}")
    body = world.clients["viewer"].get(f"{API}/defect", params={
        "workspace": f"/workspace/{world.workspace}", "fetch": "Name",
        "query": '((Owner.UserName = "editor@example.com") AND (Name = "Owned probe"))'}).json()
    assert [r["Name"] for r in _ok(body)["Results"]] == ["Owned probe"]


def test_project_permissions_of_other_projects_are_invisible(world: World) -> None:
    nobody = _ok(world.admin.get(f"{API}/user", params={"query": '(UserName = "nobody@example.com")',
                                                        "fetch": "ObjectID"}).json())["Results"][0]
    grant = _create(world.admin, "ProjectPermission", {"User": nobody["_ref"], "Project": f"/project/{world.other_project}",
                                                       "Role": "Viewer"})
    try:
        def projects(role: str) -> set[str]:
            body = world.clients[role].get(f"{API}/projectpermission", params={
                "workspace": f"/workspace/{world.workspace}", "project": "null", "fetch": "Project",
                "pagesize": 200}).json()
            return {r["Project"]["_refObjectName"] for r in _ok(body)["Results"]}

        assert projects("subadmin") == {"Sample Project", "Elsewhere"}
        assert projects("viewer") == {"Sample Project"}
    finally:
        world.admin.delete(f"{API}/projectpermission/{grant}")


def test_an_attachment_of_a_test_case_result_follows_the_test_case(world: World) -> None:
    scope = {"workspace": f"/workspace/{world.workspace}", "project": f"/project/{world.project}"}
    case = create_with(world.admin, "TestCase", {"Name": "Attached case"}, **scope)
    result = create_with(world.admin, "TestCaseResult", {"TestCase": case["_ref"], "Build": "1", "Verdict": "Pass",
                                                         "Date": "2026-01-01T00:00:00.000Z"}, **scope)
    content = create_with(world.admin, "AttachmentContent", {"Content": "aGk="}, **scope)
    me = _ok(world.admin.get(f"{API}/user").json())
    att = create_with(world.admin, "Attachment", {"Name": "log.txt", "Content": content["_ref"],
                                                  "ContentType": "text/plain", "User": me["_ref"],
                                                  "TestCaseResult": result["_ref"]}, **scope)
    path = f"{API}/attachment/{att['ObjectID']}"
    assert _ok(world.clients["viewer"].get(path).json())["Name"] == "log.txt"
    assert inner(world.clients["nobody"].get(path).json())["Errors"] == ["Cannot find object to read"]


@pytest.mark.parametrize("type_name", ["PreliminaryEstimate", "State"])
def test_only_workspace_admins_change_workspace_settings(world: World, type_name: str) -> None:
    """PreliminaryEstimate and State are workspace settings: an Editor of a project may not touch them."""
    row = _ok(world.admin.get(f"{API}/{type_name.lower()}", params={
        "workspace": f"/workspace/{world.workspace}", "fetch": "Name,ObjectID", "pagesize": 1}).json())["Results"][0]
    path = f"{API}/{type_name.lower()}/{row['ObjectID']}"
    before = _ok(world.admin.get(path).json())
    refused = inner(world.clients["editor"].post(path, json={type_name: {"Description": "by an editor"}}).json())
    assert refused["Errors"] == [f"Not authorized to update: {type_name} {row['ObjectID']}"]
    assert _ok(world.admin.get(path).json()) == before
    allowed = inner(world.clients["wsadmin"].post(path, json={type_name: {"Description": "by a ws admin"}}).json())
    assert allowed["Errors"] == [] and _ok(world.admin.get(path).json())["Description"] == "by a ws admin"


def test_an_object_whose_owner_was_purged_is_seen_only_by_admins(world: World) -> None:
    """docs/emulator.md: a post whose artifact was purged from the recycle bin answers to no project."""
    scope = {"workspace": f"/workspace/{world.workspace}", "project": f"/project/{world.project}"}
    defect = create_with(world.admin, "Defect", {"Name": "Purged owner"}, **scope)
    post = create_with(world.admin, "ConversationPost", {"Artifact": defect["_ref"], "Text": "left behind"}, **scope)
    path = f"{API}/conversationpost/{post['ObjectID']}"
    assert _ok(world.clients["viewer"].get(path).json())["Text"] == "left behind"  # follows its artifact
    assert _ok(world.admin.delete(defect["_ref"]).json())["Errors"] == []
    entry = _ok(world.admin.get(f"{API}/recyclebinentry", params={
        "workspace": f"/workspace/{world.workspace}", "query": '(Name = "Purged owner")'}).json())["Results"][0]
    assert _ok(world.admin.delete(entry["_ref"]).json())["Errors"] == []
    for role in ("editor", "viewer", "nobody"):
        assert inner(world.clients[role].get(path).json())["Errors"] == ["Cannot find object to read"], role
    for role in ("subadmin", "wsadmin"):
        assert _ok(world.clients[role].get(path).json())["Text"] == "left behind", role
