"""Bad input over HTTP: always a WSAPI-style error or the right HTTP status, never a 500, and a
refused write leaves the store exactly as it was (checked by re-reading and by fingerprinting)."""

from __future__ import annotations

import json
import socket
import ssl
import zlib

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wsapi_client import API, Wsapi

from pyral.emulator.asgi import MAX_BODY

# -- bodies ----------------------------------------------------------------------------------

BAD_BODIES = [
    (b"{bad", "Cannot parse input stream"),
    (b"", "Cannot parse input stream"),
    (b"[1, 2]", "Cannot parse input stream"),
    (b'[{"Defect": {"Name": "x"}}]', "Cannot parse input stream"),
    (b'"text"', "Cannot parse input stream"),
    (b"null", "Cannot parse input stream"),
    (b"\xff\xfe\x00", "Cannot parse input stream"),
    (b'{"Defect": [1]}', "Cannot parse input stream"),
    (b'{"Defect": "Name"}', "Cannot parse input stream"),
    (b'{"Defect": {"Name": "a"}, "Task": {}}', "Cannot parse input stream"),
    (b'{"Task": {"Name": "a"}}', "Cannot parse input stream"),
    (b'{"Defect": {"Name": {"a": 1}}}', "Validation error"),
    (b'{"Defect": {"Name": "a", "PlanEstimate": "lots"}}', "Validation error"),
    (b'{"Defect": {"Name": "a", "Blocked": "maybe"}}', "Validation error"),
    (b'{"Defect": {"Name": "a", "Owner": 12}}', ""),
    (b'{"Defect": {"Name": "a", "Tags": [{"_ref": "/tag/1"}]}}', ""),
    (b'{"Defect": {"Name": "a", "Tags": ["garbage"]}}', "Cannot parse object reference"),
    (b'{"Defect": {"Name": "a", "Tags": [{"_ref": "/defect/1"}]}}', ""),
]


@pytest.mark.parametrize(("body", "text"), BAD_BODIES)
def test_bad_create_bodies(wsapi: Wsapi, body: bytes, text: str) -> None:
    before = wsapi.fingerprint()
    for method in ("POST", "PUT"):
        r = wsapi.request(method, "defect/create", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        result = r.json()["CreateResult"]
        assert result["Errors"] and "Object" not in result, result
        assert result["Errors"][0].startswith(text), result["Errors"]
    assert wsapi.fingerprint() == before
    assert wsapi.rows("defect") == []


@pytest.mark.parametrize(("body", "text"), BAD_BODIES[:11] + [
    (b'{"Defect": {"Name": null}}', "Validation error: Defect.Name should not be null"),
    (b'{"Defect": {"Project": null}}', "Validation error: Defect.Project should not be null"),
    (b'{"Defect": {"Name": "changed", "Severity": "Brutal"}}', "Validation error"),
    (b'{"Defect": {"Name": "changed", "Owner": "/user/1"}}', ""),
    (b'{"Defect": {"Name": "changed", "Tags": [{"_ref": "/tag/1"}]}}', ""),
])
def test_bad_update_bodies(wsapi: Wsapi, body: bytes, text: str) -> None:
    d = wsapi.create("defect", {"Name": "orig"})
    before = wsapi.fingerprint()
    r = wsapi.request("POST", d["_ref"], content=body)
    assert r.status_code == 200
    result = r.json()["OperationResult"]
    assert result["Errors"] and "Object" not in result
    assert result["Errors"][0].startswith(text), result["Errors"]
    assert wsapi.fingerprint() == before
    obj = wsapi.read(d["_ref"])
    assert (obj["Name"], obj["_objectVersion"], obj["Tags"]["Count"]) == ("orig", "1", 0)


def test_create_failing_late_leaves_nothing_and_keeps_sequences(wsapi: Wsapi) -> None:
    """The object row is written before its collections; a bad collection ref must undo it all."""
    tag = wsapi.create("tag", {"Name": "good"})
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    before = wsapi.fingerprint()
    for fields in ({"Name": "late", "Tags": [{"_ref": tag["_ref"]}, {"_ref": "/tag/999999"}]},
                   {"Name": "late", "Tags": [tag["_ref"], "junk"]},
                   {"Name": "late", "Requirement": story["_ref"], "Duplicates": [{"_ref": "/defect/1"}]}):
        result = wsapi.create_raw("defect", {"Defect": fields})
        assert result["Errors"] and "Object" not in result, fields
    assert wsapi.fingerprint() == before
    assert wsapi.rows("defect") == []
    assert wsapi.read(story["_ref"], fetch="Defects")["Defects"]["Count"] == 0
    assert wsapi.create("defect", {"Name": "first real"})["FormattedID"] == "DE1"


def test_a_batch_entry_failing_late_leaves_nothing_and_the_others_stand(wsapi: Wsapi) -> None:
    """Each batch entry is undone on its own: a create failing at its collections leaves no row, no
    link and no FormattedID behind, and the entries around it are written."""
    tag = wsapi.create("tag", {"Name": "good"})
    store = wsapi.emu.backend.store  # type: ignore[union-attr]
    links = store.execute("SELECT count(*) FROM links")[0][0]

    def entry(fields: dict[str, object]) -> dict[str, object]:
        return {"Entry": {"Path": "/defect/create", "Method": "PUT", "Body": {"Defect": fields}}}

    r = wsapi.request("POST", "batch", params={"fetch": "FormattedID,Name"}, json={"Batch": [
        entry({"Name": "before"}),
        entry({"Name": "late", "Tags": [{"_ref": tag["_ref"]}, {"_ref": "/tag/999999"}]}),
        entry({"Name": "after"})]})
    results = r.json()["BatchResult"]["Results"]
    assert [res["Errors"] == [] for res in results] == [True, False, True] and "Object" not in results[1]
    assert [res["Object"]["FormattedID"] for res in (results[0], results[2])] == ["DE1", "DE2"]
    assert sorted(row["Name"] for row in wsapi.rows("defect", fetch="Name")) == ["after", "before"]
    assert store.execute("SELECT count(*) FROM links")[0][0] == links  # no Tags link left by "late"
    nested = {"Entry": {"Path": "/batch", "Method": "POST", "Body": {"Batch": [entry({"Name": "inner"})]}}}
    r = wsapi.request("POST", "batch", json={"Batch": [nested]})
    assert r.json()["BatchResult"]["Results"] == [{"Errors": ["Unsupported batch entry path: /batch"], "Warnings": []}]
    assert wsapi.rows("defect", query='(Name = "inner")') == []


def test_collection_add_with_a_bad_item_adds_nothing(wsapi: Wsapi) -> None:
    d = wsapi.create("defect", {"Name": "d"})
    tag = wsapi.create("tag", {"Name": "t"})
    before = wsapi.fingerprint()
    for body in ({"CollectionItems": [{"_ref": tag["_ref"]}, {"_ref": "/tag/424242"}]},
                 {"CollectionItems": [{"_ref": tag["_ref"]}, "junk"]},
                 {"CollectionItems": "not a list"}, [1], {"Other": []}):
        r = wsapi.request("POST", f"{d['_ref']}/Tags/add", json=body)
        assert r.status_code == 200 and r.json()["OperationResult"]["Errors"], body
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    before = wsapi.fingerprint()
    r = wsapi.request("POST", f"{story['_ref']}/Tasks/add",
                      json={"CollectionItems": [{"Name": "ok"}, {"Name": "bad", "State": "Nope"}]})
    assert r.json()["OperationResult"]["Errors"]
    assert wsapi.fingerprint() == before
    assert wsapi.read(d["_ref"], fetch="Tags")["Tags"]["Count"] == 0


# -- types, fields, refs ---------------------------------------------------------------------

def test_unknown_types(wsapi: Wsapi) -> None:
    before = wsapi.fingerprint()
    assert wsapi.query("x")["Errors"] == ['Requested type name "x" is unknown.']
    assert wsapi.create_raw("IAmNotARealOne", {"IAmNotARealOne": {"Name": "x"}})["Errors"] == \
        ['Requested type name "iamnotarealone" is unknown.']
    assert wsapi.get("nothing/12")["OperationResult"]["Errors"] == ['Requested type name "nothing" is unknown.']
    assert wsapi.delete("nothing/12")["Errors"] == ['Requested type name "nothing" is unknown.']
    assert wsapi.query("portfolioitem/nothing")["Errors"]
    assert wsapi.fingerprint() == before


def test_unknown_fields_in_queries_fetch_and_order(wsapi: Wsapi) -> None:
    wsapi.create("defect", {"Name": "d"})
    assert wsapi.query("defect", query="(Bogus = 1)")["Errors"] == [
        'Could not parse: Could not find attribute "Bogus" on type Defect in the query segment "Bogus"']
    assert wsapi.query("defect", order="Bogus")["Errors"] == ["Cannot sort using unknown attribute Bogus"]
    assert wsapi.query("defect", fetch="Bogus,Name")["Results"][0]["Name"] == "d"


@pytest.mark.parametrize("query", ["(Name zobolts 9)", "(Name = ", "((Name = 1)", "Name = 1)", "()", "(= 1)",
                                   "((A = 1) AND)", "(Name = \"unterminated)", "(Owner.Nope.Deeper = 1)",
                                   "(CreationDate > notadate)", "(ScheduleState < Sideways)", "\x00", ")(" * 50,
                                   "(" * 500 + "Name = 1" + ")" * 500])
def test_bad_queries(wsapi: Wsapi, query: str) -> None:
    r = wsapi.request("GET", "hierarchicalrequirement", params={"query": query})
    assert r.status_code == 200
    qr = r.json()["QueryResult"]
    assert len(qr["Errors"]) == 1 and qr["Errors"][0].startswith(("Could not parse: ", "Cannot ")), qr["Errors"]
    assert qr["Results"] == [] and qr["TotalResultCount"] == 0


@pytest.mark.parametrize(("params", "start", "size"), [
    ({"pagesize": "100000000"}, 1, 2000),
    ({"pagesize": "99999999999999999999999999"}, 1, 2000),
    ({"start": "99999999999999999999999999"}, None, 20),
    ({"pagesize": "0"}, 1, None),
    ({"pagesize": "-5"}, 1, None),
    ({"start": "0"}, 1, 20),
    ({"start": "-3"}, 1, 20),
])
def test_odd_paging_numbers(wsapi: Wsapi, params: dict, start: int | None, size: int | None) -> None:
    wsapi.create("defect", {"Name": "d"})
    r = wsapi.request("GET", "defect", params=params)
    assert r.status_code == 200
    qr = r.json()["QueryResult"]
    if qr["Errors"]:
        assert qr["Results"] == []
    else:
        assert qr["StartIndex"] >= 1 and 1 <= qr["PageSize"] <= 2000
        if start is not None:
            assert qr["StartIndex"] == start
        if size is not None:
            assert qr["PageSize"] == size


@pytest.mark.parametrize("params", [{"pagesize": "abc"}, {"start": "x"}, {"pagesize": "1.5"}, {"start": "1e3"}])
def test_non_numeric_paging(wsapi: Wsapi, params: dict) -> None:
    qr = wsapi.query("defect", **params)
    assert len(qr["Errors"]) == 1 and qr["Errors"][0].startswith("Could not parse: ") and qr["Results"] == []


@pytest.mark.parametrize("params", [{"workspace": "garbage"}, {"project": "garbage"}, {"project": "/project/1"},
                                    {"workspace": "/workspace/1"}, {"workspace": "/defect/1"}])
def test_bad_scope_refs(wsapi: Wsapi, params: dict) -> None:
    before = wsapi.fingerprint()
    qr = wsapi.query("defect", **params)
    assert qr["Errors"] and qr["Results"] == []
    result = wsapi.create_raw("defect", {"Defect": {"Name": "scoped"}}, **params)
    assert result["Errors"] and "Object" not in result
    assert wsapi.fingerprint() == before


# -- HTTP level ------------------------------------------------------------------------------

def test_wrong_methods_and_unknown_paths(wsapi: Wsapi) -> None:
    d = wsapi.create("defect", {"Name": "d"})
    before = wsapi.fingerprint()
    for method, path in (("PATCH", d["_ref"]), ("OPTIONS", "defect"), ("DELETE", "defect"),
                         ("DELETE", "defect/create"), ("PATCH", "defect/create"), ("DELETE", f"{d['_ref']}/Tags")):
        assert wsapi.request(method, path).status_code == 405, (method, path)
    for path in ("/slm/webservice/v3.0/defect", "/slm/webservice", "/favicon.ico", f"{API}/defect/1/2/3/4",
                 f"{API}/defect/notanumber", "/slm/schema/v2.0/workspace/abc"):
        r = wsapi.request("GET", f"{wsapi.emu.url}{path}")
        assert r.status_code == 404, (path, r.status_code)
    # POST/PUT to a query or read path that is not an update is refused without writing
    r = wsapi.request("PUT", "defect", json={"Defect": {"Name": "x"}})
    assert r.status_code in (200, 405) and (r.status_code == 405 or r.json()["OperationResult"]["Errors"])
    assert wsapi.fingerprint() == before


def _raw_request(emu, head: bytes) -> bytes:
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=10)
    if emu.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock)
    try:
        sock.sendall(head)
        return sock.recv(4096)
    finally:
        sock.close()


def test_oversize_bodies_get_413_without_being_read(any_wsapi: Wsapi) -> None:
    emu = any_wsapi.emu
    before = any_wsapi.fingerprint()
    head = (f"POST {API}/defect/create HTTP/1.1\r\nHost: 127.0.0.1\r\nZSESSIONID: {emu.admin_api_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n").encode()
    answer = _raw_request(emu, head + b'{"Defect": {')
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    answer = _raw_request(emu, head.replace(str(MAX_BODY + 1).encode(), b"12x"))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]
    assert any_wsapi.fingerprint() == before


def test_gzip_bodies_bounded(wsapi: Wsapi) -> None:
    deflate = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    bomb = b"".join(deflate.compress(chunk) for _ in range(MAX_BODY // len(chunk) + 2)) + deflate.flush()
    assert len(bomb) < 1_000_000
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    before = wsapi.fingerprint()
    assert wsapi.request("POST", "defect/create", content=bomb, headers=headers).status_code == 413
    assert wsapi.request("POST", "defect/create", content=b"not gzip", headers=headers).status_code == 400
    assert wsapi.fingerprint() == before
    small = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    body = small.compress(json.dumps({"Defect": {"Name": "zipped"}}).encode()) + small.flush()
    r = wsapi.request("POST", "defect/create", content=body, headers=headers)
    assert r.json()["CreateResult"]["Object"]["Name"] == "zipped"


def test_malformed_cookie_and_auth_headers(emulator) -> None:
    emulator.reset()
    r = httpx.get(f"{emulator.wsapi_url}/user", headers={"ZSESSIONID": emulator.admin_api_key,
                                                         "Cookie": 'JSESSIONID="unterminated; ;;='})
    assert r.status_code == 200
    r = httpx.get(f"{emulator.wsapi_url}/user", headers={"Authorization": "Basic " + "\u00e9".encode().hex()})
    assert r.status_code == 401
    r = httpx.get(f"{emulator.wsapi_url}/user", headers={"Authorization": "Bearer abc"})
    assert r.status_code == 401


# -- property tests --------------------------------------------------------------------------

QUERY_TOKENS = st.sampled_from(["(", ")", "(", ")", " ", " ", "Name", "FormattedID", "Owner.UserName", "Tasks.State",
                                "ScheduleState", "PlanEstimate", "CreationDate", "=", "!=", "<", ">=", "contains",
                                "!contains", "in", "AND", "OR", "and", '"', '"x y"', "null", "true", "today-3",
                                "2024-01-01", "US1", "/user/1", "12", "-1.5", ",", ".", "\\", "%", "&", "\u00e9"])
GARBAGE_QUERY = st.one_of(st.text(max_size=60), st.lists(QUERY_TOKENS, max_size=25).map("".join))

FIELDS = st.sampled_from(["Name", "Description", "Owner", "Project", "Workspace", "Severity", "State", "Priority",
                          "PlanEstimate", "Blocked", "Tags", "Requirement", "TargetDate", "ObjectID", "FormattedID",
                          "_ref", "c_Nope", "Iteration", "Duplicates", "DragAndDropRank", "", "name", "NAME"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["/user/1", "/project/1", "Major Problem", "2024-01-01", "/tag/1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["_ref", "Name", "x"]), inner, max_size=2),
    max_leaves=8)
PAYLOADS = st.one_of(
    st.dictionaries(FIELDS, JSON_VALUES, max_size=5).map(lambda d: {"Defect": d}),
    st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3),
    JSON_VALUES,
)

PROPERTY_SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def prop_client(emulator) -> Wsapi:
    emulator.reset()
    client = Wsapi(emulator)
    client.create("defect", {"Name": "existing"})
    yield client
    client.close()


@PROPERTY_SETTINGS
@given(query=GARBAGE_QUERY, order=st.one_of(st.none(), st.text(max_size=15)),
       fetch=st.one_of(st.none(), st.text(max_size=15)))
def test_property_garbage_queries_never_500(prop_client: Wsapi, query: str, order: str | None,
                                            fetch: str | None) -> None:
    params = {"query": query}
    if order is not None:
        params["order"] = order
    if fetch is not None:
        params["fetch"] = fetch
    r = prop_client.request("GET", "defect", params=params)
    assert r.status_code == 200, (params, r.status_code, r.text[:300])
    qr = r.json()["QueryResult"]
    assert isinstance(qr["Errors"], list) and isinstance(qr["Results"], list)
    assert qr["Errors"] or qr["TotalResultCount"] >= len(qr["Results"])


@PROPERTY_SETTINGS
@given(payload=PAYLOADS, update=st.booleans(), method=st.sampled_from(["POST", "PUT"]))
def test_property_garbage_payloads_never_500_and_refusals_write_nothing(prop_client: Wsapi, payload, update: bool,
                                                                        method: str) -> None:
    target = prop_client.rows("defect", query='(Name = "existing")')
    assume_ref = target[0]["_ref"] if target else None
    path = assume_ref if (update and assume_ref) else "defect/create"
    before = prop_client.fingerprint()
    r = prop_client.request(method, path, content=json.dumps(payload).encode())
    assert r.status_code == 200 or 400 <= r.status_code < 500, (payload, r.status_code, r.text[:300])
    if r.status_code != 200:
        assert prop_client.fingerprint() == before
        return
    (key, inner), = r.json().items()
    assert key in ("CreateResult", "OperationResult")
    if inner["Errors"]:
        assert "Object" not in inner
        assert prop_client.fingerprint() == before, (payload, inner["Errors"])
    elif path == "defect/create":
        prop_client.delete(inner["Object"]["_ref"])


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=200), path=st.sampled_from(["defect/create", "batch", "defect/1/Tags/add"]))
def test_property_random_bytes_never_500(prop_client: Wsapi, body: bytes, path: str) -> None:
    before = prop_client.fingerprint()
    r = prop_client.request("POST", path, content=body)
    assert r.status_code == 200 or 400 <= r.status_code < 500, (body, r.status_code, r.text[:300])
    assert prop_client.fingerprint() == before
