"""The HTTP front without sockets (the in-process transport): 401s as Rally sends them, faults,
latency, the per-user limit, the request cut-off, and bad input that must never reach a bare 500.
Counts and statuses are asserted, never elapsed time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest

from pyral.emulator import Emulator
from pyral.emulator.faults import Latency

API = "/slm/webservice/v2.0"
# Rally's 401 reasons (wsapi-more.md §6, a real body), not imported from the emulator under test.
NO_CREDENTIALS = "Full authentication is required to access this resource"
WRONG_CREDENTIALS = "The username or password you entered is incorrect."


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator().open()  # never listens: everything below goes through emulator.transport()
    yield emulator
    emulator.stop()


def client(emu: Emulator, **headers: str) -> httpx.Client:
    base = {"ZSESSIONID": emu.admin_api_key} if not headers else {}
    base.update(headers)
    return httpx.Client(transport=emu.transport(), base_url="http://emulator.test", headers=base)


def fingerprint(emu: Emulator) -> object:
    assert emu.backend is not None
    return emu.backend.store.dump()


def test_no_socket_is_opened_and_the_app_answers(emu: Emulator) -> None:
    assert emu.port == 0
    with client(emu) as c:
        created = c.post(f"{API}/defect/create", json={"Defect": {"Name": "in process"}}).json()["CreateResult"]
        assert created["Errors"] == [] and created["Object"]["_ref"].startswith("http://emulator.test/")
        rows = c.get(f"{API}/defect", params={"fetch": "Name"}).json()["QueryResult"]["Results"]
        assert [r["Name"] for r in rows] == ["in process"]
        big = c.get(f"{API}/typedefinition", params={"fetch": "true", "pagesize": 50},
                    headers={"Accept-Encoding": "gzip"})
        assert big.headers["content-encoding"] == "gzip" and big.json()["QueryResult"]["Errors"] == []


def test_async_transport(emu: Emulator) -> None:
    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=emu.async_transport(), base_url="http://x",
                                     headers={"ZSESSIONID": emu.admin_api_key}) as c:
            answers = await asyncio.gather(*(c.get(f"{API}/user") for _ in range(5)))
            return [a.status_code for a in answers]

    assert asyncio.run(run()) == [200] * 5


# -- 401 -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "reason"), [
    ({}, NO_CREDENTIALS),
    ({"Authorization": "Bearer abc"}, NO_CREDENTIALS),
    ({"Authorization": "Basic %%%"}, NO_CREDENTIALS),
    ({"Cookie": "JSESSIONID=stale"}, NO_CREDENTIALS),
    ({"ZSESSIONID": "_wrongKey"}, WRONG_CREDENTIALS),
    ({"Authorization": "Basic YWRtaW5AZW11bGF0b3IubG9jYWw6d3Jvbmc="}, WRONG_CREDENTIALS),  # admin:wrong
])
def test_every_401_challenges_and_says_why(emu: Emulator, headers: dict[str, str], reason: str) -> None:
    with httpx.Client(transport=emu.transport(), base_url="http://x", headers=headers) as c:
        for method, path in (("GET", f"{API}/defect"), ("POST", f"{API}/defect/create"), ("POST", "/emulator/reset"),
                             ("GET", "/slm/schema/v2.0/workspace/1")):
            r = c.request(method, path, json={"Defect": {"Name": "x"}} if method == "POST" else None)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["www-authenticate"] == 'Basic realm="Rally ALM"'
            assert r.headers["content-type"].startswith("text/html")
            assert f"<title>Error 401 {reason}</title>" in r.text and f"Problem accessing {path}." in r.text
    with client(emu) as c:
        assert c.get(f"{API}/defect").json()["QueryResult"]["TotalResultCount"] == 0


def test_a_challenged_client_logs_in(emu: Emulator) -> None:
    """A client that sends Basic credentials only after a challenge (httpx's DigestAuth-like flow)."""

    class ChallengedBasic(httpx.Auth):
        def __init__(self) -> None:
            self.challenges = 0

        def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
            response = yield request
            if response.status_code == 401 and response.headers.get("www-authenticate", "").startswith("Basic "):
                self.challenges += 1
                request.headers["Authorization"] = httpx.BasicAuth(emu.admin_user, emu.admin_password)._auth_header
                yield request

    auth = ChallengedBasic()
    with httpx.Client(transport=emu.transport(), base_url="http://x", auth=auth) as c:
        assert c.get(f"{API}/security/authorize").json()["OperationResult"]["SecurityToken"]
    assert auth.challenges == 1


# -- faults ----------------------------------------------------------------------------------

def test_faults_through_the_control_plane(emu: Emulator) -> None:
    with client(emu) as c:
        r = c.post("/emulator/faults", json={"method": "GET", "path": "/defect$", "kind": "429", "count": 2,
                                             "retry_after": 7})
        assert r.status_code == 200 and r.json()["faults"][0]["count"] == 2
        first, second, third = (c.get(f"{API}/defect") for _ in range(3))
        assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
        assert first.headers["retry-after"] == "7"
        assert c.get(f"{API}/user").status_code == 200  # another path: untouched
        c.post("/emulator/faults", json=[{"method": "POST", "path": "create", "kind": "503", "count": 3},
                                         {"path": "hierarchicalrequirement", "kind": "slow", "delay": 0.01}])
        listed = c.get("/emulator/faults").json()
        assert [(f["kind"], f["count"]) for f in listed["faults"]] == [("503", 3), ("slow", 1)]
        before = fingerprint(emu)
        r = c.post(f"{API}/defect/create", json={"Defect": {"Name": "refused"}})
        assert r.status_code == 503 and fingerprint(emu) == before
        assert c.get(f"{API}/hierarchicalrequirement").status_code == 200  # slow: delayed, then answered
        assert c.delete("/emulator/faults").json() == {"cleared": 1}
        assert c.get("/emulator/faults").json()["faults"] == []
        assert c.get("/emulator/faults").json()["fired"] == {"429": 2, "503": 1, "reset": 0, "slow": 1}
        assert c.post(f"{API}/defect/create", json={"Defect": {"Name": "now"}}).json()["CreateResult"]["Errors"] == []


@pytest.mark.parametrize("spec", [
    {"kind": "500"}, {"kind": "429", "count": 0}, {"kind": "429", "count": True}, {"kind": "429", "path": "("},
    {"kind": "slow"}, {"kind": "slow", "delay": -1}, {"kind": "slow", "delay": "1"}, {"kind": "429", "method": "HEAD"},
    b'{"kind": "429", "retry_after": 1e999}', b'{"kind": "slow", "delay": NaN}', {"kind": "429", "color": "red"}, [], "429", None,
    [{"kind": "429"}, {"kind": "nope"}],
])
def test_bad_fault_specs_are_refused_whole(emu: Emulator, spec: object) -> None:
    with client(emu) as c:
        r = c.post("/emulator/faults", content=spec) if isinstance(spec, bytes) else \
            c.post("/emulator/faults", json=spec)
        assert r.status_code == 400 and r.json()["Errors"], r.text
        assert c.post("/emulator/faults", content=b"{nope").status_code == 400
        assert c.get("/emulator/faults").json()["faults"] == []
    with pytest.raises(ValueError):
        emu.inject("explode")
    assert emu.faults() == []


def test_only_the_admin_injects_faults(emu: Emulator) -> None:
    with client(emu) as admin:
        user = admin.put(f"{API}/user/create", json={"User": {"UserName": "u@x.com", "EmailAddress": "u@x.com"}})
        oid = user.json()["CreateResult"]["Object"]["ObjectID"]
        admin.put("/emulator/users/u@x.com/credentials", json={"api_key": "_userKey1"})
    with client(emu, ZSESSIONID="_userKey1") as c:
        assert c.get(f"{API}/user").status_code == 200 and oid
        assert c.post("/emulator/faults", json={"kind": "429"}).status_code == 403
        assert c.delete("/emulator/faults").status_code == 403
    assert emu.faults() == []


def test_inject_and_reset_in_process(emu: Emulator) -> None:
    emu.inject("reset", "/defect/create", method="POST")
    assert emu.faults() == [{"method": "POST", "path": "/defect/create", "kind": "reset", "count": 1,
                             "retry_after": 1.0, "delay": 0.0}]
    before = fingerprint(emu)
    with client(emu) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(f"{API}/defect/create", json={"Defect": {"Name": "lost"}})
        assert fingerprint(emu) == before
        assert c.post(f"{API}/defect/create", json={"Defect": {"Name": "kept"}}).json()["CreateResult"]["Errors"] == []
    assert emu.faults() == []


def test_faults_never_touch_the_control_plane(emu: Emulator) -> None:
    emu.inject("503", "", count=5)
    with client(emu) as c:
        assert c.get("/emulator/faults").status_code == 200
        assert c.get(f"{API}/user").status_code == 503
    assert emu.faults()[0]["count"] == 4
    assert emu.clear_faults() == 1


# -- latency, per-user limit, cut-off --------------------------------------------------------

def test_latency_values() -> None:
    import random

    assert Latency.of(None).next() == 0 and Latency.of(0.25).next() == 0.25
    jittery = Latency(0.1, 0.05, random.Random(7))
    values = [jittery.next() for _ in range(500)]
    assert all(0.05 <= v <= 0.15 for v in values) and len(set(values)) > 400
    assert min(Latency(0.01, 0.5, random.Random(1)).next() for _ in range(200)) == 0.0  # clipped, never negative
    assert Latency.parse_ms("250:50").base == 0.25 and Latency.parse_ms("250:50").jitter == 0.05
    for bad in ("fast", "-5", "10:-1", "inf", "nan", "1:2:3"):
        with pytest.raises(ValueError):
            Latency.parse_ms(bad)
    with pytest.raises(ValueError):
        Emulator(latency=-1)


def test_latency_is_applied_and_the_cutoff_answers_502() -> None:
    """A 0.5 s latency under a 0.05 s cut-off: every WSAPI request is cut off, none is executed."""
    emulator = Emulator(latency=0.5, request_cutoff=0.05).open()
    try:
        before = fingerprint(emulator)
        with client(emulator) as c:
            r = c.post(f"{API}/defect/create", json={"Defect": {"Name": "too slow"}})
            assert r.status_code == 502 and "502 Bad Gateway" in r.text
            assert c.get(f"{API}/defect").status_code == 502
            assert c.get("/emulator/faults").status_code == 200  # the control plane has no latency
        assert fingerprint(emulator) == before
    finally:
        emulator.stop()


def test_slow_fault_past_the_cutoff() -> None:
    emulator = Emulator(request_cutoff=0.05).open()
    try:
        emulator.inject("slow", "defect", delay=2, count=1)
        with client(emulator) as c:
            assert c.get(f"{API}/defect").status_code == 502
            assert c.get(f"{API}/defect").status_code == 200
    finally:
        emulator.stop()


def test_extra_requests_of_one_user_wait_for_a_slot() -> None:
    """Limit 2, six simultaneous slow requests of one user: all answered, never more than two in
    flight, four of them waited; another user's request does not wait behind them."""
    emulator = Emulator(max_concurrent_per_user=2).open()
    try:
        emulator.inject("slow", "/defect$", delay=0.6, count=6)
        barrier = threading.Barrier(6)
        statuses: list[int] = []

        def one() -> None:
            with client(emulator) as c:
                barrier.wait()
                statuses.append(c.get(f"{API}/defect").status_code)

        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * 6
        assert emulator.front is not None
        assert emulator.front.slots.peak == 2
        assert emulator.front.slots.waited == 4
    finally:
        emulator.stop()


def test_the_limit_is_per_user() -> None:
    emulator = Emulator(max_concurrent_per_user=1).open()
    try:
        with client(emulator) as admin:
            admin.put(f"{API}/user/create", json={"User": {"UserName": "b@x.com", "EmailAddress": "b@x.com"}})
            admin.put("/emulator/users/b@x.com/credentials", json={"api_key": "_bKey"})
        emulator.inject("slow", "/defect$", delay=0.6, count=1)
        answers: list[int] = []
        held = threading.Thread(target=lambda: answers.append(client(emulator).get(f"{API}/defect").status_code))
        held.start()
        while not emulator.front or emulator.front.faults.fired["slow"] == 0:
            threading.Event().wait(0.005)
        with client(emulator, ZSESSIONID="_bKey") as other:
            assert other.get(f"{API}/user").status_code == 200
        held.join()
        assert answers == [200] and emulator.front.slots.waited == 0
    finally:
        emulator.stop()


# -- bad input that must not reach a bare 500 ------------------------------------------------

def test_deeply_nested_json_gets_the_envelope(emu: Emulator) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    wrapped = b'{"Defect": ' + b"{\"a\": " * 200_000 + b"1" + b"}" * 200_000 + b"}"
    before = fingerprint(emu)
    with client(emu) as c:
        for body in (deep, wrapped):
            r = c.post(f"{API}/defect/create", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 200 and r.json()["CreateResult"]["Errors"][0].startswith("Cannot parse input stream")
            r = c.post(f"{API}/batch", content=body)
            assert r.status_code == 200 and r.json()["BatchResult"]["Errors"][0].startswith("Cannot parse input stream")
            r = c.post("/emulator/import", content=body)
            assert r.status_code == 400 and r.json()["Errors"]
    assert fingerprint(emu) == before


def test_an_unexpected_failure_is_an_envelope(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    assert emu.front is not None

    def broken(*_: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(emu.front.handlers, "handle", broken)
    with client(emu) as c:
        r = c.get(f"{API}/defect")
        assert r.status_code == 500 and r.json()["QueryResult"]["Errors"] == ["Internal emulator error: KeyError: 'boom'"]
        r = c.post(f"{API}/defect/create", json={"Defect": {"Name": "x"}})
        assert r.status_code == 500 and r.json()["CreateResult"]["Errors"]
        r = c.get(f"{API}/defect/1")
        assert r.status_code == 500 and r.json()["OperationResult"]["Errors"]
