"""Built-in allowed values and query operators, listed and read like stored objects.

Sources: the 2015 workspace schema capture (``data/rally_schema.json``, from schemaSuccess.json)
says AllowedAttributeValue and AllowedQueryOperator are not Queryable, and Rally's 2025 OpenAPI
description (``data/rally_openapi.json``) gives ``allowedattributevalue`` create, read, update
and delete but no query; values are listed through ``attributedefinition/<oid>/AllowedValues``
(KB-57584, wsapi-protocol.md).  So ``GET /allowedattributevalue`` is refused, and the collection
and the read by ref agree on every ObjectID and ref and honour query, order, paging, fetch and
compact as they do for a custom attribute's stored values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from wsapi_client import Wsapi, oid_of

DATA = Path(__file__).parents[2] / "src" / "pyral" / "emulator" / "data"


@pytest.fixture
def custom(wsapi: Wsapi) -> dict:
    td = wsapi.typedef("Defect")
    return wsapi.create("attributedefinition", {"Name": "Impact", "AttributeType": "STRING",
                                                "TypeDefinition": f"/typedefinition/{td['ObjectID']}",
                                                "AllowedValues": ["Low", "High"]})


def test_the_sources_say_the_types_are_not_queryable(wsapi: Wsapi) -> None:
    schema = {t["ElementName"]: t for t in json.loads((DATA / "rally_schema.json").read_text())["types"]}
    described = {t["ElementName"]: t for t in json.loads((DATA / "rally_openapi.json").read_text())["types"]}
    for name in ("AllowedAttributeValue", "AllowedQueryOperator"):
        assert schema[name]["Queryable"] is False
        assert "query" not in described[name]["Operations"] and "read" in described[name]["Operations"]
        typedef = wsapi.rows("typedefinition", query=f'(ElementName = "{name}")', fetch="Queryable")[0]
        assert typedef["Queryable"] is False
        before = wsapi.fingerprint()
        for params in ({}, {"query": '(StringValue = "Major Problem")'}, {"start": "2", "pagesize": "1"}):
            refused = wsapi.query(name.lower(), **params)
            assert refused["Errors"] == [f"Cannot query objects of type {name}"] and refused["Results"] == []
        assert wsapi.fingerprint() == before


def test_collection_and_read_by_ref_agree_for_every_built_in_value(wsapi: Wsapi) -> None:
    for element in ("Severity", "Priority", "State", "ScheduleState", "Environment"):
        attr = wsapi.attribute("Defect", element)
        listed = wsapi.rows(attr["AllowedValues"]["_ref"], fetch="true", pagesize=200)
        assert len(listed) == attr["AllowedValues"]["Count"] > 1
        assert [v["ValueIndex"] for v in listed] == list(range(len(listed)))
        for value in listed:
            read = wsapi.read(value["_ref"], fetch="true")
            assert read["ObjectID"] == value["ObjectID"] == oid_of(value["_ref"]) < 0
            assert {k: v for k, v in value.items() if k != "_type"} == {
                k: v for k, v in read.items() if k not in ("Errors", "Warnings")}
            assert read["AttributeDefinition"]["_ref"] == attr["_ref"]
        # the bare form (fetch=false) carries the same refs
        bare = wsapi.rows(attr["AllowedValues"]["_ref"], fetch="false", pagesize=200)
        assert [b["_ref"] for b in bare] == [v["_ref"] for v in listed]
        assert all("StringValue" not in b and "_objectVersion" not in b for b in bare)


def test_query_order_paging_and_fetch_on_built_in_values(wsapi: Wsapi) -> None:
    ref = wsapi.attribute("Defect", "Severity")["AllowedValues"]["_ref"]
    everything = [v["StringValue"] for v in wsapi.rows(ref, pagesize=200)]
    assert everything[0] == "None" and "Major Problem" in everything
    hits = wsapi.query(ref, query='(StringValue contains "problem")', fetch="StringValue,ValueIndex")
    assert hits["TotalResultCount"] == len([v for v in everything if "problem" in v.lower()]) >= 2
    assert all(set(r) == {"_rallyAPIMajor", "_rallyAPIMinor", "_ref", "_refObjectUUID", "_objectVersion",
                          "_refObjectName", "StringValue", "ValueIndex", "_type"} for r in hits["Results"])
    ordered = wsapi.rows(ref, order="StringValue desc", fetch="StringValue", pagesize=200)
    assert [r["StringValue"] for r in ordered] == sorted(everything, reverse=True)
    page = wsapi.query(ref, start="2", pagesize="2", fetch="StringValue")
    assert page["TotalResultCount"] == len(everything) and page["StartIndex"] == 2
    assert [r["StringValue"] for r in page["Results"]] == everything[1:3]
    ors = wsapi.rows(ref, query='((ValueIndex = 0) OR (ValueIndex >= 3))', fetch="ValueIndex", pagesize=200)
    assert [r["ValueIndex"] for r in ors] == [0, *range(3, len(everything))]
    one = wsapi.read(ordered[0]["_ref"], fetch="StringValue")
    assert set(one) - {"Errors", "Warnings"} == {"_rallyAPIMajor", "_rallyAPIMinor", "_ref", "_refObjectUUID",
                                                 "_objectVersion", "_refObjectName", "StringValue"}
    compact = wsapi.query(ref, fetch="StringValue,AttributeDefinition", compact="true", pagesize="1")
    assert "_rallyAPIMajor" not in compact
    row = compact["Results"][0]
    assert row["_ref"].startswith("/allowedattributevalue/-") and "_objectVersion" not in row
    assert row["AttributeDefinition"]["_ref"].startswith("/attributedefinition/-")


def test_built_in_and_custom_values_have_one_shape(wsapi: Wsapi, custom: dict) -> None:
    builtin = wsapi.attribute("Defect", "Severity")["AllowedValues"]["_ref"]
    stored = f"attributedefinition/{custom['ObjectID']}/AllowedValues"
    for params in ({}, {"fetch": "StringValue"}, {"fetch": "false"}, {"fetch": "StringValue", "compact": "true"}):
        mine, theirs = wsapi.rows(builtin, **params)[0], wsapi.rows(stored, **params)[0]
        assert set(mine) == set(theirs), params
    assert wsapi.rows(stored, query='(StringValue = "High")')[0]["ObjectID"] > 0


def test_query_operators_of_built_in_and_custom_attributes(wsapi: Wsapi, custom: dict) -> None:
    for attr in (wsapi.attribute("Defect", "Severity"), wsapi.read(custom["_ref"], fetch="true")):
        ops = wsapi.rows(attr["AllowedQueryOperators"]["_ref"], fetch="OperatorName", pagesize=200)
        assert len(ops) == attr["AllowedQueryOperators"]["Count"] and ops[0]["OperatorName"] == "="
        for op in ops:
            assert wsapi.read(op["_ref"])["OperatorName"] == op["OperatorName"]
        assert [o["OperatorName"] for o in wsapi.rows(attr["AllowedQueryOperators"]["_ref"],
                                                      query='(OperatorName contains "=")', order="OperatorName")
                ] == sorted(o["OperatorName"] for o in ops if "=" in o["OperatorName"])


def test_bad_input_is_refused_and_changes_nothing(wsapi: Wsapi, custom: dict) -> None:
    attr = wsapi.attribute("Defect", "Severity")
    ref = attr["AllowedValues"]["_ref"]
    values = wsapi.rows(ref, pagesize=200)
    before = wsapi.fingerprint()
    bad = wsapi.query(ref, query='(Bogus = "x")')
    assert bad["Errors"] == ['Could not parse: Could not find attribute "Bogus" on type AllowedAttributeValue'
                             ' in the query segment "Bogus"'] and bad["Results"] == []
    # the same refusal as for a custom attribute's stored values
    assert wsapi.query(f"attributedefinition/{custom['ObjectID']}/AllowedValues",
                       query='(Bogus = "x")')["Errors"] == bad["Errors"]
    assert wsapi.query(ref, query="(StringValue = ")["Errors"][0].startswith("Could not parse")
    assert wsapi.query(ref, order="StringValue sideways")["Errors"] == [
        "Cannot sort using unknown sort direction sideways"]
    assert wsapi.query(ref, order="Bogus")["Errors"]
    missing = ["Cannot find object to read"]
    last = values[-1]["ObjectID"]
    for oid in (last - 1, last - 400, -999999999, 999999999, oid_of(values[0]["_ref"]) - 500):
        assert wsapi.get(f"allowedattributevalue/{oid}")["OperationResult"]["Errors"] == missing, oid
    # a value's OID read as an operator, and an operator's OID read as a value
    assert wsapi.get(f"allowedqueryoperator/{values[0]['ObjectID']}")["OperationResult"]["Errors"] == missing
    op = wsapi.rows(attr["AllowedQueryOperators"]["_ref"])[0]
    assert wsapi.get(f"allowedattributevalue/{op['ObjectID']}")["OperationResult"]["Errors"] == missing
    # a custom attribute's values are stored: no virtual value OIDs for it
    assert wsapi.get(f"allowedattributevalue/{-(custom['ObjectID'] * 1000 + 1)}")["OperationResult"][
        "Errors"] == missing
    for collection in ("attributedefinition/-999999/AllowedValues", "attributedefinition/999999999/AllowedValues",
                       "attributedefinition/-999999/AllowedQueryOperators"):
        assert wsapi.query(collection)["Errors"] == missing
    assert wsapi.fingerprint() == before


def test_a_custom_attribute_outside_the_callers_workspaces_is_not_found(wsapi: Wsapi, custom: dict) -> None:
    """Values and operators answer to their attribute's workspace (the access policy decides):
    a user with no role in it gets the missing-object text, and nothing changes."""
    wsapi.create("user", {"UserName": "outsider@example.com", "EmailAddress": "outsider@example.com"})
    key = "_key_outsider_000000000000000000"
    assert wsapi.request("PUT", "/emulator/users/outsider@example.com/credentials",
                         json={"api_key": key}).status_code == 200
    outsider = Wsapi(wsapi.emu, api_key=key)
    try:
        before = wsapi.fingerprint()
        for name in ("AllowedValues", "AllowedQueryOperators"):
            body = outsider.query(f"attributedefinition/{custom['ObjectID']}/{name}")
            assert body["Errors"] == ["Cannot find object to read"] and body["Results"] == []
        assert wsapi.rows(f"attributedefinition/{custom['ObjectID']}/AllowedValues")  # the admin still sees them
        assert wsapi.fingerprint() == before
    finally:
        outsider.close()
