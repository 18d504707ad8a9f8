"""Revision history (one Revision per change, Rally's wording) and the recycle bin with restore."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from wsapi_client import inner

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@pytest.fixture
def client(emulator: Emulator) -> Any:
    emulator.reset()
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": emulator.admin_api_key}) as c:
        yield c



def test_every_change_writes_a_revision(client: httpx.Client) -> None:
    story = inner(client.post(f"{API}/hierarchicalrequirement/create",
                               json={"HierarchicalRequirement": {"Name": "Plan it"}}).json())["Object"]
    oid = story["ObjectID"]
    client.post(f"{API}/hierarchicalrequirement/{oid}",
                json={"HierarchicalRequirement": {"Name": "Plan it well", "ScheduleState": "In-Progress"}})
    client.post(f"{API}/hierarchicalrequirement/{oid}", json={"HierarchicalRequirement": {"Notes": "first note"}})
    client.post(f"{API}/hierarchicalrequirement/{oid}", json={"HierarchicalRequirement": {"Notes": "first note"}})
    history = inner(client.get(story["RevisionHistory"]["_ref"]).json())
    revisions = client.get(history["Revisions"]["_ref"]).json()["QueryResult"]["Results"]
    by_number = {r["RevisionNumber"]: r["Description"] for r in revisions}
    assert by_number == {
        0: "Original revision",
        1: "NAME changed from [Plan it] to [Plan it well], SCHEDULE STATE changed from [Defined] to [In-Progress]",
        2: "NOTES added [first note]",
    }  # an update that changes nothing writes no revision
    assert all(r["User"]["_refObjectName"] == "Emulator Admin" for r in revisions)


def test_delete_recycles_and_restore_brings_back(client: httpx.Client, emulator: Emulator) -> None:
    story = inner(client.post(f"{API}/hierarchicalrequirement/create",
                               json={"HierarchicalRequirement": {"Name": "Gone but not forgotten"}}).json())["Object"]
    task = inner(client.post(f"{API}/task/create",
                              json={"Task": {"Name": "along for the ride", "WorkProduct": story["_ref"]}}).json())["Object"]
    assert client.delete(f"{API}/hierarchicalrequirement/{story['ObjectID']}").json()["OperationResult"]["Errors"] == []
    for ref in (story["_ref"], task["_ref"]):
        assert inner(client.get(ref).json())["Errors"] == ["Cannot find object to read"]
    entries = client.get(f"{API}/recyclebinentry", params={"fetch": "ObjectID,ID,Name,DeletedBy,Type",
                                                           "query": '(Name = "Gone but not forgotten")'}).json()
    entry = entries["QueryResult"]["Results"][0]
    assert entry["ID"] == story["FormattedID"] and entry["DeletedBy"]["_refObjectName"] == "Emulator Admin"
    assert entry["Type"]["_refObjectName"] == "Hierarchical Requirement"

    denied = httpx.post(f"{emulator.url}/emulator/recyclebin/{entry['ObjectID']}/restore")
    assert denied.status_code == 401
    restored = client.post(f"/emulator/recyclebin/{entry['ObjectID']}/restore")
    assert restored.status_code == 200 and restored.json()["restored"] == story["ObjectID"]
    back = inner(client.get(story["_ref"], params={"fetch": "Name,FormattedID,Tasks"}).json())
    assert back["Name"] == "Gone but not forgotten" and back["FormattedID"] == story["FormattedID"]
    assert back["Tasks"]["Count"] == 1
    assert client.get(f"{API}/recyclebinentry", params={"query": '(Name = "Gone but not forgotten")'}).json()[
        "QueryResult"]["TotalResultCount"] == 0
    again = client.post(f"/emulator/recyclebin/{entry['ObjectID']}/restore")
    assert again.status_code == 404
