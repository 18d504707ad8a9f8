"""The workspace schema document is rendered once per change and then served from the emulator.

Every answer is compared byte for byte with a fresh render of the store as it is (the handlers'
own rendering, bypassing the cache); every kind of change the document reads shows at once; the
count of full renders (``front.schemas.renders``) proves two reads without a change render once;
threads reading while another one adds fields never get a stale or torn document; a workspace the
caller cannot see (or no workspace at all) gets Rally's error and nothing is kept for it.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from wsapi_client import Wsapi, create_with

from pyral.emulator import Emulator
from pyral.emulator.front import json_answer
from pyral.emulator.routing import Request

SCHEMA = "/slm/schema/v2.0/workspace/{}"


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.reset()
    return emulator


def _renders(emu: Emulator) -> int:
    assert emu.front is not None
    return emu.front.schemas.renders


def _fresh(emu: Emulator, workspace: int, base: str | None = None) -> bytes:
    """The document rendered now from the store, without the cache."""
    assert emu.front is not None
    req = Request(method="GET", path=SCHEMA.format(workspace), params={}, body=b"", headers={}, cookies={},
                  base=base or emu.url)
    return json_answer(200, emu.front.handlers.schema_document(req, workspace))[2]


def _get(client: httpx.Client, workspace: int | str, **headers: str) -> httpx.Response:
    answer = client.get(SCHEMA.format(workspace), headers=headers)
    assert answer.status_code == 200, answer.text[:300]
    return answer


def _customs(body: bytes, type_path: str = "Defect") -> dict[str, dict[str, Any]]:
    results = json.loads(body)["QueryResult"]["Results"]
    tdef = next(t for t in results if t["TypePath"] == type_path)
    return {a["ElementName"]: a for a in tdef["Attributes"] if a["Custom"]}


@pytest.fixture
def wsapi(emu: Emulator) -> Iterator[Wsapi]:
    client = Wsapi(emu)
    yield client
    client.close()


def _workspace(wsapi: Wsapi) -> int:
    return int(wsapi.default_workspace()["ObjectID"])


def _defect_typedef(wsapi: Wsapi) -> str:
    (td,) = wsapi.rows("typedefinition", query='(TypePath = "Defect")', fetch="ObjectID")
    return f"/typedefinition/{td['ObjectID']}"


def _field(wsapi: Wsapi, name: str, **extra: Any) -> dict[str, Any]:
    return wsapi.create("attributedefinition", {"Name": name, "AttributeType": "STRING",
                                                "TypeDefinition": _defect_typedef(wsapi), **extra})


def test_two_reads_without_a_change_render_once(emu: Emulator, wsapi: Wsapi) -> None:
    ws = _workspace(wsapi)
    _field(wsapi, "Probe")  # a store no document was rendered for yet (the session emulator is shared)
    before = _renders(emu)
    first = _get(wsapi.http, ws, **{"Accept-Encoding": "identity"})
    second = _get(wsapi.http, ws, **{"Accept-Encoding": "identity"})
    zipped = _get(wsapi.http, ws, **{"Accept-Encoding": "gzip"})
    assert _renders(emu) == before + 1
    assert first.content == second.content == _fresh(emu, ws)
    assert "content-encoding" not in first.headers
    # httpx decodes the gzip answer: the same document, compressed once for every later reader
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == first.content
    assert zipped.headers["content-type"] == first.headers["content-type"] == "application/json; charset=utf-8"
    with httpx.Client(base_url=emu.url, headers={"ZSESSIONID": emu.admin_api_key}) as socket_client, \
            socket_client.stream("GET", SCHEMA.format(ws), headers={"Accept-Encoding": "gzip"}) as raw:
        compressed = b"".join(raw.iter_raw())  # over a socket: the bytes as sent
    assert int(raw.headers["content-length"]) == len(compressed) < len(first.content) // 5
    assert gzip.decompress(compressed) == first.content
    # a read through one of the workspace's projects is the same document, still not rendered again
    project = wsapi.rows("project", fetch="ObjectID")[0]["ObjectID"]
    through_project = wsapi.http.get(f"/slm/schema/v2.0/project/{project}")
    assert through_project.content == first.content and _renders(emu) == before + 1


def test_each_kind_of_change_shows_at_once(emu: Emulator, wsapi: Wsapi) -> None:
    ws = _workspace(wsapi)

    def read_after_change() -> bytes:
        before = _renders(emu)
        body = _get(wsapi.http, ws).content
        assert body == _fresh(emu, ws)
        assert _renders(emu) == before + 1, "a change must render the document again"
        again = _get(wsapi.http, ws).content
        assert again == body and _renders(emu) == before + 1
        return body

    _get(wsapi.http, ws)
    # a custom field appears, with its allowed values inline
    made = _field(wsapi, "Impact", AllowedValues=["Low", "High"])
    body = read_after_change()
    assert [v["StringValue"] for v in _customs(body)["c_Impact"]["AllowedValues"]] == ["Low", "High"]
    # an allowed value renamed; then one added and one deleted (one read after the two)
    values = wsapi.rows(f"attributedefinition/{made['ObjectID']}/AllowedValues")
    low, high = (next(v for v in values if v["StringValue"] == s) for s in ("Low", "High"))
    wsapi.update(low["_ref"], {"StringValue": "Lowest"})
    assert [v["StringValue"] for v in _customs(read_after_change())["c_Impact"]["AllowedValues"]] == [
        "Lowest", "High"]
    wsapi.create("allowedattributevalue", {"AttributeDefinition": made["_ref"], "StringValue": "Severe"})
    assert wsapi.delete(high["_ref"])["Errors"] == []
    assert [v["StringValue"] for v in _customs(read_after_change())["c_Impact"]["AllowedValues"]] == [
        "Lowest", "Severe"]
    # the field's display name (Hidden and Required are per project: ScopedAttributeDefinition)
    wsapi.update(made["_ref"], {"Name": "Business Impact"})
    assert _customs(read_after_change())["c_Impact"]["Name"] == "Business Impact"
    # deleting the field is refused (WSAPI): nothing changed, nothing rendered
    kept = _get(wsapi.http, ws).content
    before = _renders(emu)
    assert wsapi.delete(made["_ref"])["Errors"] == [
        "Cannot delete an object of type AttributeDefinition: it is not deletable"]
    assert _get(wsapi.http, ws).content == kept == _fresh(emu, ws) and _renders(emu) == before
    assert "c_Impact" in _customs(kept)
    # a TypeDefinition deleted: its type leaves the document
    (theme,) = wsapi.rows("typedefinition", query='(TypePath = "PortfolioItem/Theme")')
    assert wsapi.delete(theme["_ref"])["Errors"] == []
    paths = {t["TypePath"] for t in json.loads(read_after_change())["QueryResult"]["Results"]}
    assert "PortfolioItem/Theme" not in paths and "PortfolioItem/Feature" in paths
    # the workspace renamed (every TypeDefinition names it)
    wsapi.update(f"workspace/{ws}", {"Name": "Renamed Workspace"})
    results = json.loads(read_after_change())["QueryResult"]["Results"]
    assert {t["Workspace"]["_refObjectName"] for t in results} == {"Renamed Workspace"}


def test_a_refused_change_leaves_the_document_as_the_store_is(emu: Emulator, wsapi: Wsapi) -> None:
    ws = _workspace(wsapi)
    _field(wsapi, "Impact")
    kept = _get(wsapi.http, ws).content
    before = _renders(emu)
    refused = wsapi.create_raw("attributedefinition", {"AttributeDefinition": {
        "Name": "Impact", "AttributeType": "STRING", "TypeDefinition": _defect_typedef(wsapi)}})
    assert refused["Errors"] == ["Validation error: AttributeDefinition.Name conflicts with Impact"]
    assert _get(wsapi.http, ws).content == kept == _fresh(emu, ws) and _renders(emu) == before
    # a batch whose second entry fails: the first one's field is undone with it
    batch = wsapi.http.post("/slm/webservice/v2.0/batch", json={"Batch": [
        {"Entry": {"Path": "/attributedefinition/create", "Method": "POST", "Body": {"AttributeDefinition": {
            "Name": "Reach", "AttributeType": "STRING", "TypeDefinition": _defect_typedef(wsapi)}}}},
        {"Entry": {"Path": "/attributedefinition/create", "Method": "POST", "Body": {"AttributeDefinition": {
            "Name": "Impact", "AttributeType": "STRING", "TypeDefinition": _defect_typedef(wsapi)}}}},
    ]}).json()
    assert batch["BatchResult"]["Results"]
    body = _get(wsapi.http, ws).content
    assert body == _fresh(emu, ws)
    reach = any(a["ElementName"] == "c_Reach" for a in wsapi.rows(f"{_defect_typedef(wsapi)}/Attributes",
                                                                   pagesize=200, fetch="ElementName"))
    assert ("c_Reach" in _customs(body)) == reach
    assert set(_customs(kept)) <= set(_customs(body))


def test_import_and_reset_replace_the_document(emu: Emulator, wsapi: Wsapi) -> None:
    """The kept documents are keyed by what the store holds: a reset or an import back to a
    state already rendered serves that state's document without rendering it again."""
    ws = _workspace(wsapi)
    plain = _get(wsapi.http, ws).content
    _field(wsapi, "Impact")
    with_field = _get(wsapi.http, ws).content
    assert "c_Impact" in _customs(with_field)
    exported = wsapi.http.get("/emulator/export")
    assert exported.status_code == 200
    before = _renders(emu)
    emu.reset()
    assert _get(wsapi.http, ws).content == plain == _fresh(emu, ws)
    imported = wsapi.http.post("/emulator/import", content=exported.content,
                               headers={"Content-Type": "application/json"})
    assert imported.status_code == 200, imported.text
    assert _get(wsapi.http, ws).content == with_field == _fresh(emu, ws)
    assert _renders(emu) == before
    # a change after the import is a new document
    _field(wsapi, "Reach")
    after = _get(wsapi.http, ws).content
    assert set(_customs(after)) == {"c_Impact", "c_Reach"} and after == _fresh(emu, ws)
    assert _renders(emu) == before + 1


def test_each_base_url_has_its_own_document(emu: Emulator, wsapi: Wsapi) -> None:
    ws = _workspace(wsapi)
    here = _get(wsapi.http, ws).content
    other = _get(wsapi.http, ws, Host="rally.example.test").content
    assert other == _fresh(emu, ws, "http://rally.example.test") != here
    assert b"http://rally.example.test/slm/webservice/v2.0/typedefinition/" in other
    assert _get(wsapi.http, ws).content == here


def test_concurrent_reads_render_once_and_never_see_a_stale_or_torn_document(emu: Emulator, wsapi: Wsapi) -> None:
    ws = _workspace(wsapi)
    typedef = next(t["_ref"] for t in wsapi.rows("typedefinition", query='(TypePath = "SchedulableArtifact")'))
    wsapi.create("attributedefinition", {"Name": "Seed", "AttributeType": "STRING", "TypeDefinition": typedef})
    # (a store no document was rendered for yet)
    before = _renders(emu)
    start = threading.Barrier(6)
    answers: list[bytes] = []
    lock = threading.Lock()

    def read() -> None:
        with httpx.Client(base_url=emu.url, headers={"ZSESSIONID": emu.admin_api_key}, timeout=60) as client:
            start.wait()
            body = _get(client, ws).content
        with lock:
            answers.append(body)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 6 and set(answers) == {_fresh(emu, ws)}
    assert _renders(emu) == before + 1

    # a writer adds fields on every artifact type while readers read: each answer holds at least
    # every field created before the read began, and every type in it shows the same fields
    created: list[str] = []
    errors: list[str] = []

    def write() -> None:
        with httpx.Client(base_url=emu.url, headers={"ZSESSIONID": emu.admin_api_key}, timeout=60) as client:
            for i in range(3):
                create_with(client, "AttributeDefinition", {"Name": f"F{i}", "AttributeType": "STRING",
                                                            "TypeDefinition": typedef})
                with lock:
                    created.append(f"c_F{i}")

    def check() -> None:
        with httpx.Client(base_url=emu.url, headers={"ZSESSIONID": emu.admin_api_key}, timeout=60) as client:
            for _ in range(3):
                with lock:
                    known = set(created)
                body = _get(client, ws).content
                shown = [set(_customs(body, tp)) for tp in ("Defect", "HierarchicalRequirement", "DefectSuite")]
                if not known <= shown[0]:
                    errors.append(f"stale: {sorted(known - shown[0])} missing")
                if any(s != shown[0] for s in shown):
                    errors.append(f"torn: {shown}")

    workers = [threading.Thread(target=write)] + [threading.Thread(target=check) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []
    final = _get(wsapi.http, ws).content
    assert final == _fresh(emu, ws) and set(_customs(final)) == {"c_Seed"} | {f"c_F{i}" for i in range(3)}


def test_a_workspace_the_caller_cannot_see_is_refused_and_not_kept(emu: Emulator, wsapi: Wsapi) -> None:
    ws = _workspace(wsapi)
    user = create_with(wsapi.http, "User", {"UserName": "outsider@example.com", "EmailAddress": "outsider@example.com"})
    assert user["ObjectID"]
    key = "_key_outsider_000000000000000000"
    assert wsapi.http.put("/emulator/users/outsider@example.com/credentials", json={"api_key": key}).status_code == 200
    outsider = httpx.Client(transport=emu.transport(), base_url=emu.url, headers={"ZSESSIONID": key})
    assert emu.front is not None
    kept = emu.front.schemas.kept()  # other tests on this session emulator may have kept documents
    before = _renders(emu)
    for client, target in ((outsider, ws), (wsapi.http, 1), (wsapi.http, user["ObjectID"]),
                           (wsapi.http, 2**70)):
        qr = _get(client, target).json()["QueryResult"]
        assert qr["Errors"] == ["Cannot find object to read"] and qr["Results"] == [], target
    for bad in ("abc", "-5"):
        assert wsapi.http.get(SCHEMA.format(bad)).status_code == 404
    assert _renders(emu) == before
    assert emu.front.schemas.kept() == kept  # the refused reads kept nothing
    # the admin's read renders it; the outsider is still refused afterwards, not served the kept one
    assert _get(wsapi.http, ws).content == _fresh(emu, ws)
    assert _get(outsider, ws).json()["QueryResult"]["Errors"] == ["Cannot find object to read"]
    outsider.close()
