"""Hydration's one-pass build of new entities against the general path (``cls(...)`` then ``fill``).

The fast path must give every new entity the same class, the same ``__dict__`` (keys, order and
values, nested entities included) and the same pending collections as filling a constructed
instance does; ``fill`` stays the path for existing instances (loads, upstream's hydrator).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyral.model import state
from pyral.model.entities import CustomField, Persistable, PortfolioItem, class_for_type
from pyral.model.hydration import Hydrator, _Plan, item_type
from pyral.protocol import oid_from_ref

BASE = "https://h/slm/webservice/v2.0/"


class GeneralPath(Hydrator):
    """Builds every entity the general way: construct it, then ``fill`` it."""

    def _make(self, item: dict[str, Any], depth: int, top: bool) -> Any:
        typ = item_type(item)
        if not typ:
            return CustomField(**{k: self._value(k, v, depth + 1) for k, v in item.items()
                                  if k not in ("_rallyAPIMajor", "_rallyAPIMinor", "_objectVersion", "Errors",
                                               "Warnings") and not k.startswith("_")})
        cls = class_for_type(typ)
        ref = item.get("_ref") or ""
        inst = cls(oid_from_ref(ref) if ref else item.get("ObjectID"), item.get("_refObjectName"), ref,
                   self.context, self.rally)
        inst.__dict__["_type"] = cls._type
        if isinstance(inst, PortfolioItem) and "/" in cls._type:
            inst.__dict__["typePath"] = cls._type
        self.fill(inst, item, depth)
        if top:
            inst.__dict__[state.HYDRATED] = self.hydrated
            inst.__dict__[state.COMPLETE] = self.complete
            if self.fetched:
                inst.__dict__[state.FETCHED] = self.fetched
        return inst


def shape(value: Any) -> Any:
    """Everything observable of a hydrated value: classes, keys in order, values, recursively."""
    if isinstance(value, Persistable | CustomField):
        return (type(value).__name__, [(k, shape(v)) for k, v in value.__dict__.items()])
    if isinstance(value, list):
        return ["list", *[shape(v) for v in value]]
    if isinstance(value, dict):
        return ("dict", [(k, shape(v)) for k, v in value.items()])
    return value


REFS = st.sampled_from([
    BASE + "hierarchicalrequirement/11", BASE + "PortfolioItem/Feature/12", "/defect/13", "task/14",
    BASE + "user/15?fetch=true", BASE + "iteration/16/", "null", "", "17", BASE + "portfolioitem/newkind/18",
    BASE + "hierarchicalrequirement/abc",
])
TYPES = st.sampled_from(["HierarchicalRequirement", "PortfolioItem/Feature", "PortfolioItem", "User", "Task",
                         "AllowedAttributeValue", "AllowedQueryOperator", "Brand_New_Type", ""])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=4))


def items(depth: int) -> Any:
    value = SCALARS if depth == 0 else st.one_of(
        SCALARS, items(depth - 1), st.lists(st.one_of(SCALARS, items(depth - 1)), max_size=3),
        st.fixed_dictionaries({"_ref": REFS, "Count": st.integers(0, 2)}),
        st.dictionaries(st.sampled_from(["a", "b", "Errors"]), SCALARS, max_size=2))
    return st.dictionaries(st.sampled_from(
        ["_type", "_ref", "_refObjectName", "Name", "ObjectID", "_rallyAPIMajor", "_objectVersion", "Errors",
         "Tasks", "RevisionHistory", "Owner", "Tags", "StringValue", "OperatorName", "_refObjectUUID", "Notes",
         "oid", "_lazy"]),
        value, max_size=8).map(lambda d: _typed(d))


def _typed(d: dict[str, Any]) -> dict[str, Any]:
    for key in ("_type", "_ref"):
        if key in d and not isinstance(d[key], str):
            d[key] = None if d[key] is None else str(d[key])
    return d


@given(st.lists(items(2), max_size=4), TYPES, REFS, st.booleans())
def test_new_entities_match_the_general_path(page: list[dict[str, Any]], typ: str, ref: str, top_complete: bool) -> None:
    page = [*page, {"_type": typ, "_ref": ref, "_refObjectName": "x", "Tasks": {"_ref": ref, "Count": 1}}]
    fast = Hydrator(None, complete=top_complete, hydrated=True, context="ctx", fetched=frozenset({"Name"}))
    general = GeneralPath(None, complete=top_complete, hydrated=True, context="ctx", fetched=frozenset({"Name"}))
    assert outcome(lambda: fast.make_page(page)) == outcome(lambda: [general.make(item) for item in page])


def outcome(build: Any) -> Any:
    """The shape of what ``build()`` makes, or the exception it raises (a type name no class can have)."""
    try:
        return shape(build())
    except ValueError as exc:
        return repr(exc)


def test_known_rows() -> None:
    row = {"_rallyAPIMajor": "2", "_ref": BASE + "portfolioitem/feature/7", "_refObjectName": "F",
           "_objectVersion": "3", "FormattedID": "F1", "Owner": {"_ref": BASE + "user/5", "_type": "User",
                                                               "_refObjectName": "Alice"},
           "UserStories": {"_ref": BASE + "PortfolioItem/Feature/7/UserStories", "Count": 2},
           "Tags": {"_ref": BASE + "PortfolioItem/Feature/7/Tags", "Count": 0},
           "Parent": None, "_type": "PortfolioItem/Feature"}
    hydrator = Hydrator(None, complete=False, hydrated=True)
    feature, text = hydrator.make_page([row, "not a dict"])
    assert type(feature).__name__ == "PortfolioItem_Feature" and feature.typePath == "PortfolioItem/Feature"
    assert feature.oid == 7 and feature.Name == "F" and feature.Tags == [] and feature.Parent is None
    assert feature.Owner.Name == "Alice" and feature.Owner.oid == 5 and text == "not a dict"
    assert state.pending(feature) == {"UserStories": row["UserStories"]["_ref"]}
    assert "_rallyAPIMajor" not in feature.__dict__ and not state.is_complete(feature)
    assert shape(feature) == shape(GeneralPath(None, complete=False, hydrated=True).make(row))


def test_a_class_with_its_own_constructor_is_built_by_it() -> None:
    class Built(Persistable):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.__dict__["made_by_init"] = True

    hydrator = Hydrator(None, complete=True, hydrated=True)
    hydrator._plans["Built"] = _Plan.of(Built)
    made = hydrator.make({"_type": "Built", "_ref": BASE + "built/3", "Name": "b"})
    assert isinstance(made, Built) and made.__dict__["made_by_init"] and made.oid == 3 and made.Name == "b"


def test_threads_share_one_hydrator() -> None:
    rows = [{"_type": t, "_ref": f"{BASE}{t.lower()}/{i}", "Name": str(i)}
            for i in range(300) for t in ("Defect", "Task", "Brand_New_Kind")]
    hydrator = Hydrator(None, complete=True, hydrated=True)
    out: list[list[Any]] = []
    threads = [threading.Thread(target=lambda: out.append(hydrator.make_page(rows))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(out) == 6 and all(shape(page) == shape(out[0]) for page in out)
    assert {type(e).__name__ for e in out[0]} == {"Defect", "Task", "Brand_New_Kind"}


@pytest.mark.parametrize("bad", [None, 5, "text", ["a"]])
def test_bad_input(bad: Any) -> None:
    hydrator = Hydrator(None, complete=True, hydrated=True)
    assert hydrator.make_page([bad]) == [bad]  # not an item: passed through as a query page does
    with pytest.raises(AttributeError):
        hydrator.make(bad)


def test_a_repeated_reference_is_built_as_the_first_was_and_apart_from_it() -> None:
    """References that come back on every row (a story's ``Owner``) are remembered per hydrator:
    each row still gets its own instance, ``__dict__`` and pending-collection dict, and an item
    that differs in any way (a value's type, a key's place, a nested value) is built afresh."""
    owner = {"_rallyAPIMajor": "2", "_ref": BASE + "user/5", "_refObjectName": "Alice", "_type": "User",
             "Score": 1, "Rate": 2.5}
    variants = [dict(owner), {**owner, "Score": True}, {**owner, "Score": 1.0}, {**owner, "Rate": 2},
                {"_ref": owner["_ref"], "_type": "User", "_refObjectName": "Alice", "Score": 1, "Rate": 2.5},
                {**owner, "Rate": 0.0}, {**owner, "Rate": -0.0}, {**owner, "Rate": float("nan")},
                {**owner, "Tags": {"_ref": BASE + "user/5/Tags", "Count": 1}}, {**owner, "Extra": [1]}, dict(owner),
                *[{"_ref": BASE + "user/6", "_type": "User", "_lazy": "x", "oid": "y"}] * 2]
    rows = [{"_type": "HierarchicalRequirement", "_ref": f"{BASE}hierarchicalrequirement/{i}", "Owner": v}
            for i, v in enumerate(variants)]
    fast = Hydrator(None, complete=False, hydrated=True).make_page(rows)
    general = [GeneralPath(None, complete=False, hydrated=True).make(row) for row in rows]
    assert repr(shape(fast)) == repr(shape(general))  # repr: -0.0 and 0.0, True and 1 differ
    first, last = fast[0].Owner, fast[-3].Owner
    assert first is not last and first.__dict__ is not last.__dict__
    assert first.__dict__[state.LAZY] is not last.__dict__[state.LAZY]
    first.Score = 99
    first.__dict__[state.LAZY]["Tasks"] = "x"
    assert last.Score == 1 and state.pending(last) == {} and fast[1].Owner.Score is True
    assert state.pending(fast[8].Owner) == {"Tags": BASE + "user/5/Tags"}
    assert fast[-1].Owner.__dict__[state.LAZY] == "x" and fast[-1].Owner.oid == "y"
