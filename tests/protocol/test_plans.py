"""The paging plan and batch chunking, decided from envelopes alone."""

from __future__ import annotations

from typing import Any

import pytest

from pyral.protocol import (
    MAX_THREADS,
    batch_context,
    batch_entry,
    chunk_outcome,
    chunks,
    concurrency,
    default_pagesize,
    further_starts,
    parse_envelope,
    servable,
)


def query(total: int, start: int = 1, size: int = 200, returned: int | None = None) -> Any:
    count = min(size, total) if returned is None else returned
    return parse_envelope({"QueryResult": {"TotalResultCount": total, "StartIndex": start, "PageSize": size,
                                           "Results": [{"_ref": f"defect/{i}"} for i in range(count)]}})


@pytest.mark.parametrize(("total", "start", "limit", "expected"), [
    (1000, 1, 1_000_000, 1000), (1000, 1, 250, 250), (1000, 401, 1_000_000, 600), (0, 1, 10, 0),
    (5, 9, 100, 0),
])
def test_servable(total: int, start: int, limit: int, expected: int) -> None:
    assert servable(query(total, start), limit) == expected


def test_a_single_object_serves_its_results() -> None:
    assert servable(parse_envelope({"Defect": {"_ref": "defect/1"}}), 1_000_000) == 1


def test_further_pages_follow_the_first() -> None:
    env = query(1000, size=200)
    assert further_starts(env, 200, 1000) == [201, 401, 601, 801]
    assert further_starts(env, 200, 450) == [201, 401]
    assert further_starts(env, 200, 200) == []
    assert further_starts(query(1000, start=401), 200, 600) == [601, 801]
    assert further_starts(query(0, returned=0), 0, 0) == []


def test_a_short_page_size_comes_from_the_envelope_or_the_page() -> None:
    env = parse_envelope({"QueryResult": {"TotalResultCount": 5, "StartIndex": 1,
                                          "Results": [{}, {}]}})
    assert further_starts(env, 2, 5) == [3, 5]


def test_default_pagesize_is_rallys_largest_or_the_limit() -> None:
    assert default_pagesize(1_000_000) == 2000 and default_pagesize(2000) == 2000
    assert default_pagesize(150) == 150 and default_pagesize(1) == 1 and default_pagesize(0) == 1
    env = query(4100, size=default_pagesize(1_000_000))  # 3 pages where upstream's 1,000 took 5
    assert further_starts(env, 2000, servable(env, 1_000_000)) == [2001, 4001]


def test_concurrency_bound() -> None:
    assert concurrency(None, 2) == 1 and concurrency(None, 3) == 3 and concurrency(0, 10) == 4
    assert concurrency(50, 100) == MAX_THREADS == 12
    assert concurrency(8, 3) == 3 and concurrency(1, 10) == 1 and concurrency(None, 0) == 1


def test_batch_entries_and_context() -> None:
    assert batch_entry("defect", {"Name": "a"}) == {"Path": "/defect/create", "Method": "PUT",
                                                    "Body": {"defect": {"Name": "a"}}}
    assert batch_entry("defect", {"Name": "a"}, 7)["Path"] == "/defect/7"
    assert batch_context("workspace/1", "project/2") == [("workspace", "/workspace/1"),
                                                         ("project", "/project/2")]
    assert batch_context(None, None) == []


def test_chunks_keep_order_and_size() -> None:
    entries = [(i, {"n": i}) for i in range(2501)]
    got = chunks(entries)
    assert [len(c) for c in got] == [834, 834, 833]  # the fewest batches of at most 1,000, nearly equal
    assert [i for c in got for i, _ in c] == list(range(2501))
    assert chunks([]) == [] and [len(c) for c in chunks(entries[:5], size=2)] == [2, 2, 1]


def test_chunk_outcome() -> None:
    chunk = [(4, {}), (5, {}), (6, {}), (7, {})]
    env = parse_envelope({"BatchResult": {"Results": [
        {"Object": {"_ref": "defect/10", "FormattedID": "DE1", "_refObjectName": "a"}, "Errors": []},
        {"Errors": ["Could not set Foo"]},
        {"Object": "oops"}]}})
    done, failed = chunk_outcome(chunk, env)
    assert done == [(4, {"_ref": "defect/10", "ObjectID": "10", "FormattedID": "DE1", "Name": "a"})]
    assert failed == [(5, ["Could not set Foo"]), (6, ["no object"]), (7, ["no result returned"])]
    refused = parse_envelope({"BatchResult": {"Errors": ["Invalid key"], "Results": []}})
    assert chunk_outcome(chunk[:2], refused) == ([], [(4, ["Invalid key"]), (5, ["Invalid key"])])
