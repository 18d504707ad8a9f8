"""Organisation objects through WSAPI, as an admin does it in Rally: workspaces, project trees,
users and their profiles; the subscription is read-only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@pytest.fixture
def admin(emulator: Emulator) -> Any:
    emulator.reset()
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": emulator.admin_api_key}) as client:
        yield client


def _inner(body: dict[str, Any]) -> dict[str, Any]:
    return next(iter(body.values()))


def _create(client: httpx.Client, type_name: str, fields: dict[str, Any]) -> dict[str, Any]:
    inner = _inner(client.post(f"{API}/{type_name.lower()}/create", json={type_name: fields}).json())
    assert inner["Errors"] == [], inner["Errors"]
    return inner["Object"]


def test_workspace_project_tree_user_and_profile(admin: httpx.Client, emulator: Emulator) -> None:
    ws = _create(admin, "Workspace", {"Name": "Engineering"})
    assert ws["State"] == "Open" and len(ws["SchemaVersion"]) == 32
    top = _create(admin, "Project", {"Name": "Platform", "Workspace": ws["_ref"]})
    child = _create(admin, "Project", {"Name": "Storage", "Workspace": ws["_ref"], "Parent": top["_ref"]})
    projects = admin.get(ws["Projects"]["_ref"], params={"fetch": "Name,Parent"}).json()["QueryResult"]["Results"]
    assert sorted(p["Name"] for p in projects) == ["Platform", "Storage"]
    assert _inner(admin.get(top["_ref"], params={"fetch": "Children"}).json())["Children"]["Count"] == 1
    schema = admin.get(f"/slm/schema/v2.0/workspace/{ws['ObjectID']}").json()["QueryResult"]
    assert schema["TotalResultCount"] > 50

    user = _create(admin, "User", {"UserName": "pat@example.com", "EmailAddress": "pat@example.com",
                                   "DisplayName": "Pat Platform", "FirstName": "Pat"})
    profile_ref = user["UserProfile"]["_ref"]
    answer = admin.post(profile_ref, json={"UserProfile": {"DefaultWorkspace": ws["_ref"],
                                                           "DefaultProject": child["_ref"],
                                                           "TimeZone": "Europe/Paris"}}).json()
    assert _inner(answer)["Errors"] == []
    assert admin.put("/emulator/users/pat@example.com/credentials", json={"api_key": "_pat_key_000000"}).status_code == 200
    admin.post(f"{API}/projectpermission/create", json={"ProjectPermission": {
        "User": user["_ref"], "Project": child["_ref"], "Role": "Editor"}})
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": "_pat_key_000000"}) as pat:
        me = _inner(pat.get(f"{API}/user", params={"fetch": "UserProfile,DefaultWorkspace,DefaultProject"}).json())
        assert me["UserProfile"]["DefaultProject"]["_refObjectName"] == "Storage"
        story = _inner(pat.post(f"{API}/hierarchicalrequirement/create",
                                json={"HierarchicalRequirement": {"Name": "defaults apply"}}).json())
        assert story["Errors"] == []
        assert story["Object"]["Workspace"]["_refObjectName"] == "Engineering"
        assert story["Object"]["Project"]["_refObjectName"] == "Storage"

    renamed = _inner(admin.post(ws["_ref"], json={"Workspace": {"Name": "Engineering & Ops"}}).json())
    assert renamed["Errors"] == [] and renamed["Object"]["Name"] == "Engineering & Ops"
    closed = _inner(admin.post(top["_ref"], json={"Project": {"State": "Closed"}}).json())
    assert closed["Object"]["State"] == "Closed"
    duplicate = _inner(admin.post(f"{API}/user/create", json={"User": {"UserName": "PAT@example.com",
                                                                      "EmailAddress": "x@example.com"}}).json())
    assert duplicate["Errors"] == ["Validation error: User.UserName conflicts with PAT@example.com"]


def test_the_subscription_is_read_only(admin: httpx.Client) -> None:
    sub = _inner(admin.get(f"{API}/subscription").json())
    created = _inner(admin.post(f"{API}/subscription/create", json={"Subscription": {"Name": "another"}}).json())
    assert created["Errors"] and "Object" not in created
    updated = _inner(admin.post(sub["_ref"], json={"Subscription": {"Name": "renamed"}}).json())
    assert updated["Warnings"] == ["Ignored JSON element Subscription.Name during processing of this request."]
    assert _inner(admin.get(f"{API}/subscription").json())["Name"] == sub["Name"]
