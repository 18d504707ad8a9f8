"""Catalog objects (built-in allowed values, query operators, typedef Attributes) go through the
same renderer and the same query compiler as stored objects.

Each case runs twice: on a built-in attribute's values (catalog rows, no store) and on a custom
attribute holding the same values (stored AllowedAttributeValue rows, the artifact query path),
and must give the same answer.  The shapes where the two differed before they shared a path are
checked against Rally's captures (schemaSuccess.json; wsapi-more.md §3 for ``compact``).
"""

from __future__ import annotations

from typing import Any

import pytest
from wsapi_client import Wsapi, load_capture

from pyral.emulator.catalog import catalog

SEVERITY = ["None", "Crash/Data Loss", "Major Problem", "Minor Problem", "Cosmetic"]


@pytest.fixture
def pair(wsapi: Wsapi) -> tuple[str, str]:
    """(built-in Severity's AllowedValues, a custom attribute's with the same values) refs."""
    td = wsapi.typedef("Defect")
    custom = wsapi.create("attributedefinition", {"Name": "Gravity", "AttributeType": "STRING",
                                                  "TypeDefinition": f"/typedefinition/{td['ObjectID']}",
                                                  "AllowedValues": SEVERITY})
    builtin = wsapi.attribute("Defect", "Severity")["AllowedValues"]["_ref"]
    stored = f"attributedefinition/{custom['ObjectID']}/AllowedValues"
    assert [v["StringValue"] for v in wsapi.rows(builtin, pagesize=200)] == SEVERITY
    assert [v["StringValue"] for v in wsapi.rows(stored, pagesize=200)] == SEVERITY
    return builtin, stored


def _keys(value: Any, path: str = "") -> set[str]:
    """Every key path of a JSON value (list members as ``[]``)."""
    if isinstance(value, dict):
        return {f"{path}/{k}" for k in value} | {p for k, v in value.items() for p in _keys(v, f"{path}/{k}")}
    if isinstance(value, list):
        return {p for v in value for p in _keys(v, f"{path}[]")}
    return set()


# Operator semantics: every case must select the same values on both paths.
QUERIES = [
    '(StringValue = "Major Problem")',
    '(StringValue = "major problem")',  # = on strings is case-sensitive
    '(StringValue != "Major Problem")',
    '(StringValue contains "PROB")',  # contains is case-insensitive
    '(StringValue !contains "prob")',
    '(StringValue in "None","Cosmetic")',
    '(StringValue !in "None","Cosmetic")',
    '(StringValue = null)',
    '(StringValue != null)',
    '(StringValue > "M")',  # text order
    '(StringValue <= "Cosmetic")',
    '(ValueIndex > 2)',  # numbers by value
    '(ValueIndex > "2")',
    '(ValueIndex >= 10)',
    '(ValueIndex between 1 and 3)',
    '(ValueIndex !between 1 and 3)',
    '(ValueIndex in 0,4)',
    '(CreationDate > "2000-01-01")',  # dates
    '(CreationDate < today+1)',
    '(CreationDate > today+1)',
    '(CreationDate >= "2000-01-01T00:00:00.000Z")',
    '((ValueIndex = 0) OR (StringValue contains "problem"))',
    '((ValueIndex > 0) AND (StringValue !contains "problem"))',
    '(ObjectID != null)',
    '(AttributeDefinition != null)',
    '(AttributeDefinition = null)',
]


@pytest.mark.parametrize("query", QUERIES)
def test_an_operator_means_the_same_on_catalog_and_stored_values(wsapi: Wsapi, pair: tuple[str, str],
                                                                  query: str) -> None:
    builtin, stored = pair
    answers = []
    for ref in (builtin, stored):
        body = wsapi.query(ref, query=query, fetch="StringValue", pagesize="200")
        assert body["Errors"] == [], (ref, body["Errors"])
        answers.append([r["StringValue"] for r in body["Results"]])
    assert answers[0] == answers[1], query


def test_the_shared_cases_are_not_all_trivial(wsapi: Wsapi, pair: tuple[str, str]) -> None:
    """The cases above select different things: no query answers everything or nothing alike."""
    builtin, _ = pair
    answers = {q: tuple(r["StringValue"] for r in wsapi.rows(builtin, query=q, fetch="StringValue", pagesize=200))
               for q in QUERIES}
    assert answers['(StringValue contains "PROB")'] == ("Major Problem", "Minor Problem")
    assert answers['(StringValue = "major problem")'] == ()
    assert answers['(ValueIndex > "2")'] == ("Minor Problem", "Cosmetic")
    assert answers["(CreationDate < today+1)"] == tuple(SEVERITY)
    assert len(set(answers.values())) >= 10


@pytest.mark.parametrize("order", ["StringValue", "StringValue desc", "ValueIndex desc", "CreationDate",
                                   "ObjectID", "Rank"])
def test_order_means_the_same_on_catalog_and_stored_values(wsapi: Wsapi, pair: tuple[str, str], order: str) -> None:
    builtin, stored = pair
    mine, theirs = ([r["StringValue"] for r in wsapi.rows(ref, order=order, fetch="StringValue", pagesize=200)]
                    for ref in pair)
    if order.startswith("ObjectID"):  # virtual OIDs fall as the index rises; stored ones rise
        assert mine == SEVERITY[::-1] and theirs == SEVERITY
    else:
        assert mine == theirs, order


BAD_QUERIES = [
    ('(Bogus = "x")', 'Could not parse: Could not find attribute "Bogus" on type AllowedAttributeValue'
                      ' in the query segment "Bogus"'),
    ("(ValueIndex = abc)", 'Could not parse: Cannot convert "abc" into a number for attribute ValueIndex.'),
    ('(CreationDate > "garbage")', 'Could not parse: Cannot convert "garbage" into a date.  You must use the'
                                   " ISO8601 date+time format."),
    ('(AttributeDefinition contains "x")', 'Could not parse: Operator "contains" cannot be used with attribute'
                                           ' "AttributeDefinition" of type OBJECT in the query segment'
                                           ' "AttributeDefinition"'),
    ('(AttributeDefinition.Bogus = "x")', 'Could not parse: Could not find attribute "Bogus" on type'
                                          ' AttributeDefinition in the query segment "AttributeDefinition.Bogus"'),
    ("(StringValue = ", None),
]


@pytest.mark.parametrize(("query", "error"), BAD_QUERIES)
def test_a_bad_query_gets_the_same_refusal_on_both_and_changes_nothing(wsapi: Wsapi, pair: tuple[str, str],
                                                                       query: str, error: str | None) -> None:
    before = wsapi.fingerprint()
    refusals = []
    for ref in pair:
        body = wsapi.query(ref, query=query)
        assert body["Results"] == [] and len(body["Errors"]) == 1
        refusals.append(body["Errors"])
    assert refusals[0] == refusals[1]
    assert refusals[0][0] == error if error else refusals[0][0].startswith("Could not parse: ")
    for ref in pair:
        assert wsapi.query(ref, order="StringValue sideways")["Errors"] == [
            "Cannot sort using unknown sort direction sideways"]
        assert wsapi.query(ref, order="Bogus")["Errors"] == ["Cannot sort using unknown attribute Bogus"]
    assert wsapi.fingerprint() == before


FETCHES: list[dict[str, str]] = [
    {}, {"fetch": "true"}, {"fetch": "false"}, {"fetch": "StringValue"}, {"fetch": "StringValue,ValueIndex"},
    {"fetch": "StringValue,AttributeDefinition"}, {"fetch": "StringValue,AttributeDefinition,ElementName,Name"},
    {"fetch": "ObjectID,CreationDate,VersionId"}, {"fetch": "Bogus,Nonsense"}, {"shallowFetch": "AttributeDefinition,Name"},
]


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("permissions", [False, True])
@pytest.mark.parametrize("params", FETCHES)
def test_catalog_and_stored_values_have_one_shape(wsapi: Wsapi, pair: tuple[str, str], params: dict[str, str],
                                                  compact: bool, permissions: bool) -> None:
    """Every key, nested ones too, in the collection and in a read by ref."""
    extra = {**params, **({"compact": "true"} if compact else {}),
             **({"includePermissions": "true"} if permissions else {})}
    listed = [wsapi.query(ref, pagesize="3", **extra) for ref in pair]
    assert _keys(listed[0]) == _keys(listed[1])
    reads = [wsapi.get(body["Results"][0]["_ref"], **extra) for body in listed]
    assert _keys(reads[0]) == _keys(reads[1])
    assert not any("Bogus" in k or "Nonsense" in k for k in _keys(listed[0]))  # unknown names are ignored


def test_fetch_true_shows_exactly_the_types_visible_attributes(wsapi: Wsapi, pair: tuple[str, str]) -> None:
    """One rule (``render.Renderer._plan``) decides what ``fetch=true`` shows, hidden attributes
    excluded, for catalog and stored objects alike."""
    for ref, type_name in ((pair[0], "AllowedAttributeValue"), (pair[1], "AllowedAttributeValue")):
        shown = {k for k in wsapi.rows(ref, fetch="true")[0] if not k.startswith("_")}
        assert shown == {a.name for a in catalog().get(type_name).attrs if not a.hidden}
    ops = wsapi.attribute("Defect", "Severity")["AllowedQueryOperators"]["_ref"]
    shown = {k for k in wsapi.rows(ops, fetch="true")[0] if not k.startswith("_")}
    assert shown == {a.name for a in catalog().get("AllowedQueryOperator").attrs if not a.hidden}


def test_nested_references_follow_the_renderer_rules(wsapi: Wsapi, pair: tuple[str, str]) -> None:
    """Where the catalog path used to differ: a fetch list applies to the nested
    AttributeDefinition (as for stored values), ``compact`` reduces an object already emitted in
    the response to its ``_ref`` (wsapi-more.md §3), and the nested built-in AttributeDefinition
    is named as its own object is (schemaSuccess.json: lower camel case)."""
    builtin, _ = pair
    rows = wsapi.rows(builtin, fetch="StringValue,AttributeDefinition,ElementName,Name", pagesize=200)
    nested = rows[0]["AttributeDefinition"]
    assert nested["ElementName"] == "Severity" and nested["Name"] == "Severity" and "_objectVersion" in nested
    assert nested["_refObjectName"] == wsapi.attribute("Defect", "Severity")["_refObjectName"] == "severity"
    capture = load_capture("schemaSuccess.excerpt.json")["QueryResult"]["Results"]
    real = next(a for t in capture if t["ElementName"] == "Defect" for a in t["Attributes"]
                if a["ElementName"] == "ScheduleState")
    states = wsapi.attribute("Defect", "ScheduleState")["AllowedValues"]["_ref"]
    assert wsapi.rows(states, fetch="AttributeDefinition")[0]["AttributeDefinition"]["_refObjectName"] == (
        real["_refObjectName"]) == "scheduleState"
    compact = wsapi.query(builtin, fetch="StringValue,AttributeDefinition", compact="true", pagesize="3")["Results"]
    assert set(compact[0]["AttributeDefinition"]) == {"_ref", "_refObjectUUID", "_refObjectName", "_type"}
    assert [r["AttributeDefinition"] for r in compact[1:]] == [{"_ref": compact[0]["AttributeDefinition"]["_ref"]}] * 2
    marked = wsapi.rows(builtin, fetch="StringValue,AttributeDefinition", includePermissions="true")
    assert {r["_p"] for r in marked} == {"0"} and marked[0]["AttributeDefinition"]["_p"] == "0"  # read-only


def test_dotted_paths_reach_the_built_in_attribute(wsapi: Wsapi, pair: tuple[str, str]) -> None:
    builtin, stored = pair
    assert [r["StringValue"] for r in wsapi.rows(builtin, query='(AttributeDefinition.Name = "Severity")',
                                                  fetch="StringValue", pagesize=200)] == SEVERITY
    assert wsapi.rows(builtin, query='(AttributeDefinition.Name = "Gravity")') == []
    assert [r["StringValue"] for r in wsapi.rows(stored, query='(AttributeDefinition.Name = "Gravity")',
                                                  fetch="StringValue", pagesize=200)] == SEVERITY
    assert wsapi.rows(stored, query='(AttributeDefinition.Name = "Severity")') == []
    for ref in pair:  # two hops: value -> attribute -> its stored TypeDefinition
        assert len(wsapi.rows(ref, query='(AttributeDefinition.TypeDefinition.Name = "Defect")')) == len(SEVERITY)
        assert wsapi.rows(ref, query='(AttributeDefinition.TypeDefinition.Name = "Task")') == []
    for ref in pair:  # and the nested attribute renders its TypeDefinition as a reference
        nested = wsapi.rows(ref, fetch="AttributeDefinition,TypeDefinition")[0]["AttributeDefinition"]
        assert nested["TypeDefinition"]["_refObjectName"] == "Defect", ref


def test_typedef_attributes_take_the_compilers_query_and_order(wsapi: Wsapi) -> None:
    td = wsapi.typedef("Defect")
    ref = f"typedefinition/{td['ObjectID']}/Attributes"
    ratings = wsapi.rows(ref, query='(AttributeType = "RATING")', order="ElementName desc", pagesize=200)
    names = [a["ElementName"] for a in ratings]
    assert names == sorted(names, reverse=True) and "Severity" in names and "Priority" in names
    assert [a["ElementName"] for a in wsapi.rows(ref, query='(Name contains "SEVER")')] == ["Severity"]
    assert wsapi.rows(ref, query='(Name = "severity")') == []  # = is case-sensitive, as on stored rows
    everything = wsapi.rows(ref, pagesize=200)
    assert [a["ElementName"] for a in everything][:4] == ["CreationDate", "ObjectID", "ObjectUUID", "VersionId"]
    page = wsapi.query(ref, query="(Custom = false)", start="2", pagesize="2")
    assert page["TotalResultCount"] == len(everything) and [a["ElementName"] for a in page["Results"]] == [
        "ObjectID", "ObjectUUID"]
    assert len(wsapi.rows(ref, query='(TypeDefinition.Name = "Defect")', pagesize=200)) == len(everything)
    assert wsapi.rows(ref, query='(TypeDefinition.Name = "Task")') == []
    assert wsapi.rows(ref, query="(Subscription = null)") == []
    before = wsapi.fingerprint()
    assert wsapi.query(ref, query='(Bogus = "x")')["Errors"] == [
        'Could not parse: Could not find attribute "Bogus" on type AttributeDefinition in the query segment "Bogus"']
    assert wsapi.query(ref, query='(Custom contains "x")')["Errors"] == [
        'Could not parse: Operator "contains" cannot be used with attribute "Custom" of type BOOLEAN'
        ' in the query segment "Custom"']
    assert wsapi.query(ref, query="(MaxLength > many)")["Errors"] == [
        'Could not parse: Cannot convert "many" into a number for attribute MaxLength.']
    assert wsapi.query(ref, order="Sideways")["Errors"] == ["Cannot sort using unknown attribute Sideways"]
    assert wsapi.fingerprint() == before
