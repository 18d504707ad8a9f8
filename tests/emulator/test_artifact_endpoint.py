"""``/artifact``: one query over several artifact types (wsapi-more.md §4).

Real clients send ``types=hierarchicalrequirement,defect,defectsuite,testset`` with
``order=DragAndDropRank ASC,ObjectID``, and ``types=PortfolioItem/Feature`` (also encoded);
``TotalResultCount`` and paging are over the union; rows keep their concrete ``_type``.
"""

from __future__ import annotations

import pytest
from wsapi_client import Wsapi


@pytest.fixture
def mixed(wsapi: Wsapi) -> dict[str, list[str]]:
    made: dict[str, list[str]] = {"HierarchicalRequirement": [], "Defect": [], "TestSet": [],
                                  "PortfolioItem/Feature": []}
    for i in range(2):
        made["HierarchicalRequirement"].append(wsapi.create("hierarchicalrequirement", {"Name": f"s{i}"})["_ref"])
    for i in range(3):
        made["Defect"].append(wsapi.create("defect", {"Name": f"d{i}"})["_ref"])
    made["TestSet"].append(wsapi.create("testset", {"Name": "ts"})["_ref"])
    made["PortfolioItem/Feature"].append(wsapi.create("portfolioitem/feature", {"Name": "f"})["_ref"])
    wsapi.create("task", {"Name": "t", "WorkProduct": made["HierarchicalRequirement"][0]})
    return made


def test_types_limits_results_and_total(wsapi: Wsapi, mixed: dict[str, list[str]]) -> None:
    qr = wsapi.query("artifact", types="defect", fetch="Name")
    assert qr["TotalResultCount"] == 3
    assert {r["_type"] for r in qr["Results"]} == {"Defect"}
    qr = wsapi.query("artifact", types="hierarchicalrequirement,defect", fetch="Name", pagesize=2)
    assert qr["TotalResultCount"] == 5 and len(qr["Results"]) == 2
    names = [r["Name"] for start in (1, 3, 5)
             for r in wsapi.rows("artifact", types="hierarchicalrequirement,defect", fetch="Name",
                                 pagesize=2, start=start)]
    assert sorted(names) == ["d0", "d1", "d2", "s0", "s1"]
    # without types: every artifact type (stories, defects, test set, feature, task)
    assert wsapi.query("artifact", fetch="Name")["TotalResultCount"] == 8


@pytest.mark.parametrize("types", ["PortfolioItem/Feature", "portfolioitem/feature", "PORTFOLIOITEM/FEATURE"])
def test_portfolio_item_sub_type(wsapi: Wsapi, mixed: dict[str, list[str]], types: str) -> None:
    qr = wsapi.query("artifact", types=types, fetch="FormattedID")
    assert [r["_ref"] for r in qr["Results"]] == mixed["PortfolioItem/Feature"]
    assert qr["Results"][0]["_type"] == "PortfolioItem/Feature"


def test_order_by_drag_and_drop_rank(wsapi: Wsapi, mixed: dict[str, list[str]]) -> None:
    last_story = mixed["HierarchicalRequirement"][1]
    first_defect = mixed["Defect"][0]
    wsapi.update(last_story, {"Name": "s1"}, rankAbove=first_defect)
    rows = wsapi.rows("artifact", types="hierarchicalrequirement,defect,defectsuite,testset",
                      order="DragAndDropRank ASC,ObjectID", fetch="DragAndDropRank,Name")
    assert [r["Name"] for r in rows] == ["s0", "s1", "d0", "d1", "d2", "ts"]
    ranks = [r["DragAndDropRank"] for r in rows]
    assert ranks == sorted(ranks)
    # and by a common attribute with a query over the union
    rows = wsapi.rows("artifact", types="hierarchicalrequirement,defect", query='(Name contains "1")',
                      order="FormattedID DESC", fetch="Name")
    assert [r["Name"] for r in rows] == ["s1", "d1"] or [r["Name"] for r in rows] == ["d1", "s1"]


@pytest.mark.parametrize(("types", "error"), [
    ("defect,bogus", 'Requested type name "bogus" is unknown.'),
    ("user", "Could not parse: User is not a type of Artifact"),
])
def test_bad_types_are_refused(wsapi: Wsapi, mixed: dict[str, list[str]], types: str, error: str) -> None:
    qr = wsapi.query("artifact", types=types)
    assert qr["Errors"] == [error] and qr["Results"] == []


def test_sort_key_missing_on_one_listed_type_is_refused(wsapi: Wsapi, mixed: dict[str, list[str]]) -> None:
    # Severity is a Defect attribute; stories lack it
    qr = wsapi.query("artifact", types="hierarchicalrequirement,defect", order="Severity")
    assert qr["Errors"] == ["Cannot sort using unknown attribute Severity"]
    assert wsapi.query("artifact", types="defect", order="Severity")["Errors"] == []
