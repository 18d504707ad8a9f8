"""Organisation objects through WSAPI, as an admin does it in Rally: workspaces, project trees,
users and their profiles; the subscription is read-only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from wsapi_client import create_with, inner

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@pytest.fixture
def admin(emulator: Emulator) -> Any:
    emulator.reset()
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": emulator.admin_api_key}) as client:
        yield client




def test_workspace_project_tree_user_and_profile(admin: httpx.Client, emulator: Emulator) -> None:
    ws = create_with(admin, "Workspace", {"Name": "Engineering"})
    assert ws["State"] == "Open" and len(ws["SchemaVersion"]) == 32
    top = create_with(admin, "Project", {"Name": "Platform", "Workspace": ws["_ref"]})
    child = create_with(admin, "Project", {"Name": "Storage", "Workspace": ws["_ref"], "Parent": top["_ref"]})
    projects = admin.get(ws["Projects"]["_ref"], params={"fetch": "Name,Parent"}).json()["QueryResult"]["Results"]
    assert sorted(p["Name"] for p in projects) == ["Platform", "Storage"]
    assert inner(admin.get(top["_ref"], params={"fetch": "Children"}).json())["Children"]["Count"] == 1
    schema = admin.get(f"/slm/schema/v2.0/workspace/{ws['ObjectID']}").json()["QueryResult"]
    assert schema["TotalResultCount"] > 50

    user = create_with(admin, "User", {"UserName": "pat@example.com", "EmailAddress": "pat@example.com",
                                   "DisplayName": "Pat Platform", "FirstName": "Pat"})
    profile_ref = user["UserProfile"]["_ref"]
    answer = admin.post(profile_ref, json={"UserProfile": {"DefaultWorkspace": ws["_ref"],
                                                           "DefaultProject": child["_ref"],
                                                           "TimeZone": "Europe/Paris"}}).json()
    assert inner(answer)["Errors"] == []
    assert admin.put("/emulator/users/pat@example.com/credentials", json={"api_key": "_pat_key_000000"}).status_code == 200
    admin.post(f"{API}/projectpermission/create", json={"ProjectPermission": {
        "User": user["_ref"], "Project": child["_ref"], "Role": "Editor"}})
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": "_pat_key_000000"}) as pat:
        me = inner(pat.get(f"{API}/user", params={"fetch": "UserProfile,DefaultWorkspace,DefaultProject"}).json())
        assert me["UserProfile"]["DefaultProject"]["_refObjectName"] == "Storage"
        story = inner(pat.post(f"{API}/hierarchicalrequirement/create",
                                json={"HierarchicalRequirement": {"Name": "defaults apply"}}).json())
        assert story["Errors"] == []
        assert story["Object"]["Workspace"]["_refObjectName"] == "Engineering"
        assert story["Object"]["Project"]["_refObjectName"] == "Storage"

    renamed = inner(admin.post(ws["_ref"], json={"Workspace": {"Name": "Engineering & Ops"}}).json())
    assert renamed["Errors"] == [] and renamed["Object"]["Name"] == "Engineering & Ops"
    closed = inner(admin.post(top["_ref"], json={"Project": {"State": "Closed"}}).json())
    assert closed["Object"]["State"] == "Closed"
    duplicate = inner(admin.post(f"{API}/user/create", json={"User": {"UserName": "PAT@example.com",
                                                                      "EmailAddress": "x@example.com"}}).json())
    assert duplicate["Errors"] == ["Validation error: User.UserName conflicts with PAT@example.com"]


def test_the_subscription_is_read_only(admin: httpx.Client) -> None:
    sub = inner(admin.get(f"{API}/subscription").json())
    created = inner(admin.post(f"{API}/subscription/create", json={"Subscription": {"Name": "another"}}).json())
    assert created["Errors"] and "Object" not in created
    updated = inner(admin.post(sub["_ref"], json={"Subscription": {"Name": "renamed"}}).json())
    assert updated["Warnings"] == ["Ignored JSON element Subscription.Name during processing of this request."]
    assert inner(admin.get(f"{API}/subscription").json())["Name"] == sub["Name"]
