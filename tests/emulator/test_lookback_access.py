"""Lookback permissions: workspace access, unauthorized projects, removeUnauthorizedSnapshots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from wsapi_client import create_with

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@dataclass
class World:
    url: str
    admin: httpx.Client
    clients: dict[str, httpx.Client]
    mine: int
    theirs: int


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator() as emu:
        admin = httpx.Client(base_url=emu.url, headers={"ZSESSIONID": emu.admin_api_key})
        ws = int(admin.get(f"{API}/workspace", params={"fetch": "ObjectID"}).json()["QueryResult"]["Results"][0]
                 ["ObjectID"])
        project = int(admin.get(f"{API}/project", params={"fetch": "ObjectID"}).json()["QueryResult"]["Results"][0]
                      ["ObjectID"])
        other = int(create_with(admin, "Project", {"Name": "Secret", "Workspace": f"/workspace/{ws}"})["ObjectID"])
        mine = int(create_with(admin, "Defect", {"Name": "mine"}, project=f"/project/{project}")["ObjectID"])
        theirs = int(create_with(admin, "Defect", {"Name": "theirs"}, project=f"/project/{other}")["ObjectID"])
        clients = {"admin": admin}
        for name, role in (("viewer", "Viewer"), ("nobody", None)):
            user = create_with(admin, "User", {"UserName": f"{name}@x.test", "EmailAddress": f"{name}@x.test"})
            key = f"_key_{name}_000000000000000000"
            assert admin.put(f"/emulator/users/{name}@x.test/credentials", json={"api_key": key}).status_code == 200
            if role:
                create_with(admin, "ProjectPermission", {"User": user["_ref"], "Project": f"/project/{project}",
                                                         "Role": role})
            clients[name] = httpx.Client(base_url=emu.url, headers={"ZSESSIONID": key})
        url = f"/analytics/v2.0/service/rally/workspace/{ws}/artifact/snapshot/query.js"
        yield World(url, admin, clients, mine, theirs)
        for client in clients.values():
            client.close()


def test_admin_sees_every_project(world: World) -> None:
    body = world.admin.post(world.url, json={"find": {"_TypeHierarchy": "Defect"}}).json()
    assert sorted(r["ObjectID"] for r in body["Results"]) == sorted([world.mine, world.theirs])


def test_unreadable_projects_fail_the_request(world: World) -> None:
    r = world.clients["viewer"].post(world.url, json={"find": {"_TypeHierarchy": "Defect"}})
    assert r.status_code == 403
    body = r.json()
    assert body["Results"] == [] and body["Errors"] and body["Errors"][0].startswith("Unauthorized for projects: ")
    assert str(world.theirs) not in body["Errors"][0]  # it names projects, not items


def test_remove_unauthorized_snapshots_drops_them(world: World) -> None:
    body = world.clients["viewer"].post(world.url, json={"find": {"_TypeHierarchy": "Defect"},
                                                         "removeUnauthorizedSnapshots": True}).json()
    assert body["Errors"] == []
    assert [r["ObjectID"] for r in body["Results"]] == [world.mine] and body["TotalResultCount"] == 1


def test_a_find_inside_readable_projects_needs_no_flag(world: World) -> None:
    body = world.clients["viewer"].post(world.url, json={"find": {"ObjectID": world.mine}}).json()
    assert body["Errors"] == [] and len(body["Results"]) == 1


def test_a_user_without_access_to_the_workspace_gets_403(world: World) -> None:
    r = world.clients["nobody"].post(world.url, json={"find": {"ObjectID": world.mine}})
    assert r.status_code == 403 and "not authorized to read workspace" in r.json()["Errors"][0]
