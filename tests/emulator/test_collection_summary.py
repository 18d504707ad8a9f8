"""``fetch=<Collection>:summary[...]`` (wsapi-more.md §2).

Sources: Rally's own parameter documentation (SPEC ``fetch`` description) for the syntax;
Rally-authored app code (APPCAT ``IterationSummaryApp.js``, RAPPS mobile task card and
MinimalPieChart specs) for the shape: a top-level ``Summary`` keyed by collection name with
``Count`` and ``{value: count}`` maps, combined groupings under a lower-cased ``a+b`` key with
``+``-joined values, booleans as ``"true"``/``"false"``, null as ``"-- No Entry --"``; the plain
collection field keeps its ``{_ref, _type, Count}`` shape alongside.
"""

from __future__ import annotations

import pytest
from wsapi_client import Wsapi


@pytest.fixture
def story(wsapi: Wsapi) -> dict:
    s = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    me = wsapi.read("user", fetch="ObjectID,DisplayName,UserName")
    for name, state, blocked, owner, estimate in (("a", "Defined", False, None, None),
                                                  ("b", "Completed", False, me["_ref"], 2),
                                                  ("c", "Completed", True, me["_ref"], 2),
                                                  ("d", "In-Progress", True, None, 1.5)):
        wsapi.create("task", {"Name": name, "WorkProduct": s["_ref"], "State": state, "Blocked": blocked,
                              "Owner": owner, "Estimate": estimate})
    wsapi.create("defect", {"Name": "d1", "Requirement": s["_ref"], "State": "Open"})
    s["me"] = me
    return s


def test_summary_counts_grouped_by_attributes(wsapi: Wsapi, story: dict) -> None:
    row = wsapi.rows("hierarchicalrequirement", fetch="Name,Tasks:summary[State;Blocked;Owner;Estimate]",
                     query='(Name = "s")')[0]
    tasks = row["Summary"]["Tasks"]
    assert tasks["Count"] == 4
    assert tasks["State"] == {"Defined": 1, "Completed": 2, "In-Progress": 1}
    assert tasks["Blocked"] == {"true": 2, "false": 2}
    me = story["me"]
    assert tasks["Owner"] == {me.get("DisplayName") or me["UserName"]: 2, "-- No Entry --": 2}
    assert tasks["Estimate"] == {"-- No Entry --": 1, "2.0": 2, "1.5": 1}
    # the plain collection field is there too, in its usual shape
    assert row["Tasks"]["Count"] == 4 and row["Tasks"]["_ref"].endswith("/Tasks")
    assert list(row)[-1] == "_type" and "Summary" in row


def test_combined_grouping_and_several_collections(wsapi: Wsapi, story: dict) -> None:
    row = wsapi.read(story["_ref"], fetch="Tasks:summary[State+Blocked;State],Defects:summary[State],Tasks")
    summary = row["Summary"]
    assert summary["Tasks"]["state+blocked"] == {"Defined+false": 1, "Completed+false": 1, "Completed+true": 1,
                                                 "In-Progress+true": 1}
    assert summary["Tasks"]["State"]["Completed"] == 2
    assert summary["Defects"] == {"Count": 1, "State": {"Open": 1}}
    # "+" must be sent as %2B; an unencoded "+" (a space once decoded) is read the same way
    for raw in ("State%2BBlocked", "State+Blocked"):
        body = wsapi.request("GET", f"{story['_ref']}?fetch=Tasks:summary[{raw}]").json()
        assert body["HierarchicalRequirement"]["Summary"]["Tasks"]["state+blocked"] == summary["Tasks"]["state+blocked"]


def test_plain_summary_is_a_count_and_other_fetches_are_unchanged(wsapi: Wsapi, story: dict) -> None:
    row = wsapi.rows("hierarchicalrequirement", fetch="Name,Tasks:summary", query='(Name = "s")')[0]
    assert row["Summary"] == {"Tasks": {"Count": 4}}
    plain = wsapi.rows("hierarchicalrequirement", fetch="Name,Tasks", query='(Name = "s")')[0]
    assert "Summary" not in plain
    # a row with an empty collection still has its summary
    empty = wsapi.create("hierarchicalrequirement", {"Name": "e"})
    row = wsapi.read(empty["_ref"], fetch="Tasks:summary[State]")
    assert row["Summary"] == {"Tasks": {"Count": 0, "State": {}}}


def test_link_collections_and_scalars(wsapi: Wsapi) -> None:
    tcs = [wsapi.create("testcase", {"Name": f"t{i}"}) for i in range(2)]
    wsapi.create("testcaseresult", {"TestCase": tcs[0]["_ref"], "Build": "1", "Verdict": "Pass",
                                    "Date": "2024-01-01T00:00:00.000Z"})
    test_set = wsapi.create("testset", {"Name": "ts", "TestCases": [t["_ref"] for t in tcs]})
    row = wsapi.read(test_set["_ref"], fetch="TestCases:summary[LastVerdict],Name:summary[Foo]")
    assert row["Summary"] == {"TestCases": {"Count": 2, "LastVerdict": {"Pass": 1, "-- No Entry --": 1}}}


@pytest.mark.parametrize(("fetch", "error"), [
    ("Tasks:summary[Bogus]", "Could not parse: Cannot summarize Tasks by unknown attribute Bogus"),
    ("Tasks:summary[Description]", "Could not parse: Task.Description cannot be used in a collection summary"),
])
def test_bad_grouping_is_refused(wsapi: Wsapi, story: dict, fetch: str, error: str) -> None:
    qr = wsapi.query("hierarchicalrequirement", fetch=fetch)
    assert qr["Errors"] == [error]
