"""An entity's bookkeeping through :mod:`pyral.model.state` (no I/O, no client)."""

from __future__ import annotations

import pickle

import pytest

from pyral.model import state
from pyral.model.entities import Persistable
from pyral.model.hydration import Hydrator
from pyral.model.prefetch import PageGroup

STORY = {"_ref": "https://h/slm/webservice/v2.0/hierarchicalrequirement/7", "_type": "HierarchicalRequirement",
         "_refObjectName": "s", "Name": "s", "ScheduleState": "Defined",
         "Tasks": {"_ref": "https://h/slm/webservice/v2.0/HierarchicalRequirement/7/Tasks", "Count": 2}}


def test_a_shell_then_a_full_read() -> None:
    story = Hydrator(None, complete=False, hydrated=True).make(STORY)
    assert isinstance(story, Persistable)
    assert not state.is_complete(story) and state.context_of(story) is None
    assert state.pending(story) == {"Tasks": STORY["Tasks"]["_ref"]}
    assert state.rally_attributes(story) == ["Name", "ScheduleState", "Tasks", "_ref", "_refObjectName", "_type", "oid"]
    state.mark_loaded(story)
    assert state.is_complete(story) and story.__dict__["_hydrated"] is True
    state.settle(story, "Tasks", ["t1", "t2"])
    assert story.Tasks == ["t1", "t2"] and state.pending(story) == {}
    state.mark_stale(story, "Tasks")
    assert not state.is_complete(story) and "Tasks" not in story.__dict__


def test_page_group_is_not_pickled_and_bookkeeping_is_not_an_attribute() -> None:
    story = Hydrator(None, complete=True, hydrated=True).make(STORY)
    group = PageGroup([STORY])
    state.join_page(story, group)
    assert state.page_group(story) is group
    assert not set(story.attributes()) & (state.BOOKKEEPING - {state.HYDRATED})
    copy = pickle.loads(pickle.dumps(story))
    assert state.page_group(copy) is None and copy.rally is None and copy.Name == "s"


def test_bad_input() -> None:
    story = Hydrator(None, complete=True, hydrated=True).make(STORY)
    with pytest.raises(KeyError):
        state.pending(story)["Nope"]  # noqa: B018 - no such pending collection
    with pytest.raises(AttributeError):
        state.is_complete(object())
