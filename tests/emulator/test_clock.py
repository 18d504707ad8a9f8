"""The emulator's clock: set, advance, release, stamps on every write, never back past a write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from wsapi_client import Wsapi, short

from pyral.emulator import Emulator
from pyral.emulator.backend import ClockError

T0 = datetime(2023, 11, 6, 10, 30, 15, 250000, tzinfo=UTC)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def test_writes_are_stamped_with_the_emulated_time(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    s = wsapi.create("hierarchicalrequirement", {"Name": "clocked"})
    assert s["CreationDate"] == s["LastUpdateDate"] == stamp(T0)
    emulator.advance_clock(3600.5)
    later = T0 + timedelta(seconds=3600.5)
    updated = wsapi.update(short(s["_ref"]), {"ScheduleState": "Accepted"})
    assert updated["CreationDate"] == stamp(T0) and updated["LastUpdateDate"] == stamp(later)
    assert updated["AcceptedDate"] == updated["InProgressDate"] == stamp(later)
    revisions = wsapi.rows("revision", query=f'(RevisionHistory = "{s["RevisionHistory"]["_ref"]}")',
                           fetch="CreationDate,RevisionNumber", order="RevisionNumber")
    assert [r["CreationDate"] for r in revisions] == [stamp(T0), stamp(later)]
    # the query language's today is the clock's day
    assert wsapi.rows("hierarchicalrequirement", query="((CreationDate >= today) AND (CreationDate < today+1))",
                      fetch="Name") == [{**wsapi.rows("hierarchicalrequirement", fetch="Name")[0]}]


def test_the_clock_is_frozen_until_advanced(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    a = wsapi.create("defect", {"Name": "one"})
    b = wsapi.create("defect", {"Name": "two"})
    assert a["CreationDate"] == b["CreationDate"] == stamp(T0)


def test_http_get_put_and_release(wsapi: Wsapi, emulator: Emulator) -> None:
    http = wsapi.http
    r = http.put("/emulator/clock", json={"now": "2023-11-06T10:30:15.250Z"})
    assert r.status_code == 200 and r.json() == {"now": stamp(T0), "emulated": True}
    r = http.put("/emulator/clock", json={"advance": 86400})
    assert r.json()["now"] == stamp(T0 + timedelta(days=1))
    assert http.get("/emulator/clock").json() == {"now": stamp(T0 + timedelta(days=1)), "emulated": True}
    r = http.put("/emulator/clock", json={"now": None})
    assert r.status_code == 200 and r.json()["emulated"] is False
    real = datetime.fromisoformat(r.json()["now"].replace("Z", "+00:00"))
    assert abs((real - datetime.now(UTC)).total_seconds()) < 3600  # the real clock, not 2023


def test_the_clock_never_moves_back_past_a_write(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    wsapi.create("hierarchicalrequirement", {"Name": "history"})
    with pytest.raises(ClockError, match="cannot move back"):
        emulator.set_clock(T0 - timedelta(milliseconds=1))
    r = wsapi.http.put("/emulator/clock", json={"now": "2023-01-01T00:00:00Z"})
    assert r.status_code == 409 and "cannot move back" in r.json()["Errors"][0]
    assert emulator.backend is not None and emulator.backend.clock.now() == T0  # unchanged
    emulator.set_clock(T0)  # to the very instant of the last write is fine
    emulator.set_clock(None)  # and forward to real time


def test_reset_returns_to_the_real_clock(emulator: Emulator) -> None:
    emulator.reset()
    emulator.set_clock(T0)
    emulator.reset()
    assert emulator.backend is not None and not emulator.backend.clock.emulated


@pytest.mark.parametrize(("body", "text"), [
    ({"now": "yesterday"}, "ISO 8601"),
    ({"now": "2023-11-06T10:00:00"}, "time zone"),
    ({"now": 5}, "ISO 8601"),
    ({"advance": -1}, "seconds >= 0"),
    ({"advance": "10"}, "seconds >= 0"),
    ({"advance": True}, "seconds >= 0"),
    ({"now": None, "advance": 1}, "Give"),
    ([], "Give"),
    ("{", "not valid JSON"),
])
def test_bad_clock_requests(wsapi: Wsapi, emulator: Emulator, body: object, text: str) -> None:
    emulator.set_clock(T0)
    kw = {"content": body} if isinstance(body, str) else {"json": body}
    r = wsapi.http.put("/emulator/clock", **kw)  # type: ignore[arg-type]
    assert r.status_code == 400 and text in r.json()["Errors"][0], r.text
    assert wsapi.http.get("/emulator/clock").json()["now"] == stamp(T0)


def test_only_the_admin_sets_the_clock(wsapi: Wsapi, emulator: Emulator) -> None:
    user = wsapi.create("user", {"UserName": "clockless@x.test", "EmailAddress": "clockless@x.test"})
    assert user["ObjectID"]
    assert wsapi.http.put("/emulator/users/clockless@x.test/credentials",
                          json={"api_key": "_clockless_000000000000000000"}).status_code == 200
    with httpx.Client(base_url=emulator.url, headers={"ZSESSIONID": "_clockless_000000000000000000"}) as other:
        assert other.get("/emulator/clock").status_code == 200
        assert other.put("/emulator/clock", json={"advance": 1}).status_code == 403


def test_set_clock_needs_an_aware_datetime(emulator: Emulator) -> None:
    emulator.reset()
    with pytest.raises(ValueError, match="time zone"):
        emulator.set_clock(datetime(2023, 1, 1))  # noqa: DTZ001 - the point of the test
