"""Metadata reads and writes real clients found wrong (issue 9).

* ``typedefinition/<oid>/Attributes?query=(Name = "Schedule State")`` filters (a pydantic-typed
  Python client looks attributes up by name this way).
* In WSAPI v2.0 ``AllowedValues`` (and ``AllowedQueryOperators``) are collection references with
  a ``Count`` (every collection in v2.0 is; wsapi-protocol.md); only the schema endpoint lists
  constrained values inline (the real schema capture).  Upstream pyral's hydration needs that
  shape (``KeyError: 'OperatorName'`` otherwise; see tests/upstream).
* An AllowedAttributeValue created through WSAPI belongs to its attribute: listed in
  ``AllowedValues`` with a real ref, updatable and deletable, and it constrains the field.
* ``POST project/<oid>/TypeDefinition/<oid>/ScopedAttributeDefinition/<oid>`` with
  ``{"ScopedAttributeDefinition": {"Hidden": ...}}`` (the same client's project visibility
  call) answers with a WSAPI envelope.
"""

from __future__ import annotations

import pytest
from wsapi_client import Wsapi, load_capture, oid_of, short


def _typedef(wsapi: Wsapi, path: str) -> dict:
    return wsapi.rows("typedefinition", query=f'(TypePath = "{path}")', fetch="ObjectID,Attributes")[0]


def test_typedef_attributes_honour_the_query(wsapi: Wsapi) -> None:
    td = _typedef(wsapi, "HierarchicalRequirement")
    everything = wsapi.query(f"typedefinition/{td['ObjectID']}/Attributes", pagesize=200)
    assert everything["TotalResultCount"] == td["Attributes"]["Count"] > 40
    qr = wsapi.query(f"typedefinition/{td['ObjectID']}/Attributes", query='(Name = "Schedule State")')
    assert qr["TotalResultCount"] == 1 and qr["Results"][0]["ElementName"] == "ScheduleState"
    qr = wsapi.query(f"typedefinition/{td['ObjectID']}/Attributes",
                     query='((AttributeType = "COLLECTION") AND (ReadOnly = true))', pagesize=200)
    assert qr["TotalResultCount"] >= 3
    assert all(r["AttributeType"] == "COLLECTION" and r["ReadOnly"] for r in qr["Results"])
    qr = wsapi.query(f"typedefinition/{td['ObjectID']}/Attributes", query='(ElementName contains "date")',
                     pagesize=200)
    assert {"CreationDate", "LastUpdateDate", "AcceptedDate"} <= {r["ElementName"] for r in qr["Results"]}
    bad = wsapi.query(f"typedefinition/{td['ObjectID']}/Attributes", query='(Bogus = "x")')
    assert bad["Errors"] == ['Could not parse: Could not find attribute "Bogus" on type AttributeDefinition'
                             ' in the query segment "Bogus"']


def test_allowed_values_are_collection_refs_with_count(wsapi: Wsapi) -> None:
    td = _typedef(wsapi, "HierarchicalRequirement")
    state = wsapi.rows(f"typedefinition/{td['ObjectID']}/Attributes", query='(ElementName = "ScheduleState")')[0]
    allowed = state["AllowedValues"]
    assert set(allowed) >= {"_ref", "_type", "Count"} and allowed["Count"] == 4
    assert allowed["_type"] == "AllowedAttributeValue"
    assert state["AllowedQueryOperators"]["Count"] > 0
    listed = wsapi.rows(allowed["_ref"])
    assert [v["StringValue"] for v in listed] == ["Defined", "In-Progress", "Completed", "Accepted"]
    # the schema endpoint keeps the captured inline form
    capture = load_capture("schemaSuccess.excerpt.json")
    captured = [a for t in capture["QueryResult"]["Results"] for a in t["Attributes"]
                if isinstance(a.get("AllowedValues"), list) and a["AllowedValues"]]
    ws = wsapi.default_workspace()
    schema = wsapi.get(f"/slm/schema/v2.0/workspace/{ws['ObjectID']}")["QueryResult"]["Results"]
    hr = next(t for t in schema if t["ElementName"] == "HierarchicalRequirement")
    inline = next(a for a in hr["Attributes"] if a["ElementName"] == "ScheduleState")["AllowedValues"]
    assert isinstance(inline, list) and set(inline[0]) == set(captured[0]["AllowedValues"][0])


@pytest.fixture
def dropdown(wsapi: Wsapi) -> dict:
    td = _typedef(wsapi, "Defect")
    return wsapi.create("attributedefinition", {"Name": "Impact", "AttributeType": "STRING",
                                                "TypeDefinition": f"/typedefinition/{td['ObjectID']}",
                                                "AllowedValues": ["Low"]})


def test_allowed_value_created_through_wsapi_is_attached(wsapi: Wsapi, dropdown: dict) -> None:
    values_ref = f"attributedefinition/{dropdown['ObjectID']}/AllowedValues"
    made = wsapi.create("allowedattributevalue", {"AttributeDefinition": dropdown["_ref"], "StringValue": "High"})
    assert made["ValueIndex"] == 1 and made["_ref"].endswith(f"/allowedattributevalue/{made['ObjectID']}")
    listed = wsapi.rows(values_ref)
    assert [(v["StringValue"], v["_ref"] != "null") for v in listed] == [("Low", True), ("High", True)]
    assert wsapi.read(f"attributedefinition/{dropdown['ObjectID']}")["AllowedValues"]["Count"] == 2
    # the field is now constrained to the list
    assert wsapi.create("defect", {"Name": "d", "c_Impact": "High"})["c_Impact"] == "High"
    refused = wsapi.create_raw("defect", {"Defect": {"Name": "d", "c_Impact": "Huge"}})
    assert refused["Errors"]
    # update and delete work on the value objects and the list follows
    wsapi.update(made["_ref"], {"StringValue": "Severe"})
    assert [v["StringValue"] for v in wsapi.rows(values_ref)] == ["Low", "Severe"]
    assert wsapi.delete(listed[0]["_ref"])["Errors"] == []
    assert [v["StringValue"] for v in wsapi.rows(values_ref)] == ["Severe"]
    assert wsapi.create_raw("defect", {"Defect": {"Name": "d", "c_Impact": "Low"}})["Errors"]


def test_bad_allowed_values_write_nothing(wsapi: Wsapi, dropdown: dict) -> None:
    td = _typedef(wsapi, "HierarchicalRequirement")
    state = wsapi.rows(f"typedefinition/{td['ObjectID']}/Attributes", query='(ElementName = "ScheduleState")',
                       fetch="ObjectID")[0]
    before = wsapi.fingerprint()
    builtin = wsapi.create_raw("allowedattributevalue", {"AllowedAttributeValue": {
        "AttributeDefinition": f"/attributedefinition/{oid_of(state['_ref'])}", "StringValue": "Idea"}})
    assert builtin["Errors"]
    duplicate = wsapi.create_raw("allowedattributevalue", {"AllowedAttributeValue": {
        "AttributeDefinition": dropdown["_ref"], "StringValue": "Low"}})
    assert duplicate["Errors"] and "Low" in duplicate["Errors"][0]
    assert wsapi.fingerprint() == before


def test_built_in_values_and_operators_are_readable_read_only_objects(wsapi: Wsapi) -> None:
    """Rally's built-in attributes and their values are objects with the schema capture's fields
    (schemaSuccess.json's AttributeDefinition/AllowedAttributeValue/AllowedQueryOperator types);
    built-in value lists cannot be changed (docs/emulator.md)."""
    td = _typedef(wsapi, "HierarchicalRequirement")
    state = wsapi.rows(f"typedefinition/{td['ObjectID']}/Attributes", query='(ElementName = "ScheduleState")',
                       fetch="true")[0]
    attr = wsapi.read(state["_ref"], fetch="true")
    assert attr["ObjectID"] == oid_of(state["_ref"]) < 0 and attr["Owned"] is False
    assert attr["SystemRequired"] is True and attr["RealAttributeType"] == "STATE"
    # one OID for the attribute in every type that has it (the capture: -41562 in Defect, DefectSuite, story)
    owner = wsapi.read(attr["TypeDefinition"]["_ref"], fetch="Attributes")
    assert [oid_of(a["_ref"]) for a in wsapi.rows(owner["Attributes"]["_ref"], query='(ElementName = "ScheduleState")')
            ] == [attr["ObjectID"]]
    assert attr["Subscription"]["_type"] == "Subscription"
    values = wsapi.rows(attr["AllowedValues"]["_ref"], fetch="true")
    assert [v["StringValue"] for v in values][:4] == ["Defined", "In-Progress", "Completed", "Accepted"][:len(values)]
    assert len({v["ObjectID"] for v in values}) == len(values) == attr["AllowedValues"]["Count"]
    second = wsapi.read(values[1]["_ref"], fetch="true")
    assert second["StringValue"] == values[1]["StringValue"] and second["ValueIndex"] == 1
    assert oid_of(second["AttributeDefinition"]["_ref"]) == attr["ObjectID"]
    ops = wsapi.rows(attr["AllowedQueryOperators"]["_ref"], fetch="true")
    assert wsapi.read(ops[0]["_ref"])["OperatorName"] == ops[0]["OperatorName"] == ops[0]["_refObjectName"]
    before = wsapi.fingerprint()
    assert wsapi.update_raw(second["_ref"], {"AllowedAttributeValue": {"StringValue": "Idea"}})["Errors"]
    assert wsapi.delete(second["_ref"])["Errors"]
    assert wsapi.fingerprint() == before
    assert wsapi.read(second["_ref"])["StringValue"] == values[1]["StringValue"]
    # an OID past the list, or an operator's OID read as a value, is no object
    gone = wsapi.get(f"allowedattributevalue/{second['ObjectID'] - 400}")
    assert gone["OperationResult"]["Errors"]
    assert wsapi.get(f"allowedattributevalue/{ops[0]['ObjectID']}")["OperationResult"]["Errors"]


def test_scoped_attribute_definition_answers_with_an_envelope(wsapi: Wsapi, dropdown: dict) -> None:
    project = wsapi.default_project()
    td = _typedef(wsapi, "Defect")
    path = f"{short(project['_ref'])}/TypeDefinition/{td['ObjectID']}/ScopedAttributeDefinition/{dropdown['ObjectID']}"
    read = wsapi.read(path)
    assert read["Hidden"] is False and read["Name"] == "Impact" and read["Custom"] is True
    result = wsapi.update_raw(path, {"ScopedAttributeDefinition": {"Hidden": True}})
    assert result["Errors"] == [] and result["Object"]["Hidden"] is True
    assert result["Object"]["_type"] == "ScopedAttributeDefinition"
    assert wsapi.read(path)["Hidden"] is True
    # visibility is per project
    other = wsapi.create("project", {"Name": "Other"})
    other_path = path.replace(short(project["_ref"]), short(other["_ref"]))
    assert wsapi.read(other_path)["Hidden"] is False
    bad = wsapi.update_raw(path, {"ScopedAttributeDefinition": {"Hidden": "maybe"}})
    assert bad["Errors"]
    missing = wsapi.get(path.replace(f"/{dropdown['ObjectID']}", "/999999"))
    assert missing["OperationResult"]["Errors"] == ["Cannot find object to read"]


def test_renamed_custom_attribute_is_found_by_its_new_name(wsapi: Wsapi, dropdown: dict) -> None:
    """A custom attribute's Name (its display name) is writable; the typedef's Attributes, the
    attribute's read and its project-scoped form show the new name, and the ElementName stays
    (rally-cli renames with ``update_attribute`` and finds attributes by ``(Name = "...")``)."""
    td = _typedef(wsapi, "Defect")
    renamed = wsapi.update(dropdown["_ref"], {"Name": "Blast Radius"})
    assert (renamed["Name"], renamed["ElementName"]) == ("Blast Radius", "c_Impact")
    attributes = f"typedefinition/{td['ObjectID']}/Attributes"
    found = wsapi.rows(attributes, query='(Name = "Blast Radius")')
    assert [(a["ElementName"], oid_of(a["_ref"])) for a in found] == [("c_Impact", dropdown["ObjectID"])]
    assert wsapi.rows(attributes, query='(Name = "Impact")') == []
    assert wsapi.read(dropdown["_ref"])["_refObjectName"] == "Blast Radius"
    path = (f"{short(wsapi.default_project()['_ref'])}/TypeDefinition/{td['ObjectID']}"
            f"/ScopedAttributeDefinition/{dropdown['ObjectID']}")
    assert wsapi.read(path)["Name"] == "Blast Radius"
    # the field keeps its element name and its values
    assert wsapi.create("defect", {"Name": "d", "c_Impact": "Low"})["c_Impact"] == "Low"
    # Hidden is read-only in WSAPI (Rally's OpenAPI description): ignored with a warning
    answer = wsapi.update_raw(dropdown["_ref"], {"AttributeDefinition": {"Hidden": True}})
    assert answer["Errors"] == [] and answer["Object"]["Hidden"] is False
    assert any("Hidden" in w for w in answer["Warnings"])
