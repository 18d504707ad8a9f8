"""Reading an attribute Rally cannot have costs no request (issue 10).

An attribute that was in the fetch list and came back absent, or that the type's schema does
not have, raises upstream's AttributeError (so ``getattr(item, name, None)`` is None) without
a lazy read.  Attributes the schema has but the fetch list left out still load lazily (one GET)
with ``Rally``; ``AsyncRally`` does no hidden I/O and raises AttributeNotLoadedError instead.
Tests taking ``connect_both`` run against both clients (tests/client/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from async_portal import SyncView

from pyral.errors import AttributeNotLoadedError


@pytest.fixture
def tasks(connect: Any) -> None:
    rally, _ = connect()
    story = rally.create("Story", {"Name": "owner of tasks"})
    assert not rally.createMultiple("Task", [{"Name": f"t{i}", "WorkProduct": story.ref}
                                             for i in range(20)]).failures


def _object_reads(sent: Any, before: int) -> list[str]:
    return [line for line in sent.lines()[before:] if line.startswith("GET task/")]


def test_a_fetched_attribute_that_came_back_absent_costs_nothing(connect_both: Any, tasks: None) -> None:
    rally, sent = connect_both()
    items = list(rally.get("Task", fetch="FormattedID,Name,Owner,PortfolioItem", pagesize=200, limit=20))
    before = len(sent.sent)
    assert [getattr(t, "PortfolioItem", None) for t in items] == [None] * 20
    with pytest.raises(AttributeError, match="Task instance has no attribute: 'PortfolioItem'"):
        _ = items[0].PortfolioItem
    assert sent.lines()[before:] == []
    assert len(items) == 20 and all(t.Owner is None for t in items)  # fetched and null: present


def test_an_attribute_the_schema_lacks_costs_at_most_the_schema_once(connect: Any, tasks: None) -> None:
    rally, sent = connect()
    items = list(rally.get("Task", fetch="FormattedID,Name", pagesize=200))
    before = len(sent.sent)
    assert [getattr(t, "PortfolioItem", None) for t in items] == [None] * 20
    assert [getattr(t, "Colour", "none") for t in items] == ["none"] * 20
    lines = sent.lines()[before:]
    assert len(lines) == 1 and lines[0].startswith("GET ") and "schema" in str(sent.sent[-1].url)
    shells = list(rally.get("Task", pagesize=200))  # fetch=False: upstream's shells
    before = len(sent.sent)
    assert all(getattr(t, "PortfolioItem", None) is None for t in shells)
    assert sent.lines()[before:] == []  # the schema is cached per instance


def test_an_attribute_the_schema_has_still_loads_lazily(connect_both: Any, tasks: None) -> None:
    rally, sent = connect_both()
    rally.typedef("Task")  # schema loaded up front, so only object reads remain below
    items = list(rally.get("Task", fetch="FormattedID", pagesize=200, order="FormattedID"))
    before = len(sent.sent)
    if isinstance(rally, SyncView):  # AsyncRally: no hidden I/O, the caller awaits the load
        with pytest.raises(AttributeNotLoadedError, match=r'Task\.State is not loaded .*await item\.load\("State"\)'):
            _ = items[0].State
        assert len(sent.sent) == before
        for item in items[:2]:
            assert rally.run(item.load()) is item
    assert items[0].State == "Defined" and items[1].Blocked is False
    assert len(_object_reads(sent, before)) == 2 and len(sent.sent) == before + 2
    assert items[0].Blocked is False and items[1].State == "Defined"
    assert len(sent.sent) == before + 2  # each read filled every attribute


def test_a_story_without_a_feature_has_portfolio_item_none(connect_both: Any, tasks: None) -> None:
    rally, sent = connect_both()
    story = rally.get("Story", fetch="Name,PortfolioItem", instance=True)
    before = len(sent.sent)
    assert story.PortfolioItem is None and getattr(story, "WorkProduct", "no") == "no"
    assert len(sent.sent) <= before + 1  # at most the schema, never the story again
    assert not _object_reads(sent, before)
