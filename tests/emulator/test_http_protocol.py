"""Routing, authentication and single-object reads, over HTTP and HTTPS with a plain httpx client."""

from __future__ import annotations

import re

import httpx
import pytest
from wsapi_client import API, Wsapi, oid_of, short

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# -- routing ---------------------------------------------------------------------------------

def test_versions_suffix_and_case(any_wsapi: Wsapi) -> None:
    w = any_wsapi
    defect = w.create("defect", {"Name": "Routing"})
    oid = oid_of(defect["_ref"])
    for path in (f"/slm/webservice/v2.0/defect/{oid}", f"/slm/webservice/v2.x/defect/{oid}",
                 f"/slm/webservice/v2.0/Defect/{oid}.js", f"/slm/webservice/v2.x/DEFECT/{oid}.js"):
        assert w.read(path)["ObjectID"] == oid, path
    for path in ("defect", "Defect.js", "DEFECT", "/slm/webservice/v2.x/defect.js"):
        assert [r["_ref"] for r in w.rows(path)] == [defect["_ref"]], path
    # create through .js and with the wrapper key in another case
    for method, path in (("POST", "HierarchicalRequirement/create.js"), ("PUT", "hierarchicalrequirement/CREATE.js")):
        r = w.request(method, path, json={"hierarchicalrequirement": {"Name": "S"}})
        created = r.json()["CreateResult"]
        assert created["Errors"] == [] and created["Object"]["_type"] == "HierarchicalRequirement", path


def test_refs_use_scheme_host_port_and_casing(any_wsapi: Wsapi) -> None:
    w = any_wsapi
    feature = w.create("portfolioitem/feature", {"Name": "F"})
    assert feature["_type"] == "PortfolioItem/Feature"
    assert feature["_ref"] == f"{w.emu.url}{API}/portfolioitem/feature/{oid_of(feature['_ref'])}"
    read = w.read(feature["_ref"].replace("portfolioitem/feature", "PortfolioItem/Feature"))
    assert read["_ref"] == feature["_ref"]
    assert read["UserStories"]["_ref"].endswith(f"/PortfolioItem/Feature/{read['ObjectID']}/UserStories")
    story = w.create("hierarchicalrequirement", {"Name": "S", "PortfolioItem": feature["_ref"]})
    body = w.read(story["_ref"])
    assert body["_ref"] == f"{w.emu.url}{API}/hierarchicalrequirement/{body['ObjectID']}"
    assert body["Tasks"]["_ref"] == f"{w.emu.url}{API}/HierarchicalRequirement/{body['ObjectID']}/Tasks"
    assert body["Tasks"]["_type"] == "Task"
    assert body["PortfolioItem"]["_ref"] == feature["_ref"]
    assert body["PortfolioItem"]["_type"] == "PortfolioItem/Feature"
    # ask through another host name: every _ref follows the Host the client used
    other = httpx.Client(base_url=f"{w.emu.scheme}://localhost:{w.emu.port}", verify=False,
                         headers={"ZSESSIONID": w.emu.admin_api_key})
    via_localhost = other.get(f"{API}/hierarchicalrequirement/{body['ObjectID']}").json()["HierarchicalRequirement"]
    other.close()
    assert via_localhost["_ref"].startswith(f"{w.emu.scheme}://localhost:{w.emu.port}{API}/")
    assert via_localhost["Project"]["_ref"].startswith(f"{w.emu.scheme}://localhost:{w.emu.port}{API}/project/")


def test_portfolio_item_paths(wsapi: Wsapi) -> None:
    feature = wsapi.create("portfolioitem/feature", {"Name": "F"})
    assert feature["FormattedID"].startswith("F")
    for path in ("portfolioitem/feature", "PortfolioItem/Feature", "portfolioitem/feature.js", "portfolioitem"):
        assert [r["_ref"] for r in wsapi.rows(path)] == [feature["_ref"]], path
    assert wsapi.rows("portfolioitem/initiative") == []


def test_unknown_paths_are_404_and_wrong_methods_405(wsapi: Wsapi) -> None:
    for path in ("/", "/slm/webservice/v1.43/defect", "/slm/slm/webservice/v2.0/defect", "/nothing/here",
                 f"{API}", f"{API}/defect/abc", f"{API}/defect/1/Tasks/add/more"):
        r = wsapi.request("GET", path)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
    for method in ("PATCH", "OPTIONS"):
        assert wsapi.request(method, "defect").status_code == 405
    assert wsapi.request("DELETE", "defect").status_code == 405


# -- authentication --------------------------------------------------------------------------

def _is_401_page(r: httpx.Response) -> bool:
    return r.status_code == 401 and not r.headers["content-type"].startswith("application/json") and \
        "401" in r.text


@pytest.mark.parametrize("kind", ["none", "bad key", "bad password", "unknown user", "garbled basic"])
def test_bad_or_missing_credentials_get_a_non_json_401(emulator, kind: str) -> None:
    emulator.reset()
    headers = {"none": {}, "bad key": {"ZSESSIONID": "_notAKey"},
               "garbled basic": {"Authorization": "Basic !!!not-base64"}}.get(kind, {})
    auth = {"bad password": (emulator.admin_user, "wrong"), "unknown user": ("nobody@x", "pw")}.get(kind)
    for method, path in (("GET", "defect"), ("GET", "user"), ("POST", "defect/create"),
                         ("GET", "security/authorize")):
        r = httpx.request(method, f"{emulator.wsapi_url}/{path}", headers=headers, auth=auth,
                          json={"Defect": {"Name": "x"}} if method == "POST" else None)
        assert _is_401_page(r), (kind, path, r.status_code, r.text[:200])
        with pytest.raises(ValueError):
            r.json()
    assert Wsapi(emulator).rows("defect") == []


def test_api_key_header_any_case_and_cookie(emulator) -> None:
    emulator.reset()
    for kw in ({"headers": {"ZSESSIONID": emulator.admin_api_key}},
               {"headers": {"zsessionid": emulator.admin_api_key}},
               {"cookies": {"ZSESSIONID": emulator.admin_api_key}}):
        with httpx.Client(**kw) as c:
            r = c.get(f"{emulator.wsapi_url}/user")
            assert r.status_code == 200, kw
            assert r.json()["User"]["UserName"] == emulator.admin_user
            # writes need no token with an API key; key=None (what pyral sends) is ignored
            r = c.post(f"{emulator.wsapi_url}/defect/create", params={"key": "None"}, json={"Defect": {"Name": "K"}})
            assert r.json()["CreateResult"]["Errors"] == [], kw


def test_basic_auth_reads_directly_but_writes_need_the_session_token(any_wsapi: Wsapi) -> None:
    emu = any_wsapi.emu
    before = any_wsapi.fingerprint()
    basic = httpx.Client(base_url=emu.wsapi_url, auth=(emu.admin_user, emu.admin_password), verify=False)
    assert basic.get("/defect").json()["QueryResult"]["Errors"] == []
    payload = {"Defect": {"Name": "Basic"}}
    for params in ({}, {"key": "wrong"}, {"key": ""}):
        r = basic.post("/defect/create", params=params, json=payload)
        assert r.status_code == 200
        assert r.json()["CreateResult"]["Errors"] == ["Not authorized to perform action: Invalid key"]
        assert "Object" not in r.json()["CreateResult"]
    assert any_wsapi.fingerprint() == before
    # the token comes with a JSESSIONID cookie it is bound to
    r = basic.get("/security/authorize")
    inner = r.json()["OperationResult"]
    assert inner["Errors"] == [] and isinstance(inner["SecurityToken"], str) and inner["SecurityToken"]
    assert "JSESSIONID" in basic.cookies
    token = inner["SecurityToken"]
    created = basic.post("/defect/create", params={"key": token}, json=payload).json()["CreateResult"]
    assert created["Errors"] == []
    ref = created["Object"]["_ref"]
    # update and delete with the token too; without it they are refused and change nothing
    r = basic.post(ref, json={"Defect": {"Name": "No key"}}).json()["OperationResult"]
    assert r["Errors"] == ["Not authorized to perform action: Invalid key"]
    r = basic.delete(ref).json()["OperationResult"]
    assert r["Errors"] == ["Not authorized to perform action: Invalid key"]
    assert any_wsapi.read(ref)["Name"] == "Basic"
    assert basic.post(ref, params={"key": token}, json={"Defect": {"Name": "Keyed"}}).json()["OperationResult"]["Errors"] == []
    # the same token from another session (another cookie jar) is refused
    other = httpx.Client(base_url=emu.wsapi_url, auth=(emu.admin_user, emu.admin_password), verify=False)
    r = other.post("/defect/create", params={"key": token}, json=payload).json()["CreateResult"]
    assert r["Errors"] == ["Not authorized to perform action: Invalid key"]
    # GETs ignore key entirely (Ruby sends it on every request)
    assert other.get("/defect", params={"key": "anything"}).json()["QueryResult"]["TotalResultCount"] == 1
    assert basic.delete(ref, params={"key": token}).json()["OperationResult"]["Errors"] == []
    basic.close()
    other.close()


# -- reads -----------------------------------------------------------------------------------

def test_current_user_and_subscription(any_wsapi: Wsapi) -> None:
    user = any_wsapi.get("user")
    assert list(user) == ["User"]
    u = user["User"]
    assert u["UserName"] == any_wsapi.emu.admin_user and u["Errors"] == [] and u["Warnings"] == []
    assert (u["_rallyAPIMajor"], u["_rallyAPIMinor"]) == ("2", "0")
    assert "_type" not in u and UUID.fullmatch(u["_refObjectUUID"])
    assert u["UserProfile"]["_type"] == "UserProfile"
    profile = any_wsapi.read(u["UserProfile"]["_ref"])
    assert profile["DefaultWorkspace"]["_type"] == "Workspace" and profile["DefaultProject"]["_type"] == "Project"
    sub = any_wsapi.get("subscription.js")
    assert list(sub) == ["Subscription"] and sub["Subscription"]["Workspaces"]["_type"] == "Workspace"
    # with query parameters, /user is a query
    qr = any_wsapi.query("user", query=f'(UserName = "{any_wsapi.emu.admin_user}")', fetch="UserName")
    assert [r["UserName"] for r in qr["Results"]] == [any_wsapi.emu.admin_user]
    assert any_wsapi.query("users", fetch="UserName")["TotalResultCount"] >= 1


def test_object_read_shape(wsapi: Wsapi) -> None:
    defect = wsapi.create("defect", {"Name": "Read me", "Severity": "Major Problem"})
    body = wsapi.get(defect["_ref"])
    assert list(body) == ["Defect"]
    d = body["Defect"]
    assert d["Errors"] == [] and d["Warnings"] == []
    assert d["_ref"] == defect["_ref"] and d["_refObjectName"] == "Read me" and "_type" not in d
    assert d["_objectVersion"] == d["VersionId"] == "1"
    assert d["ObjectUUID"] == d["_refObjectUUID"]
    assert d["Severity"] == "Major Problem" and d["Priority"] == "None"
    assert d["Owner"] is None
    assert d["Tags"] == {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "_ref": f"{wsapi.emu.url}{API}/Defect/{d['ObjectID']}/Tags",
                         "_type": "Tag", "_tagsNameArray": [], "Count": 0}
    assert d["Workspace"]["_type"] == "Workspace" and d["Workspace"]["_refObjectName"]
    assert d["_CreatedAt"] == "just now"
    # a fetch list on a read limits it
    small = wsapi.read(defect["_ref"], fetch="Name,FormattedID")
    assert set(small) - {"Errors", "Warnings"} == {"_rallyAPIMajor", "_rallyAPIMinor", "_ref", "_refObjectUUID",
                                                   "_objectVersion", "_refObjectName", "Name", "FormattedID"}


def test_read_not_found_and_wrong_type(wsapi: Wsapi) -> None:
    defect = wsapi.create("defect", {"Name": "D"})
    oid = oid_of(defect["_ref"])
    for path in ("defect/1", "defect/99999999999", f"task/{oid}", f"hierarchicalrequirement/{oid}"):
        body = wsapi.get(path)
        assert body == {"OperationResult": {"_rallyAPIMajor": "2", "_rallyAPIMinor": "0",
                                            "Errors": ["Cannot find object to read"], "Warnings": []}}, path
    # an abstract parent type finds it
    assert wsapi.read(f"artifact/{oid}")["ObjectID"] == oid
    assert short(defect["_ref"]) == f"/defect/{oid}"
