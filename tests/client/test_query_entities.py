"""Queries, paging, threads, entities and lazy loading against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from pyral import Rally, where
from pyral.client.response import ResultPages
from pyral.entity import HierarchicalRequirement, PortfolioItem, Task
from pyral.errors import InvalidRallyTypeNameError, RallyQuerySyntaxError


def seed_stories(rally: Rally, n: int) -> list[dict[str, Any]]:
    items = [{"Name": f"Story {i:03d}", "PlanEstimate": i % 5, "ScheduleState":
              ["Defined", "In-Progress", "Completed", "Accepted"][i % 4]} for i in range(n)]
    created = rally.createMultiple("Story", items)
    assert len(created) == n and not created.failures
    return created


def story_gets(sent: Any) -> list[Any]:
    return [r for r in sent.sent if r.url.path.endswith("/HierarchicalRequirement")]


def test_sequential_paging_exact_requests(connect_both: Any) -> None:
    rally, sent = connect_both()
    seed_stories(rally, 7)
    sent.reset()
    resp = rally.get("Story", fetch="FormattedID,Name", order="FormattedID", pagesize=3, threads=1)
    assert resp.resultCount == 7 and resp.pageSize == 3 and resp.startIndex == 1
    names = [s.Name for s in resp]
    assert names == [f"Story {i:03d}" for i in range(7)]
    assert [r.url.params["start"] for r in story_gets(sent)] == ["1", "4", "7"]
    assert "current Index: 7" in repr(resp)


def test_threaded_paging_in_order(connect_both: Any) -> None:
    rally, sent = connect_both()
    seed_stories(rally, 60)
    sent.reset()
    resp = rally.get("Story", fetch="Name", order="Name", pagesize=5)  # 12 pages: auto threads
    names = [s.Name for s in resp]
    assert names == [f"Story {i:03d}" for i in range(60)]
    assert resp.max_threads > 1 and len(story_gets(sent)) == 12
    resp = rally.get("Story", fetch="Name", order="Name", pagesize=4, threads=8)
    assert [s.Name for s in resp] == names and resp.max_threads == 8
    limited = list(rally.get("Story", fetch="Name", order="Name", pagesize=7, limit=15))
    assert [s.Name for s in limited] == names[:15]
    started = list(rally.get("Story", fetch="Name", order="Name", pagesize=10, start=31, threads=3))
    assert [s.Name for s in started] == names[30:]
    both = list(rally.get("Story", fetch="Name", order="Name", pagesize=5, start=10, limit=12))
    assert [s.Name for s in both] == names[9:21]


def test_default_pages_are_rallys_largest(connect_both: Any) -> None:
    """No pagesize given: pages of 2,000 (upstream: 1,000), or of the limit when that is smaller."""
    rally, sent = connect_both()
    items = [{"Name": f"Story {i:04d}"} for i in range(4100)]
    assert len(rally.createMultiple("Story", items)) == 4100
    sent.reset()
    resp = rally.get("Story", fetch="Name", order="Name")
    names = [s.Name for s in resp]
    assert names == [item["Name"] for item in items] and resp.resultCount == 4100 and resp.pageSize == 2000
    gets = story_gets(sent)  # 3 requests; upstream's pages of 1,000 would take 5
    assert [(r.url.params["start"], r.url.params["pagesize"]) for r in gets] == [
        ("1", "2000"), ("2001", "2000"), ("4001", "2000")]
    sent.reset()
    assert len(list(rally.get("Story", fetch="Name", limit=2500))) == 2500
    assert [r.url.params["start"] for r in story_gets(sent)] == ["1", "2001"]
    sent.reset()
    limited = rally.get("Story", fetch="Name", order="Name", limit=150)
    assert [s.Name for s in limited] == names[:150] and limited.resultCount == 4100
    assert [r.url.params["pagesize"] for r in story_gets(sent)] == ["150"]
    sent.reset()
    assert len(list(rally.get("Story", fetch="Name", pagesize=1000))) == 4100  # the caller's size is kept
    assert [r.url.params["pagesize"] for r in story_gets(sent)] == ["1000"] * 5


def test_query_forms(both: Any) -> None:
    rally = both
    seed_stories(rally, 12)
    def names(query: Any, **kw: Any) -> list[str]:
        return sorted(s.Name for s in rally.get("Story", fetch="Name", query=query, **kw))
    assert len(names('ScheduleState = "Accepted"')) == 3
    assert len(names("(ScheduleState = Accepted)")) == 3
    assert len(names("ScheduleState = Accepted AND PlanEstimate > 1")) == 2
    assert len(names(["ScheduleState != Accepted", "PlanEstimate >= 3"])) == 3
    assert len(names({"ScheduleState": "Defined", "PlanEstimate": 0})) == 1
    assert len(names("ScheduleState in Defined,In-Progress")) == 6
    assert len(names("ScheduleState !in Defined,Completed")) == 6
    assert len(names(where("Name").contains("00"))) == 10
    assert names('Name = "Story 001"') == ["Story 001"]
    with pytest.raises(RallyQuerySyntaxError):
        rally.get("Story", query="State == Open")


def test_error_response_keeps_fields(both: Any) -> None:
    rally = both
    resp = rally.get("Story", query="Bogosity = 3")
    assert resp.status_code == 422 and resp.errors and not resp
    assert resp.resultCount == 0 and list(resp) == [] and repr(resp).startswith("422 ")


def test_entity_names_case_insensitive_and_aliases(both: Any) -> None:
    rally = both
    rally.create("Defect", {"Name": "d"})
    for name in ("defect", "DEFECT", "Defect"):
        assert rally.get(name).resultCount == 1
    rally.create("HierarchicalRequirement", {"Name": "s"})
    for name in ("Story", "UserStory", "User Story", "hierarchicalrequirement"):
        assert rally.get(name).resultCount == 1
    with pytest.raises(InvalidRallyTypeNameError) as exc:
        rally.get("Payjammas")
    assert exc.value.args[0] == "Payjammas"
    with pytest.raises(InvalidRallyTypeNameError):
        rally.get("Project,Workspace")


def test_fetch_true_and_shells(connect: Any) -> None:
    rally, sent = connect()
    seed_stories(rally, 3)
    full = list(rally.get("Story", fetch=True))
    assert all(s._hydrated for s in full) and all(isinstance(s, HierarchicalRequirement) for s in full)
    sent.reset()
    _ = [s.ScheduleState for s in full]
    assert sent.sent == []
    shells = list(rally.get("Story", fetch=False))
    assert not shells[0]._hydrated
    sent.reset()
    assert shells[0].PlanEstimate is not None and shells[0].Project.Name == "Sample Project"
    assert len(sent.sent) <= 2  # the object, then (maybe) its Project
    with pytest.raises(AttributeError, match="no attribute: 'Fabulote'"):
        _ = full[0].Fabulote


def test_partial_fetch_loads_valid_attributes(connect: Any) -> None:
    rally, sent = connect()
    seed_stories(rally, 2)
    story = rally.get("Story", fetch="FormattedID", query='Name = "Story 001"', instance=True)
    assert story._hydrated and story.FormattedID
    sent.reset()
    assert story.PlanEstimate == 1 and story.ScheduleState == "In-Progress"
    # one GET of the story, besides the instance's one read of the workspace schema
    # (createMultiple in seed_stories no longer reads the whole schema)
    assert len([r for r in sent.sent if "/slm/schema/" not in r.url.path]) == 1
    assert len(sent.sent) <= 2
    before = len(sent.sent)
    with pytest.raises(AttributeError):
        _ = story.GammaRays
    assert len(sent.sent) == before
    projects = list(rally.get("Project", fetch="Owner,State,Fabulote,GammaRays"))
    assert projects[0].State == "Open"
    with pytest.raises(AttributeError):
        _ = projects[0].GammaRays


def test_collections_are_fetched_hydrated(connect: Any) -> None:
    rally, sent = connect()
    story = rally.create("Story", {"Name": "with tasks"})
    for i in range(5):
        rally.create("Task", {"Name": f"T{i}", "WorkProduct": story.ref, "Estimate": i})
    got = rally.get("Story", fetch="Name,Tasks", query='Name = "with tasks"', instance=True)
    sent.reset()
    tasks = got.Tasks
    assert len(tasks) == 5 and all(isinstance(t, Task) for t in tasks)
    assert sorted(t.Estimate for t in tasks) == [0, 1, 2, 3, 4]
    assert {t.WorkProduct.Name for t in tasks} == {"with tasks"}
    assert len(sent.sent) == 1  # one collection request, no N+1
    assert got.Tasks is tasks
    empty = rally.create("Story", {"Name": "no tasks"})
    assert empty.Tasks == []


def test_hydration_mode_belongs_to_each_response(connect_both: Any) -> None:
    rally, _ = connect_both()
    seed_stories(rally, 3)
    shells = rally.get("Story", fetch=False)
    full = rally.get("Story", fetch=True)
    first_full = full.next()
    first_shell = shells.next()  # consumed after the later get()
    assert first_shell._hydrated is False and first_full._hydrated is True
    assert rally.hydration == "full"


def test_instance_keyword(both: Any) -> None:
    rally = both
    seed_stories(rally, 2)
    assert rally.get("Story", query='Name = "nope"', instance=True) is None
    one = rally.get("Story", query='Name = "Story 000"', instance=True)
    assert isinstance(one, HierarchicalRequirement)
    many = rally.get("Story", instance=True)
    assert not isinstance(many, HierarchicalRequirement) and many.resultCount == 2  # the response
    assert isinstance(getattr(many, "_response", many), ResultPages)


def test_portfolio_items_and_refs(both: Any) -> None:
    rally = both
    feature = rally.create("Feature", {"Name": "F one"})
    assert isinstance(feature, PortfolioItem) and type(feature).__name__ == "PortfolioItem_Feature"
    assert feature._type == "PortfolioItem/Feature" and feature.typePath == "PortfolioItem/Feature"
    assert feature.ref == f"portfolioitem/feature/{feature.oid}"
    got = rally.get("PortfolioItem/Feature", query=f"FormattedID = {feature.FormattedID}", instance=True)
    assert got.ref == feature.ref and got.Name == "F one"
    epic = rally.create("Epic", {"Name": "Big", "Description": "d"})
    assert type(epic).__name__ == "PortfolioItem_Epic" and epic.Name == "Big"
    assert rally.get("portfolioitem/epic", query=f'FormattedID = "{epic.FormattedID}"',
                     instance=True).oid == epic.oid
    story = rally.create("Story", {"Name": "child", "PortfolioItem": feature.ref})
    assert story.PortfolioItem.Name == "F one" and story.PortfolioItem.ref == feature.ref


def test_revision_history(rally: Rally) -> None:
    defect = rally.create("Defect", {"Name": "with history"})
    rally.update("Defect", {"ObjectID": defect.oid, "Name": "renamed"})
    got = rally.get("Defect", fetch=True, instance=True)
    revs = got.RevisionHistory.Revisions
    assert isinstance(revs, list) and len(revs) >= 1
    assert any(r.RevisionNumber == 0 for r in revs) and all(r._hydrated for r in revs)
    assert revs[0].info()


def test_get_collection_with_any_host(emu: Any, both: Any) -> None:
    rally = both
    rally.create("Project", {"Name": "Second"})
    ws = rally.getWorkspace()
    url = f"http://rally1.rallydev.com/slm/webservice/v2.0/Workspace/{ws.oid}/Projects"
    projects = list(rally.getCollection(url))
    assert sorted(p.Name for p in projects) == ["Sample Project", "Second"]
    assert all(p.details().startswith("Project") for p in projects)


def test_details_and_attributes(both: Any) -> None:
    rally = both
    story = rally.create("Story", {"Name": "detailed", "Description": "x"})
    text = story.details()
    assert text.splitlines()[0] == "HierarchicalRequirement" and "Name" in text
    attrs = story.attributes()
    assert attrs == sorted(attrs) and "Name" in attrs and "_rally_ref" not in attrs
