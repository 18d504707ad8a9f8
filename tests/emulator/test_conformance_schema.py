"""Conformance with Rally's own type descriptions, one test per type so a gap shows up by name.

Sources: the real 2015 workspace schema capture and Rally's 2025 OpenAPI description (see
``conformance.py``).  For every type: a full fetch of an instance returns every attribute the
source has, each value fits its AttributeType, references and collections have the real shapes
(``getSuccess.json``), and every read-only attribute is computed on the demo data or listed with
its reason in docs/emulator.md.  Types nobody can make are listed there too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance import NO_INSTANCE, Instances, capture_types, openapi_types, value_fits
from wsapi_client import Wsapi, load_capture

from pyral.emulator import Emulator

CAPTURE = capture_types()
OPENAPI = openapi_types()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


@pytest.fixture(scope="module")
def instances(demo_emulator: Emulator) -> Iterator[Instances]:
    """The demo data plus one made object of each type it lacks (the store is reset afterwards)."""
    demo_emulator.reset()
    api = Wsapi(demo_emulator)
    yield Instances(api)
    api.close()
    demo_emulator.reset()


def not_emulated_section() -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("## Conformance")
    end = text.find("\n## ", start + 3)
    return text[start:end if end > 0 else len(text)]


def check_full_fetch(instances: Instances, name: str, attrs: list[tuple[str, str, str]]) -> None:
    obj = instances.get(name)
    if name in NO_INSTANCE:
        assert obj is None, f"{name} now has instances: check it and take it off NO_INSTANCE"
        assert f"`{name}`" in not_emulated_section(), f"{name} has no instance and is not listed in docs/emulator.md"
        return
    assert obj is not None, f"no instance of {name} could be found or created"
    missing = sorted(a for a, _, _ in attrs if a not in obj)
    assert not missing, f"{name}: a full fetch lacks {missing}"
    wrong = sorted(f"{a} ({t}: {obj[a]!r:.60})" for a, t, st in attrs if not value_fits(t, obj[a], st))
    assert not wrong, f"{name}: values that do not fit their AttributeType: {wrong}"


@pytest.mark.parametrize("name", sorted(CAPTURE))
def test_full_fetch_matches_the_schema_capture(instances: Instances, name: str) -> None:
    attrs = [(a["ElementName"], a["AttributeType"], a["SchemaType"]) for a in CAPTURE[name]["Attributes"]
             if not a["Hidden"]]
    check_full_fetch(instances, name, attrs)


@pytest.mark.parametrize("name", sorted(OPENAPI))
def test_full_fetch_matches_the_2025_description(instances: Instances, name: str) -> None:
    element = {"Feature": "PortfolioItem/Feature", "Epic": "PortfolioItem/Epic"}.get(name, name)
    attrs = [(a["ElementName"], a["AttributeType"], "string" if a["ElementName"] == "FormattedID" else "")
             for a in OPENAPI[name]["Attributes"] if a["ElementName"] not in ("FlowState", "FlowStateChangedDate")]
    if name == "PortfolioItem":
        element = "PortfolioItem/Feature"  # the abstract type: checked on its first level
    check_full_fetch(instances, element.split("/")[-1] if element.startswith("PortfolioItem/") else element, attrs)


def shape_keys(value: dict[str, Any]) -> set[str]:
    return {k for k in value if k.startswith("_") or k == "Count"}


@pytest.mark.parametrize("name", sorted(CAPTURE))
def test_references_and_collections_have_the_real_shapes(instances: Instances, name: str) -> None:
    """Nested refs carry the capture's keys (``_refObjectName`` only where the target has a name);
    collections are a ref, a ``_type`` and a ``Count``, never inline members."""
    real = load_capture("getSuccess.json")["Workspace"]
    ref_keys = shape_keys(real["Subscription"])
    nameless_keys = shape_keys(real["RevisionHistory"])
    coll_keys = shape_keys(real["Projects"])
    bad: list[str] = []
    obj = instances.get(name)
    if obj is not None:
        for attr, value in obj.items():
            if not isinstance(value, dict) or "_ref" not in value:
                continue
            keys = shape_keys(value)
            if "Count" in value:
                if not coll_keys <= keys or set(value) - coll_keys - {"_tagsNameArray"}:
                    bad.append(f"{name}.{attr} collection {sorted(value)}")
            elif keys not in (ref_keys, nameless_keys) and set(value) - keys == set():
                bad.append(f"{name}.{attr} ref {sorted(keys)}")
    assert not bad, bad


def read_only_attributes() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, t in CAPTURE.items():
        out.setdefault(name, set()).update(a["ElementName"] for a in t["Attributes"]
                                           if a["ReadOnly"] and a["AttributeType"] != "COLLECTION")
    for name, t in OPENAPI.items():
        out.setdefault(name, set()).update(a["ElementName"] for a in t["Attributes"]
                                           if a["ReadOnly"] and a["AttributeType"] != "COLLECTION"
                                           and a["ElementName"] not in ("FlowState", "FlowStateChangedDate"))
    return out


def never_computed(api: Wsapi, instances: Instances, name: str, attrs: set[str]) -> set[str]:
    """The attributes that are null on every object of the type (a page of 200 of the demo data)."""
    if instances.get(name) is None:
        return set()
    path = instances.path(name)
    body = api.get(path, fetch=",".join(sorted(attrs)), pagesize=200)
    (key, inner), = body.items()
    rows = inner["Results"] if key == "QueryResult" else [inner]
    if key == "QueryResult" and inner.get("Errors"):
        rows = [instances.get(name)]
    return {a for a in attrs if all(r.get(a) is None for r in rows if r is not None)}


def test_every_read_only_attribute_is_computed_or_listed(instances: Instances) -> None:
    listed = set(re.findall(r"`(\w+\.\w+)`", not_emulated_section()))
    gaps, checked = [], set()
    for name, attrs in sorted(read_only_attributes().items()):
        if name in NO_INSTANCE or name == "PortfolioItem":
            continue
        checked.update(f"{name}.{a}" for a in attrs)
        gaps.extend(f"{name}.{a}" for a in sorted(never_computed(instances.api, instances, name, attrs)))
    unlisted = [g for g in gaps if g not in listed]
    assert not unlisted, f"read-only attributes never computed and not listed in docs/emulator.md: {json.dumps(unlisted)}"
    stale = sorted((listed & checked) - set(gaps))
    assert not stale, f"listed in docs/emulator.md as not computed, but computed: {stale}"


def empty_by_type(atype: str, allowed: list[str] | None) -> Any:
    """wsapi-more.md §7: TEXT "", drop-downs their own empty value, booleans false, the rest null."""
    if atype == "TEXT":
        return ""
    if atype == "RATING":
        return "None"
    if atype == "STRING" and allowed and "" in allowed:
        return ""
    if atype == "BOOLEAN":
        return False
    return None


# Filled by Rally when the object is made (not unset), besides every RevisionHistory: docs/emulator.md.
FILLED_ON_CREATE = {("Workspace", "Owner")}


# A generic create from the required attributes cannot make these: a custom field needs an AttributeType
# of the custom kinds, and a value needs a custom attribute (built-in value lists are read-only).
NO_GENERIC_CREATE = {"AttributeDefinition", "AllowedAttributeValue"}


def unset_cases() -> list[Any]:
    out = []
    for source, types in (("capture", CAPTURE), ("2025", OPENAPI)):
        for name, t in sorted(types.items()):
            if t.get("Creatable", "create" in t.get("Operations", [])) and name not in NO_GENERIC_CREATE | {"PortfolioItem"}:
                out.append(pytest.param(source, name, id=f"{source}-{name}"))
    return out


@pytest.mark.parametrize(("source", "name"), unset_cases())
def test_unset_values_are_what_rally_returns_for_the_type(instances: Instances, source: str, name: str) -> None:
    """A new object's attributes that nobody set read as Rally's empty value for their type."""
    from pyral.emulator.catalog import catalog

    element = {"Feature": "PortfolioItem/Feature", "Epic": "PortfolioItem/Epic"}.get(name, name)
    tdef = catalog().get(element)
    assert tdef is not None, name
    obj, given = instances.fresh(name.split("/")[-1])
    if obj is None:
        assert name in NO_INSTANCE or name in ("Revision", "RecycleBinEntry"), f"{name} could not be created"
        return
    raw = (CAPTURE if source == "capture" else OPENAPI)[name]["Attributes"]
    real = {a["ElementName"]: a for a in CAPTURE.get(name, {"Attributes": []})["Attributes"]}
    defaults = catalog().defaults(tdef)
    wrong = []
    for a in raw:
        attr = tdef.attr(a["ElementName"])
        if (attr is None or attr.read_only or a.get("ReadOnly") or a.get("Hidden") or a["ElementName"] in given
                or a["ElementName"] in defaults or a["AttributeType"] == "COLLECTION"
                or a["ElementName"] in ("FlowState", "FlowStateChangedDate", "Project", "Workspace", "Subscription")):
            continue
        if (name, a["ElementName"]) in FILLED_ON_CREATE or a["ElementName"] == "RevisionHistory":
            continue
        a = real.get(a["ElementName"], a)  # the real capture wins over the description
        want = empty_by_type(a["AttributeType"], a["AllowedValues"])
        if obj.get(a["ElementName"]) != want:
            wrong.append(f"{a['ElementName']} ({a['AttributeType']}): {obj.get(a['ElementName'])!r} not {want!r}")
    assert not wrong, f"{name}: {wrong}"
