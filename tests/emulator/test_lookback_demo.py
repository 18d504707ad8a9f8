"""The demo data's Lookback history: sprints that really moved, day by day, on the real clock after."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pyral.emulator import Emulator


@pytest.fixture(scope="module")
def demo(demo_emulator: Emulator) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=demo_emulator.url, headers={"ZSESSIONID": demo_emulator.admin_api_key},
                          timeout=60)
    ws = client.get("/slm/webservice/v2.0/workspace", params={"fetch": "ObjectID,Name"}).json()
    default = next(w for w in ws["QueryResult"]["Results"] if w["Name"] == "Default Workspace")
    return client, f"/analytics/v2.0/service/rally/workspace/{default['ObjectID']}/artifact/snapshot/query.js"


def query(demo: tuple[httpx.Client, str], **body: Any) -> dict[str, Any]:
    client, url = demo
    out = client.post(url, json=body).json()
    assert out["Errors"] == [], out["Errors"]
    return out


def test_stories_moved_through_their_states_day_by_day(demo: tuple[httpx.Client, str]) -> None:
    moves = query(demo, find={"_TypeHierarchy": "HierarchicalRequirement",
                              "_PreviousValues.ScheduleState": {"$exists": True}, "_SnapshotNumber": {"$gt": 0}},
                  fields=["ObjectID", "ScheduleState", "_PreviousValues.ScheduleState", "_ValidFrom"], pagesize=2000)
    assert moves["TotalResultCount"] > 200
    order = ["Defined", "In-Progress", "Completed", "Accepted"]
    for move in moves["Results"]:  # always one step forward
        assert order.index(move["ScheduleState"]) == order.index(move["_PreviousValues.ScheduleState"]) + 1
    days = {m["_ValidFrom"][:10] for m in moves["Results"]}
    assert len(days) >= 10  # spread over the sprints' days, not one instant
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert max(m["_ValidFrom"] for m in moves["Results"]) <= now


def test_tasks_burn_down_and_stories_follow(demo: tuple[httpx.Client, str]) -> None:
    burns = query(demo, find={"_TypeHierarchy": "Task", "_PreviousValues.ToDo": {"$exists": True},
                              "_SnapshotNumber": {"$gt": 0}}, fields=["ToDo", "_PreviousValues.ToDo"], pagesize=2000)
    assert burns["TotalResultCount"] > 100
    assert all(b["ToDo"] < b["_PreviousValues.ToDo"] for b in burns["Results"])
    story_totals = query(demo, find={"_TypeHierarchy": "HierarchicalRequirement",
                                     "_PreviousValues.TaskRemainingTotal": {"$exists": True},
                                     "_SnapshotNumber": {"$gt": 0}}, pagesize=1)
    assert story_totals["TotalResultCount"] > 50


def test_the_emulator_is_back_on_the_real_clock(demo: tuple[httpx.Client, str]) -> None:
    client, _ = demo
    assert client.get("/emulator/clock").json()["emulated"] is False
    current = query(demo, find={"_TypeHierarchy": "HierarchicalRequirement", "__At": "current"}, pagesize=1)
    assert current["TotalResultCount"] == 300  # every demo story has exactly one current snapshot
