"""Real Rally responses (rally-node-ng captures) against what the emulator answers to the same request.

Each capture file has a test that makes the same kind of request over HTTP and checks the shape:
envelope key, keys present, JSON value types, ``_rallyAPIMajor``/``Minor`` strings, and the form of
nested refs and collection summaries (ref paths compared with the host and ids abstracted away).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from wsapi_client import API, CAPTURES, load_capture

CAPTURE_FILES = sorted(p.name for p in CAPTURES.glob("*.json"))
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "captures" / "rally-node-ng"


def jtype(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def ref_shape(ref: str) -> str:
    """``https://rally1.rallydev.com/slm/webservice/v2.0/Workspace/44401157361/Children`` ->
    ``/Workspace/N/Children`` (host and ids abstracted, casing kept)."""
    assert API + "/" in ref, ref
    return re.sub(r"/-?\d+(?=/|$)", "/N", ref.split(API, 1)[1])


def assert_shape(expected: Any, actual: Any, where: str = "$", *, exact_keys: bool = False) -> None:
    """``actual`` has every key of ``expected`` with the same JSON type, recursively; ``_ref``s
    have the same path shape and the API version markers are the same strings."""
    if expected is None:
        return  # a null in the capture says nothing about the type
    assert jtype(actual) == jtype(expected), f"{where}: {jtype(actual)} {actual!r:.80} vs capture {expected!r:.80}"
    if isinstance(expected, dict):
        missing = set(expected) - set(actual)
        assert not missing, f"{where}: keys missing {sorted(missing)}"
        if exact_keys:
            extra = set(actual) - set(expected)
            assert not extra, f"{where}: keys the capture does not have {sorted(extra)}"
        for key, value in expected.items():
            if key in ("_rallyAPIMajor", "_rallyAPIMinor", "_type"):
                assert actual[key] == value, f"{where}.{key}: {actual[key]!r} vs capture {value!r}"
            elif key in ("_objectVersion", "VersionId"):
                assert isinstance(actual[key], str) and actual[key].isdigit(), f"{where}.{key}: {actual[key]!r}"
            elif key == "_ref" and isinstance(value, str) and value.startswith("http"):
                assert ref_shape(actual[key]) == ref_shape(value), f"{where}._ref: {actual[key]} vs {value}"
            else:
                assert_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list) and not expected and where.rsplit(".", 1)[-1] in ("Errors", "Warnings"):
        assert actual == [], f"{where}: {actual!r:.200}, the capture has none"  # a success has no errors
    elif isinstance(expected, list) and expected:
        assert actual, f"{where}: empty list, the capture has items"
        for i, item in enumerate(actual):
            assert_shape(expected[0], item, f"{where}[{i}]")


def test_every_capture_has_a_test() -> None:
    tested = {"collectionAddError.json", "collectionAddSuccess.json", "collectionRemoveSuccess.json",
              "createError.json", "createSuccess.json", "deleteError.json", "deleteSuccess.json",
              "getError.json", "getSuccess.json", "querySuccess.json", "updateError.json",
              "updateSuccess.json", "schemaSuccess.excerpt.json"}
    assert set(CAPTURE_FILES) == tested
    assert (CAPTURES / "LICENSE").is_file(), "the MIT licence must stay with the copied captures"


def test_copies_match_shared() -> None:
    """The copies are the real files (CI has ``shared/`` beside the clone)."""
    if not SHARED.is_dir():
        pytest.fail(f"expected the shared captures beside the repository at {SHARED}; "
                    "clone the repository next to a copy of shared/")
    for name in CAPTURE_FILES:
        if name == "schemaSuccess.excerpt.json":
            full = json.loads((SHARED / "schemaSuccess.json").read_text())["QueryResult"]
            excerpt = load_capture(name)["QueryResult"]
            assert {k: v for k, v in full.items() if k != "Results"} == \
                   {k: v for k, v in excerpt.items() if k != "Results"}
            for typedef in excerpt["Results"]:
                assert typedef in full["Results"]
        else:
            assert load_capture(name) == json.loads((SHARED / name).read_text()), name


# -- errors ----------------------------------------------------------------------------------

def _same_envelope(capture: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    (key, inner), = capture.items()
    assert list(body) == [key]
    assert_shape(inner, body[key], key, exact_keys=True)
    return body[key]


@pytest.mark.parametrize(("capture", "method", "path", "payload"), [
    ("getError.json", "GET", "defect/1", None),
    ("deleteError.json", "DELETE", "defect/1", None),
    ("updateError.json", "POST", "defect/9999", {"Defect": {"Name": "x"}}),
    ("collectionAddError.json", "POST", "defect/1/Tasks/add", {"CollectionItems": [{"Name": "Joe"}]}),
])
def test_error_captures(wsapi, capture: str, method: str, path: str, payload: Any) -> None:
    r = wsapi.request(method, path, json=payload) if payload is not None else wsapi.request(method, path)
    assert r.status_code == 200
    expected = load_capture(capture)
    inner = _same_envelope(expected, r.json())
    assert inner["Errors"] == expected["OperationResult"]["Errors"]  # the exact Rally text


def test_create_error_capture(wsapi) -> None:
    body = wsapi.request("POST", "defect/create", json={"Defect": {"Description": "no name"}}).json()
    inner = _same_envelope(load_capture("createError.json"), body)
    assert "Object" not in inner
    assert inner["Errors"] == ["Validation error: Defect.Name should not be null"]


# -- successes -------------------------------------------------------------------------------

def test_create_success_capture(wsapi) -> None:
    r = wsapi.request("POST", "defect/create", params={"fetch": "Name,ObjectID"}, json={"Defect": {"Name": "QQQ"}})
    inner = _same_envelope(load_capture("createSuccess.json"), r.json())
    assert set(inner["Object"]) == set(load_capture("createSuccess.json")["CreateResult"]["Object"])
    assert inner["Object"]["Name"] == inner["Object"]["_refObjectName"] == "QQQ"
    assert inner["Object"]["_ref"].startswith(f"{wsapi.emu.url}{API}/defect/")


def test_update_success_capture(wsapi) -> None:
    obj = wsapi.create("defect", {"Name": "QQQ"})
    r = wsapi.request("POST", obj["_ref"], params={"fetch": "Description,Name,ObjectID"},
                      json={"Defect": {"Name": "WWW"}})
    capture = load_capture("updateSuccess.json")
    inner = _same_envelope(capture, r.json())
    assert set(inner["Object"]) == set(capture["OperationResult"]["Object"])
    assert inner["Object"]["Name"] == "WWW"
    assert inner["Object"]["_objectVersion"] == "2"  # as in the capture: one update after the create


def test_delete_success_capture(wsapi) -> None:
    obj = wsapi.create("defect", {"Name": "QQQ"})
    body = wsapi.request("DELETE", obj["_ref"]).json()
    _same_envelope(load_capture("deleteSuccess.json"), body)
    assert wsapi.get(obj["_ref"])["OperationResult"]["Errors"] == ["Cannot find object to read"]  # really gone


def test_get_success_capture(wsapi) -> None:
    """A workspace read: the capture's keys, types, refs and collection summaries."""
    project = wsapi.default_project()
    wsapi.create("project", {"Name": "Second", "Parent": project["_ref"]})
    ref = wsapi.default_workspace()["_ref"]
    body = wsapi.get(ref)
    capture = load_capture("getSuccess.json")
    assert list(body) == ["Workspace"]
    expected = dict(capture["Workspace"])
    assert_shape(expected, body["Workspace"], "Workspace")
    ws = body["Workspace"]
    assert "_type" not in ws  # the wrapper key carries the type on a top-level read
    assert re.fullmatch(r"[0-9a-f]{32}", ws["SchemaVersion"]), ws["SchemaVersion"]
    assert ws["Projects"]["Count"] == 2 and ws["Children"]["Count"] == 1
    assert ws["VersionId"] == ws["_objectVersion"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ws["CreationDate"])


def test_query_success_capture(wsapi) -> None:
    wsapi.create("defect", {"Name": "I found a bug!", "Description": "If you stand on your head"})
    wsapi.create("defect", {"Name": "QQQ"})
    body = wsapi.get("defect", fetch="Description,Name,ObjectID")
    capture = load_capture("querySuccess.json")
    inner = _same_envelope(capture, body)
    expected_row = set(capture["QueryResult"]["Results"][0])
    assert [set(row) for row in inner["Results"]] == [expected_row, expected_row]
    assert (inner["StartIndex"], inner["PageSize"], inner["TotalResultCount"]) == (1, 20, 2)


def test_collection_add_success_capture(wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "Story"})
    r = wsapi.request("POST", f"{story['_ref']}/Tasks/add", params={"fetch": "Description,Name,ObjectID"},
                      json={"CollectionItems": [{"Name": "Joe"}]})
    capture = load_capture("collectionAddSuccess.json")
    inner = _same_envelope(capture, r.json())
    assert set(inner["Results"][0]) == set(capture["OperationResult"]["Results"][0])
    assert inner["Results"][0]["Name"] == "Joe"
    tasks = wsapi.rows(f"{story['_ref']}/Tasks", fetch="Name")
    assert [t["Name"] for t in tasks] == ["Joe"]


def test_collection_remove_success_capture(wsapi) -> None:
    defect = wsapi.create("defect", {"Name": "D"})
    tag = wsapi.create("tag", {"Name": "T"})
    added = wsapi.request("POST", f"{defect['_ref']}/Tags/add", json={"CollectionItems": [{"_ref": tag["_ref"]}]})
    assert added.json()["OperationResult"]["Errors"] == []
    r = wsapi.request("POST", f"{defect['_ref']}/Tags/remove", json={"CollectionItems": [{"_ref": tag["_ref"]}]})
    inner = _same_envelope(load_capture("collectionRemoveSuccess.json"), r.json())
    assert not inner.get("Results")
    assert wsapi.read(defect["_ref"], fetch="Tags")["Tags"]["Count"] == 0


# -- schema ----------------------------------------------------------------------------------

def _type_sets(typedefs: list[dict[str, Any]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    tkeys: dict[str, set[str]] = {}
    akeys: dict[str, set[str]] = {}
    for td in typedefs:
        for k, v in td.items():
            tkeys.setdefault(k, set()).add(jtype(v))
        for attr in td["Attributes"]:
            for k, v in attr.items():
                akeys.setdefault(k, set()).add(jtype(v))
    return tkeys, akeys


@pytest.fixture(scope="module")
def schema_body(emulator) -> dict[str, Any]:
    from wsapi_client import Wsapi

    emulator.reset()
    client = Wsapi(emulator)
    ws = client.default_workspace()
    body = client.get(f"/slm/schema/v2.0/workspace/{ws['ObjectID']}")
    client.close()
    return body


def test_schema_capture_envelope(schema_body) -> None:
    capture = load_capture("schemaSuccess.excerpt.json")["QueryResult"]
    assert list(schema_body) == ["QueryResult"]
    qr = schema_body["QueryResult"]
    assert set(qr) - {"_rallyAPIMajor", "_rallyAPIMinor"} == set(capture)
    assert qr["PageSize"] == 200 and qr["StartIndex"] == 1 and qr["Errors"] == []
    assert qr["TotalResultCount"] == len(qr["Results"]) >= 48


def test_schema_capture_typedef_and_attribute_keys(schema_body) -> None:
    capture = load_capture("schemaSuccess.excerpt.json")["QueryResult"]["Results"]
    results = schema_body["QueryResult"]["Results"]
    cap_t, cap_a = _type_sets(capture)
    for td in results:
        assert set(td) == set(cap_t), (td["ElementName"], set(td) ^ set(cap_t))
        for key, value in td.items():
            assert jtype(value) in cap_t[key], (td["ElementName"], key, value)
        for attr in td["Attributes"]:
            where = f"{td['ElementName']}.{attr['ElementName']}"
            assert set(attr) == set(cap_a), (where, set(attr) ^ set(cap_a))
            for key, value in attr.items():
                assert jtype(value) in cap_a[key], (where, key, value)
            assert re.fullmatch(rf".*{API}/attributedefinition/-?\d+", attr["_ref"]), attr["_ref"]
            if isinstance(attr["AllowedValues"], list):
                for item in attr["AllowedValues"]:
                    assert set(item) == {"ObjectID", "StringValue", "_ref", "_type"}, (where, item)
                    assert item["ObjectID"] is None and item["_ref"] == "null"
                    assert item["_type"] == "AllowedAttributeValue" and isinstance(item["StringValue"], str)
            else:
                assert attr["AllowedValues"]["_type"] == "AllowedAttributeValue"
                assert attr["AllowedValues"]["_ref"].endswith(f"/attributedefinition/{attr['_ref'].rsplit('/', 1)[1]}/AllowedValues")


def test_schema_capture_types_and_attributes_present(schema_body) -> None:
    """Every type in the excerpt exists with (at least) the captured attributes and their types;
    PortfolioItem types are there too (the capture predates them)."""
    capture = load_capture("schemaSuccess.excerpt.json")["QueryResult"]["Results"]
    ours = {td["TypePath"]: td for td in schema_body["QueryResult"]["Results"]}
    for td in capture:
        if td["ElementName"] == "WritableProject":
            continue  # an internal abstract helper type of that subscription
        mine = ours[td["TypePath"]]
        for flag in ("Abstract", "Creatable", "Queryable", "Deletable", "IDPrefix"):
            assert mine[flag] == td[flag], (td["TypePath"], flag)
        by_name = {a["ElementName"]: a for a in mine["Attributes"]}
        for attr in td["Attributes"]:
            assert attr["ElementName"] in by_name, (td["TypePath"], attr["ElementName"])
            assert by_name[attr["ElementName"]]["AttributeType"] == attr["AttributeType"], attr["ElementName"]
    for path in ("PortfolioItem/Feature", "PortfolioItem/Initiative", "PortfolioItem/Theme"):
        assert ours[path]["ElementName"] == path.split("/")[1]
    state = {a["ElementName"]: a for a in ours["HierarchicalRequirement"]["Attributes"]}["ScheduleState"]
    assert [v["StringValue"] for v in state["AllowedValues"]][:4] == ["Defined", "In-Progress", "Completed", "Accepted"] \
        or "Defined" in [v["StringValue"] for v in state["AllowedValues"]]
