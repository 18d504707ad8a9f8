"""Page-wide collection loads: ``story.Tasks`` over a page costs one query per 40 stories."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def stories(connect: Any) -> list[str]:
    rally, _ = connect()
    made = rally.createMultiple("Story", [{"Name": f"walk {i}"} for i in range(90)])
    tasks = [{"Name": f"t{i}.{j}", "WorkProduct": m["_ref"], "TaskIndex": 3 - j}
             for i, m in enumerate(made) for j in range(i % 4)]
    assert not rally.createMultiple("Task", tasks).failures
    return [m["FormattedID"] for m in made]


def walk(rally: Any, **kwargs: Any) -> list[tuple[str, list[str]]]:
    out = []
    for story in rally.get("Story", fetch="FormattedID,Tasks", query='Name contains "walk"', order="FormattedID",
                           **kwargs):
        out.append((story.FormattedID, [t.Name for t in story.Tasks]))
    return out


def test_a_page_of_collections_costs_a_few_queries(connect: Any, stories: list[str]) -> None:
    rally, sent = connect()
    before = len(sent.sent)
    result = walk(rally, pagesize=100)
    requests = sent.sent[before:]
    assert len(result) == 90
    member_queries = [r for r in requests if "/Task?" in str(r.url)]
    assert len(requests) == 1 + len(member_queries) and len(member_queries) == 2  # 67 owners, 40 per query
    # Same members, in the same order, as one collection read per story (TaskIndex order).
    direct_rally, direct_sent = connect()
    direct = []
    for story in direct_rally.get("Story", fetch="FormattedID,Tasks", query='Name contains "walk"',
                                  order="FormattedID", pagesize=100):
        story.__dict__.pop("_page_group")
        direct.append((story.FormattedID, [t.Name for t in story.Tasks]))
    assert result == direct
    assert result[3][1] == ["t3.2", "t3.1", "t3.0"]
    assert len(direct_sent.sent) > 60  # the N+1 this avoids


def test_an_item_whose_collection_changed_reads_its_own(connect: Any, stories: list[str]) -> None:
    rally, sent = connect()
    response = rally.get("Story", fetch="FormattedID,Tasks", query='Name contains "walk"', order="FormattedID",
                         pagesize=100)
    first, second, third, fourth = (next(response) for _ in range(4))
    other, _ = connect()
    other.create("Task", {"Name": "late", "WorkProduct": fourth.ref})  # after the page was read
    assert [t.Name for t in second.Tasks] == ["t1.0"]  # loads the page's tasks (fourth's now has 4)
    before = len(sent.sent)
    # The page said 3 tasks, the page-wide load found 4: not trusted, so fourth reads its own.
    assert [t.Name for t in fourth.Tasks] == ["t3.2", "t3.1", "t3.0", "late"]
    assert len(sent.sent) == before + 1
    before = len(sent.sent)
    assert [t.Name for t in third.Tasks] == ["t2.1", "t2.0"] and len(sent.sent) == before


def test_link_collections_and_single_items_read_directly(connect: Any, stories: list[str]) -> None:
    rally, sent = connect()
    tag = rally.create("Tag", {"Name": "walking"})
    for fid in stories[:3]:
        rally.update("Story", {"FormattedID": fid, "Tags": [tag.ref]})
    before = len(sent.sent)
    tagged = list(rally.get("Story", fetch="FormattedID,Tags", query='Tags.Name = "walking"'))
    assert [len(s.Tags) for s in tagged] == [1, 1, 1]
    assert len(sent.sent) - before == 1 + 3  # Tags are links, not an inverse reference: one read each


def test_the_chunks_of_a_page_wide_load_go_out_together(connect: Any, stories: list[str]) -> None:
    import threading

    import httpx
    from client_helpers import CountingTransport

    together = threading.Barrier(2, timeout=60)  # both member queries must be on the wire at once

    def meet(request: httpx.Request, _seq: int) -> None:
        if "/Task?" in str(request.url):
            together.wait()

    rally, sent = connect(transport=CountingTransport(fault=meet))
    result = walk(rally, pagesize=100)
    assert len(result) == 90 and result[3][1] == ["t3.2", "t3.1", "t3.0"]
    assert sum("/Task?" in str(r.url) for r in sent.sent) == 2 and sent.max_in_flight == 2


def test_handing_out_a_page_of_members_scans_the_page_once_per_attribute(
        connect: Any, stories: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from pyral.model.prefetch import PageGroup

    scans: list[str] = []
    real = PageGroup.owners

    def owners(self: PageGroup, attr: str) -> list[tuple[str, int]]:
        scans.append(attr)
        return real(self, attr)

    monkeypatch.setattr(PageGroup, "owners", owners)
    rally, _ = connect()
    result = walk(rally, pagesize=100)
    assert len(result) == 90 and result[3][1] == ["t3.2", "t3.1", "t3.0"]
    # One scan to build the member queries, one to learn every owner's Count: not one per story
    # (67 stories have tasks; a scan per story made the walk quadratic in the page size).
    assert scans == ["Tasks", "Tasks"]


def test_the_walk_sends_the_story_query_then_member_queries_of_40_owners_and_nothing_more(
        connect: Any, stories: list[str]) -> None:
    from urllib.parse import parse_qs, urlsplit

    rally, sent = connect()
    before = len(sent.sent)
    names = []
    for story in rally.get("Story", fetch="FormattedID,Name,Tasks", query='Name contains "walk"', pagesize=100):
        for task in story.Tasks:
            # Every attribute of a member is there (fetch=true); one its type lacks costs nothing.
            names.append((task.Name, task.State, task.WorkProduct.ref == story.ref,
                          getattr(task, "PortfolioItem", None)))
    requests = sent.sent[before:]
    assert len(names) == sum(i % 4 for i in range(90)) and all(same for _, _, same, _ in names)
    assert {pi for *_, pi in names} == {None}
    params = [parse_qs(urlsplit(str(r.url)).query) for r in requests]
    assert [urlsplit(str(r.url)).path.rsplit("/", 1)[-1] for r in requests] == ["HierarchicalRequirement",
                                                                               "Task", "Task"]
    members = params[1:]
    owners = [m["query"][0].count("WorkProduct = /hierarchicalrequirement/") for m in members]
    assert owners == [40, 27]  # the 67 stories with tasks, 40 per query, in page order
    assert all(m["fetch"] == ["true"] and m["order"] == ["TaskIndex,ObjectID"] and m["project"] == ["null"]
               for m in members)
