"""Attachments (binary-safe, size limit) and the batch endpoint, over HTTP with httpx."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import httpx
import pytest
from wsapi_client import create_with, inner

from pyral.emulator import Emulator

API = "/slm/webservice/v2.0"


@pytest.fixture
def client(emulator: Emulator) -> httpx.Client:
    emulator.reset()
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": emulator.admin_api_key}, timeout=120) as c:
        yield c




def _count(client: httpx.Client, type_name: str) -> int:
    body = client.get(f"{API}/{type_name}", params={"pagesize": 1, "project": "null"}).json()
    return int(body["QueryResult"]["TotalResultCount"])


def test_ten_megabyte_binary_round_trip(client: httpx.Client) -> None:
    payload = os.urandom(10 * 1024 * 1024)
    story = create_with(client, "HierarchicalRequirement", {"Name": "has a big file"})
    content = create_with(client, "AttachmentContent", {"Content": base64.b64encode(payload).decode()})
    me = inner(client.get(f"{API}/user").json())
    attachment = create_with(client, "Attachment", {
        "Name": "blob.bin", "Content": content["_ref"], "ContentType": "application/octet-stream",
        "Size": len(payload), "User": me["_ref"], "Artifact": story["_ref"]})
    assert attachment["Size"] == len(payload)
    back = inner(client.get(f"{API}/attachmentcontent/{content['ObjectID']}").json())
    data = base64.b64decode(back["Content"])
    assert hashlib.sha256(data).digest() == hashlib.sha256(payload).digest()
    listed = client.get(f"{API}/HierarchicalRequirement/{story['ObjectID']}/Attachments",
                        params={"fetch": "Name,Size,Content"}).json()["QueryResult"]
    assert listed["TotalResultCount"] == 1
    assert listed["Results"][0]["Name"] == "blob.bin"
    assert listed["Results"][0]["Content"]["_ref"].endswith(f"/attachmentcontent/{content['ObjectID']}")


def test_attachments_with_one_name_are_all_reachable(client: httpx.Client) -> None:
    story = create_with(client, "HierarchicalRequirement", {"Name": "twins"})
    me = inner(client.get(f"{API}/user").json())
    oids = []
    for text in (b"first", b"second"):
        content = create_with(client, "AttachmentContent", {"Content": base64.b64encode(text).decode()})
        att = create_with(client, "Attachment", {"Name": "same.txt", "Content": content["_ref"], "ContentType": "text/plain",
                                             "User": me["_ref"], "Artifact": story["_ref"]})
        oids.append((att["ObjectID"], content["ObjectID"], text))
    for att_oid, content_oid, text in oids:
        att = inner(client.get(f"{API}/attachment/{att_oid}").json())
        assert att["Content"]["_ref"].endswith(f"/{content_oid}")
        assert base64.b64decode(inner(client.get(f"{API}/attachmentcontent/{content_oid}").json())["Content"]) == text


def test_oversize_attachment_is_refused_cleanly(client: httpx.Client) -> None:
    before = _count(client, "Attachment")
    too_big = base64.b64encode(b"\0" * (50_000_000 + 1)).decode()
    body = client.post(f"{API}/attachmentcontent/create", json={"AttachmentContent": {"Content": too_big}}).json()
    assert "Object" not in body["CreateResult"]
    assert "maximum attachment size of 50000000 bytes" in body["CreateResult"]["Errors"][0]
    assert _count(client, "Attachment") == before
    empty = client.post(f"{API}/attachmentcontent/create", json={"AttachmentContent": {"Content": "not base64!"}})
    assert "not valid base64" in empty.json()["CreateResult"]["Errors"][0]


def test_batch_creates_valid_items_and_reports_each_invalid_one(client: httpx.Client) -> None:
    entries = []
    bad = {17, 250, 251, 999}
    for i in range(1000):
        fields: dict[str, Any] = {"Name": f"bulk {i}", "PlanEstimate": i % 8}
        if i in bad:
            fields = {"PlanEstimate": "lots"} if i % 2 else {"Name": f"bulk {i}", "ScheduleState": "Sleeping"}
        entries.append({"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT",
                                  "Body": {"hierarchicalrequirement": fields}}})
    before = _count(client, "HierarchicalRequirement")
    body = client.post(f"{API}/batch", params={"fetch": "FormattedID,Name"}, json={"Batch": entries}).json()
    results = body["BatchResult"]["Results"]
    assert len(results) == 1000
    failed = {i for i, r in enumerate(results) if r["Errors"]}
    assert failed == bad
    for i, result in enumerate(results):
        if i in bad:
            assert "Object" not in result
        else:
            assert result["Object"]["Name"] == f"bulk {i}" and result["Object"]["FormattedID"].startswith("US")
    assert _count(client, "HierarchicalRequirement") == before + 1000 - len(bad)
    assert "invalid value" in results[250]["Errors"][0]
    assert "Cannot convert" in results[17]["Errors"][0] or "should not be null" in results[17]["Errors"][0]


def test_batch_updates_and_bad_entries(client: httpx.Client) -> None:
    story = create_with(client, "HierarchicalRequirement", {"Name": "to update"})
    body = client.post(f"{API}/batch", json={"Batch": [
        {"Entry": {"Path": f"/hierarchicalrequirement/{story['ObjectID']}", "Method": "POST",
                   "Body": {"hierarchicalrequirement": {"Name": "updated in batch"}}}},
        {"Entry": {"Path": "/hierarchicalrequirement/1", "Method": "POST",
                   "Body": {"hierarchicalrequirement": {"Name": "nobody"}}}},
        {"Entry": {"Method": "POST"}},
        "garbage",
    ]}).json()["BatchResult"]
    assert body["Results"][0]["Errors"] == []
    assert body["Results"][0]["Object"]["Name"] == "updated in batch"
    assert body["Results"][1]["Errors"] == ["Could not read: Could not read HierarchicalRequirement 1 to update."]
    assert body["Results"][2]["Errors"] and body["Results"][3]["Errors"]
    assert inner(client.get(f"{API}/hierarchicalrequirement/{story['ObjectID']}").json())["Name"] == "updated in batch"


def test_create_with_a_bad_rank_reference_writes_nothing(client: httpx.Client) -> None:
    before = _count(client, "HierarchicalRequirement")
    body = client.post(f"{API}/hierarchicalrequirement/create", params={"rankAbove": "/hierarchicalrequirement/42"},
                       json={"HierarchicalRequirement": {"Name": "ranked against nothing"}}).json()["CreateResult"]
    assert body["Errors"] and "Object" not in body
    assert _count(client, "HierarchicalRequirement") == before
    story = create_with(client, "HierarchicalRequirement", {"Name": "stays as it was"})
    answer = client.post(f"{API}/hierarchicalrequirement/{story['ObjectID']}", params={"rankTo": "SIDEWAYS"},
                         json={"HierarchicalRequirement": {"Name": "renamed"}}).json()["OperationResult"]
    assert answer["Errors"] == ['Could not parse: rankTo must be TOP or BOTTOM, not "SIDEWAYS"']
    assert inner(client.get(f"{API}/hierarchicalrequirement/{story['ObjectID']}").json())["Name"] == "stays as it was"


def test_sixty_megabyte_attachment_is_refused_by_the_emulator(client: httpx.Client, emulator: Emulator) -> None:
    def stored() -> int:  # AttachmentContent is not queryable through WSAPI: look at the store
        return emulator.backend.store.count("o.type = 'AttachmentContent'", [])

    before = stored()
    body = client.post(f"{API}/attachmentcontent/create",
                       json={"AttachmentContent": {"Content": base64.b64encode(bytes(60_000_000)).decode()}})
    assert body.status_code == 200
    assert body.json()["CreateResult"]["Errors"] == [
        "Validation error: AttachmentContent.Content exceeds the maximum attachment size of 50000000 bytes"]
    assert stored() == before


def test_batch_looks_up_its_workspace_and_project_once(client: httpx.Client, emulator: Emulator,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry works in the batch's ``workspace``/``project``; those are read once per batch."""
    project = client.get(f"{API}/project", params={"fetch": "ObjectID,Workspace", "pagesize": 1}).json()
    project = project["QueryResult"]["Results"][0]
    p_oid, w_oid = project["ObjectID"], int(project["Workspace"]["_ref"].rsplit("/", 1)[1])
    store = emulator.backend.store  # type: ignore[union-attr]
    real_get, reads = store.get, []

    def counting_get(oid: int, *args: Any, **kwargs: Any) -> Any:
        reads.append(oid)
        return real_get(oid, *args, **kwargs)

    monkeypatch.setattr(store, "get", counting_get)
    entries = [{"Entry": {"Path": "/hierarchicalrequirement/create", "Method": "PUT",
                          "Body": {"hierarchicalrequirement": {"Name": f"ctx {i}"}}}} for i in range(30)]
    params = {"workspace": f"/workspace/{w_oid}", "project": f"/project/{p_oid}", "fetch": "Name"}
    results = client.post(f"{API}/batch", params=params, json={"Batch": entries}).json()["BatchResult"]["Results"]
    assert [r["Errors"] for r in results] == [[]] * 30
    # The parameters' objects are looked up once (the write itself still reads its project once).
    assert reads.count(w_oid) <= 2 and reads.count(p_oid) <= len(entries) + 2, (reads.count(w_oid), reads.count(p_oid))
    made = client.get(f"{API}/hierarchicalrequirement", params={"query": '(Name contains "ctx ")', "fetch": "Project",
                                                                  "project": "null", "pagesize": 100}).json()
    assert [r["Project"]["_ref"].rsplit("/", 1)[1] for r in made["QueryResult"]["Results"]] == [str(p_oid)] * 30
    before = _count(client, "HierarchicalRequirement")
    bad = client.post(f"{API}/batch", params={**params, "project": "/project/424242"},
                      json={"Batch": entries[:3]}).json()["BatchResult"]["Results"]
    assert all(r["Errors"] and "Object" not in r for r in bad)  # each entry refused, nothing written
    assert _count(client, "HierarchicalRequirement") == before
