"""Metadata endpoints, the /emulator control plane and persistence across restarts, over HTTP."""

from __future__ import annotations

import httpx
import pytest
from wsapi_client import API, Wsapi, oid_of

from pyral.emulator import Emulator

# -- metadata --------------------------------------------------------------------------------


def test_schema_endpoint_with_portfolio_item_types(wsapi: Wsapi) -> None:
    ws = wsapi.default_workspace()
    for path in (f"/slm/schema/v2.0/workspace/{ws['ObjectID']}", f"/slm/schema/v2.x/workspace/{ws['ObjectID']}",
                 f"/slm/schema/v2.0/workspace/{ws['ObjectID']}/{wsapi.read(ws['_ref'])['SchemaVersion']}"):
        qr = wsapi.get(path)["QueryResult"]
        assert qr["Errors"] == [] and qr["PageSize"] == 200, path
        by_path = {t["TypePath"]: t for t in qr["Results"]}
        for tp in ("PortfolioItem", "PortfolioItem/Feature", "PortfolioItem/Initiative", "PortfolioItem/Theme",
                   "HierarchicalRequirement", "Defect", "Task"):
            assert tp in by_path, (path, tp)
        feature = by_path["PortfolioItem/Feature"]
        assert feature["ElementName"] == "Feature" and feature["Parent"]["_refObjectName"] == "PortfolioItem"
        assert feature["Ordinal"] == 0 and by_path["PortfolioItem/Initiative"]["Ordinal"] == 1
        assert by_path["PortfolioItem"]["Abstract"] is True
        assert "UserStories" in {a["ElementName"] for a in feature["Attributes"]}
    missing = wsapi.get("/slm/schema/v2.0/workspace/1")["QueryResult"]
    assert missing["Errors"] and missing["Results"] == []


def test_typedefinition_query_and_attributes_collection(wsapi: Wsapi) -> None:
    (td,) = wsapi.rows("typedefinition", query='(TypePath = "Defect")', fetch="true")
    assert td["ElementName"] == "Defect" and td["IDPrefix"] == "DE" and td["Creatable"] is True
    (bare,) = wsapi.rows("typedefinition", query="(Name = Defect)")
    assert bare["_refObjectName"] == "Defect" and bare["_type"] == "TypeDefinition" and "ElementName" not in bare
    attrs = wsapi.query(td["Attributes"]["_ref"], pagesize=200)
    assert attrs["TotalResultCount"] == td["Attributes"]["Count"] == len(attrs["Results"])
    by_name = {a["ElementName"]: a for a in attrs["Results"]}
    assert by_name["Severity"]["AttributeType"] == "RATING" and by_name["Name"]["Required"] is True
    page = wsapi.query(td["Attributes"]["_ref"], pagesize=5, start=6)
    assert [a["ElementName"] for a in page["Results"]] == [a["ElementName"] for a in attrs["Results"][5:10]]


def test_allowed_values_of_builtin_negative_oid_attributes(wsapi: Wsapi) -> None:
    (td,) = wsapi.rows("typedefinition", query='(TypePath = "Defect")', fetch="Attributes")
    severity = next(a for a in wsapi.rows(td["Attributes"]["_ref"], pagesize=200) if a["ElementName"] == "Severity")
    assert oid_of(severity["_ref"]) < 0
    ref = severity["AllowedValues"]["_ref"]
    assert ref == f"{wsapi.emu.url}{API}/attributedefinition/{oid_of(severity['_ref'])}/AllowedValues"
    qr = wsapi.query(ref)
    values = [v["StringValue"] for v in qr["Results"]]
    assert values == ["None", "Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic"]
    assert all(v["_type"] == "AllowedAttributeValue" for v in qr["Results"])
    attr = wsapi.read(f"attributedefinition/{oid_of(severity['_ref'])}")
    assert attr["ElementName"] == "Severity"
    assert wsapi.query("attributedefinition/-1/AllowedValues")["Errors"] == ["Cannot find object to read"]


# -- control plane ---------------------------------------------------------------------------

def test_control_plane_reset(wsapi: Wsapi) -> None:
    before = wsapi.fingerprint()
    wsapi.create("defect", {"Name": "to be forgotten"})
    r = wsapi.request("POST", "/emulator/reset")
    assert r.status_code == 200
    assert wsapi.rows("defect") == [] and wsapi.fingerprint() == before


def test_control_plane_credentials_and_non_admin_refused(wsapi: Wsapi) -> None:
    user = wsapi.create("user", {"UserName": "bob@example.com", "EmailAddress": "bob@example.com"})
    r = wsapi.request("PUT", "/emulator/users/bob@example.com/credentials",
                      json={"password": "Secret-1", "api_key": "_bobKey"})
    assert r.status_code == 200
    bob = httpx.Client(base_url=wsapi.emu.url, headers={"ZSESSIONID": "_bobKey"})
    assert bob.get(f"{API}/user").json()["User"]["ObjectID"] == user["ObjectID"]
    basic = httpx.get(f"{wsapi.emu.wsapi_url}/user", auth=("bob@example.com", "Secret-1"))
    assert basic.json()["User"]["UserName"] == "bob@example.com"
    before = wsapi.fingerprint()
    for method, path in (("POST", "/emulator/reset"), ("GET", "/emulator/export"), ("POST", "/emulator/import"),
                         ("PUT", "/emulator/users/admin@emulator.local/credentials")):
        r = bob.request(method, path, json={"password": "x"})
        assert r.status_code == 403, (method, path, r.status_code)
    assert bob.get("/emulator/health").status_code == 200
    assert httpx.post(f"{wsapi.emu.url}/emulator/reset").status_code == 401
    bob.close()
    assert wsapi.fingerprint() == before
    # bad credential requests
    assert wsapi.request("PUT", "/emulator/users/nobody/credentials", json={"password": "x"}).status_code == 404
    assert wsapi.request("PUT", "/emulator/users/bob@example.com/credentials", json={}).status_code == 400
    assert wsapi.request("PUT", "/emulator/users/bob@example.com/credentials", content=b"{").status_code == 400
    assert wsapi.request("PUT", "/emulator/users/bob@example.com/credentials",
                         json={"api_key": wsapi.emu.admin_api_key}).status_code == 409
    assert wsapi.request("GET", "/emulator/nothing").status_code == 404


def test_export_import_round_trip(wsapi: Wsapi) -> None:
    d = wsapi.create("defect", {"Name": "kept", "Severity": "Cosmetic"})
    story = wsapi.create("hierarchicalrequirement", {"Name": "story"})
    wsapi.create("task", {"Name": "t", "WorkProduct": story["_ref"], "Estimate": 2})
    export = wsapi.request("GET", "/emulator/export")
    assert export.status_code == 200
    doc = export.json()
    fingerprint = wsapi.fingerprint()
    wsapi.create("defect", {"Name": "after"})
    wsapi.delete(d["_ref"])
    r = wsapi.request("POST", "/emulator/import", json=doc)
    assert r.status_code == 200, r.text
    assert wsapi.fingerprint() == fingerprint
    assert [(x["Name"], x["Severity"]) for x in wsapi.rows("defect", fetch="Name,Severity")] == [("kept", "Cosmetic")]
    assert wsapi.read(story["_ref"], fetch="TaskEstimateTotal")["TaskEstimateTotal"] == 2
    # sequences continue where the export left them
    assert wsapi.create("defect", {"Name": "next"})["FormattedID"] == "DE2"
    # a bad import changes nothing
    before = wsapi.fingerprint()
    for body in ({"format": "other"}, {"format": "pyral-emulator-store", "version": 1, "tables": {"objects": [[1]]}}):
        assert wsapi.request("POST", "/emulator/import", json=body).status_code == 400
    assert wsapi.request("POST", "/emulator/import", content=b"not json").status_code == 400
    assert wsapi.fingerprint() == before


# -- persistence -----------------------------------------------------------------------------

def test_sqlite_file_survives_restart(tmp_path) -> None:
    db = str(tmp_path / "rally.db")
    with Emulator(db=db) as emu:
        w = Wsapi(emu)
        d = w.create("defect", {"Name": "durable", "Priority": "Low"})
        w.create("user", {"UserName": "carol@example.com", "EmailAddress": "carol@example.com"})
        r = w.request("PUT", "/emulator/users/carol@example.com/credentials", json={"api_key": "_carol"})
        assert r.status_code == 200
        w.close()
        port = emu.port
    with Emulator(db=db) as emu:
        w = Wsapi(emu)
        obj = w.read(f"defect/{d['ObjectID']}")
        assert (obj["Name"], obj["Priority"], obj["FormattedID"]) == ("durable", "Low", "DE1")
        assert obj["_ref"] == f"{emu.url}{API}/defect/{d['ObjectID']}"
        assert w.create("defect", {"Name": "second"})["FormattedID"] == "DE2"
        carol = httpx.get(f"{emu.wsapi_url}/user", headers={"ZSESSIONID": "_carol"})
        assert carol.json()["User"]["UserName"] == "carol@example.com"
        w.close()
    assert port  # (the second run may well get another port: refs follow it)


@pytest.mark.parametrize("path", ["/emulator/health"])
def test_health_needs_credentials(emulator, path: str) -> None:
    assert httpx.get(f"{emulator.url}{path}").status_code == 401
    assert httpx.get(f"{emulator.url}{path}", headers={"ZSESSIONID": emulator.admin_api_key}).json() == {"status": "ok"}
