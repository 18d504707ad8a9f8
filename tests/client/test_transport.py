"""Transport behaviour against the emulator over sockets: retries (faults injected by a wrapping
transport), timeouts, keep-alive, gzip, the in-flight bound and streaming pages.  A page failing
mid-iteration: test_upstream_bugs_fixed.py::test_13."""

from __future__ import annotations

import gc
import json
import socket
import threading
from typing import Any

import httpx
import pytest
from client_helpers import CountingTransport

from pyral import Rally
from pyral.errors import RallyConnectionError, RallyRESTAPIError
from pyral.transport import MAX_IN_FLIGHT, SyncTransport


def _is_story_query(request: httpx.Request) -> bool:
    return request.method == "GET" and request.url.path.endswith("/HierarchicalRequirement")


def _first_n(pred: Any, n: int, fault: Any) -> Any:
    """A fault callable: the first ``n`` requests matching ``pred`` get ``fault()``."""
    hits = {"n": 0}

    def rule(request: httpx.Request, _seq: int) -> Any:
        if pred(request) and hits["n"] < n:
            hits["n"] += 1
            return fault()
        return None

    return rule


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_idempotent_get_is_retried_on_transient_status(connect: Any, status: int) -> None:
    transport = CountingTransport(fault=_first_n(_is_story_query, 2, lambda: httpx.Response(
        status, headers={"Retry-After": "0"})))
    rally, sent = connect(transport=transport)
    rally.create("Story", {"Name": "survivor"})
    resp = rally.get("Story", fetch="Name")
    assert resp.status_code == 200 and [s.Name for s in resp] == ["survivor"]
    assert sum(_is_story_query(r) for r in sent.sent) == 3  # two faults, then the real answer


def test_retry_after_is_honoured(connect: Any, emu: Any) -> None:
    emu.inject("503", "/HierarchicalRequirement$", method="GET", retry_after=1)
    rally, sent = connect(transport=CountingTransport())
    waits: list[float] = []
    rally._transport.sleep = waits.append  # record the waits instead of sleeping
    assert rally.get("Story").resultCount == 0
    assert waits == [1.0]  # the server's Retry-After, not the client's backoff
    assert sum(_is_story_query(r) for r in sent.sent) == 2


def test_backoff_waits_grow_between_retries(connect: Any) -> None:
    transport = CountingTransport(fault=_first_n(_is_story_query, 3, lambda: httpx.Response(503)))
    rally, sent = connect(transport=transport)
    waits: list[float] = []
    rally._transport.sleep = waits.append
    assert rally.get("Story").resultCount == 0
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]
    base = rally._transport.backoff
    assert all(base * 2 ** i <= w <= base * 2 ** (i + 1) for i, w in enumerate(waits))
    assert sum(_is_story_query(r) for r in sent.sent) == 4


def test_connection_reset_on_get_is_retried(connect: Any) -> None:
    transport = CountingTransport(fault=_first_n(_is_story_query, 1, lambda: httpx.ReadError(
        "[Errno 104] Connection reset by peer")))
    rally, sent = connect(transport=transport)
    rally.create("Story", {"Name": "after reset"})
    assert [s.Name for s in rally.get("Story", fetch="Name")] == ["after reset"]
    assert sum(_is_story_query(r) for r in sent.sent) == 2


def test_retries_give_up_after_max_retries(connect: Any) -> None:
    transport = CountingTransport(fault=_first_n(_is_story_query, 99, lambda: httpx.Response(
        503, headers={"Retry-After": "0"})))
    rally, sent = connect(transport=transport, max_retries=2)
    resp = rally.get("Story")
    assert resp.status_code == 503 and not resp and resp.errors and list(resp) == []
    assert sum(_is_story_query(r) for r in sent.sent) == 3
    transport.fault = _first_n(_is_story_query, 99, lambda: httpx.ConnectError("refused"))
    with pytest.raises(RallyConnectionError, match="non-existent or unreachable"):
        rally.get("Story")


@pytest.mark.parametrize("fault", [
    lambda: httpx.Response(503, headers={"Retry-After": "0"}),
    lambda: httpx.ReadError("[Errno 104] Connection reset by peer"),
], ids=["503", "reset"])
def test_create_is_never_retried(connect: Any, emu: Any, fault: Any) -> None:
    def is_create(request: httpx.Request) -> bool:
        return request.method == "PUT"

    rally, sent = connect(transport=CountingTransport(fault=_first_n(is_create, 1, fault)))
    with pytest.raises(RallyRESTAPIError):
        rally.create("Story", {"Name": "once only"})
    assert [r.method for r in sent.sent].count("PUT") == 1
    assert rally.get("Story").resultCount == 0  # nothing was created behind our back
    assert rally.create("Story", {"Name": "once only"}).Name == "once only"  # the caller may retry


def test_backoff_grows_with_jitter() -> None:
    transport = SyncTransport("http://127.0.0.1:9", backoff=0.1)
    try:
        first = {transport._delay(0, None) for _ in range(50)}
        third = {transport._delay(2, None) for _ in range(50)}
        assert all(0.1 <= d <= 0.2 for d in first) and all(0.4 <= d <= 0.8 for d in third)
        assert len(first) > 1  # jitter
        assert transport._delay(0, 2.0) == 2.0  # Retry-After wins
    finally:
        transport.close()


def test_every_request_carries_the_configured_timeout(connect: Any) -> None:
    rally, sent = connect(timeout=7.5)
    rally.create("Story", {"Name": "t"})
    list(rally.get("Story"))
    assert len(sent.sent) >= 3
    for request in sent.sent:
        assert request.extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


def test_a_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        with pytest.raises(RallyConnectionError, match="Request timed out on attempt to reach"):
            Rally(f"http://127.0.0.1:{port}", apikey="_k", timeout=0.3, max_retries=0)


def test_keep_alive_reuses_one_connection(connect: Any) -> None:
    rally, sent = connect()
    for _ in range(5):
        rally.get("Project", fetch="Name")
    assert len(sent.sent) == 6
    assert len(sent._pool.connections) == 1


def test_gzip_responses_are_requested_and_decoded(connect: Any) -> None:
    rally, sent = connect()
    rally.createMultiple("Story", [{"Name": f"zip {i}", "Description": "x" * 200} for i in range(20)])
    sent.reset()
    got = list(rally.get("Story", fetch=True))
    assert len(got) == 20 and got[0].Description == "x" * 200
    assert sent.sent[0].headers["Accept-Encoding"] == "gzip"
    assert sent.received[0].headers["Content-Encoding"] == "gzip"


def test_write_bodies_are_compact_json(connect: Any) -> None:
    rally, sent = connect()
    made = rally.createMultiple("Story", [{"Name": f"compact {i}", "Notes": "a, b: c"} for i in range(3)])
    batch = [r for r in sent.sent if r.url.path.endswith("/batch")]
    assert len(batch) == 1 and len(made) == 3
    body = batch[0].content
    entries = json.loads(body)["Batch"]
    assert [e["Entry"]["Body"]["hierarchicalrequirement"]["Name"] for e in entries] == [f"compact {i}" for i in range(3)]
    assert body == json.dumps(json.loads(body), separators=(",", ":")).encode()  # no blank after , and :
    assert b'"Notes":"a, b: c"' in body  # blanks inside values are kept
    assert [s.Notes for s in rally.get("Story", fetch="Notes", query='Name contains "compact"')] == ["a, b: c"] * 3


def test_at_most_twelve_requests_in_flight(connect: Any) -> None:
    rally, _ = connect()
    rally.createMultiple("Story", [{"Name": f"S{i:03d}"} for i in range(120)])
    transport = CountingTransport(delay=0.03)
    shared, sent = connect(transport=transport)
    results: dict[int, list[str]] = {}
    singles: list[bool] = []

    def read(n: int) -> None:
        resp = shared.get("Story", fetch="Name", order="Name", pagesize=5, threads=20)
        results[n] = [s.Name for s in resp]

    def read_small() -> None:
        for _ in range(4):
            one = shared.get("Story", fetch="Name", query='Name = "S007"', instance=True)
            singles.append(one.Name == "S007")

    workers = [threading.Thread(target=read, args=(n,)) for n in range(3)]
    workers += [threading.Thread(target=read_small) for _ in range(16)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    expected = [f"S{i:03d}" for i in range(120)]
    assert all(results[n] == expected for n in range(3))  # in order despite the threads
    assert len(singles) == 64 and all(singles)
    assert MAX_IN_FLIGHT == 12
    assert 8 <= sent.max_in_flight <= 12, sent.max_in_flight


def test_pages_stream_with_bounded_memory(connect: Any) -> None:
    rally, _ = connect()
    rally.createMultiple("Story", [{"Name": f"M{i:03d}"} for i in range(200)])
    resp = rally.get("Story", fetch="Name", order="Name", pagesize=10, threads=4)
    first = next(resp)
    assert first.Name == "M000"
    alive: list[Any] = []
    count = 1
    for _story in resp:
        count += 1
        if count % 50 == 0:
            gc.collect()
            alive.append(sum(1 for o in gc.get_objects() if type(o).__name__ == "HierarchicalRequirement"))
    assert count == 200
    # served items are not kept by the response: at most a few pages (4 workers) are alive at once
    assert max(alive) <= 10 * 6, alive
