"""Upstream pyral 1.7.0 paging over more than 1000 results, where it switches to threaded page
fetching (pyral-compat §5.4): every item arrives exactly once and in order."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.upstream

TOTAL = 1150


@pytest.fixture(scope="module")
def result(drive, wsapi):
    ws = wsapi.workspace()
    bulk = wsapi.create("Project", {"Name": "Bulk", "Workspace": ws["_ref"]})
    items = [{"Name": f"Bulk story {i:04d}", "Project": bulk["_ref"]} for i in range(TOTAL)]
    for start in range(0, TOTAL, 500):
        wsapi.batch_create("HierarchicalRequirement", items[start:start + 500], workspace=wsapi.short_ref(ws))

    def spec(**kwargs):
        return {"entity": "Story", "fields": ["FormattedID"],
                "kwargs": {"fetch": "FormattedID", "order": "FormattedID", "project": "Bulk", **kwargs}}

    queries = {"threads_4": spec(pagesize=100, threads=4),
               "threads_default": spec(pagesize=200),
               "threads_8_limit": spec(pagesize=100, threads=8, limit=1050),
               "single_thread": spec(pagesize=500, threads=1),
               "default_pagesize": spec(),
               "start_offset": spec(pagesize=100, threads=4, start=101)}
    return drive("queries", data={"queries": queries})


def fids(out: dict) -> list[int]:
    assert out["status"] == 200 and not out["errors"], out["errors"]
    return [int(item["FormattedID"][2:]) for item in out["items"]]


def check_sequence(out: dict, count: int) -> None:
    numbers = fids(out)
    assert len(numbers) == count
    assert len(set(numbers)) == count
    assert numbers == sorted(numbers)


def test_threaded_paging_serves_every_item_in_order(result):
    out = result["threads_4"]
    assert out["resultCount"] == TOTAL
    assert out["max_threads"] == 4  # 1150 > 10 pages of 100: upstream really used 4 threads
    check_sequence(out, TOTAL)


def test_default_threads(result):
    out = result["threads_default"]
    assert out["max_threads"] == 2
    check_sequence(out, TOTAL)


def test_threaded_paging_with_limit(result):
    out = result["threads_8_limit"]
    assert out["max_threads"] == 4
    check_sequence(out, 1050)


def test_single_threaded_paging(result):
    out = result["single_thread"]
    assert out["max_threads"] == 1
    check_sequence(out, TOTAL)
    check_sequence(result["default_pagesize"], TOTAL)


def test_threaded_paging_from_a_start_index(result):
    out = result["start_offset"]
    check_sequence(out, TOTAL - 100)
    assert fids(out) == fids(result["threads_4"])[100:]
