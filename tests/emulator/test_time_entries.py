"""Timesheets: TimeEntryItem, TimeEntryValue and Task.TimeSpent.

Sources: wsapi-protocol.md §5.4 (TimeEntryItem: ``Project*``, ``User*``(ro), ``WeekStartDate*``,
``Task``, ``WorkProduct``, ``Values``; TimeEntryValue: ``TimeEntryItem*``, ``DateVal*``, ``Hours``)
and §5.3 (an attribute both Required and ReadOnly is create-only); the schema capture marks
TimeEntryValue.TimeEntryItem and DateVal so.  Rally Time Tracker help: "The Task Detail page shows
a read-only Time Spent field that shows the total of all hours reported in timesheets for the task."
Choices (docs/emulator.md): TimeEntryItem.User is the caller; LastUpdated is the value's last write.
"""

from __future__ import annotations

import pytest
from wsapi_client import Wsapi


@pytest.fixture
def task(wsapi: Wsapi) -> dict:
    story = wsapi.create("hierarchicalrequirement", {"Name": "timed"})
    return wsapi.create("task", {"Name": "t", "WorkProduct": story["_ref"], "Estimate": 3})


def _item(wsapi: Wsapi, task: dict) -> dict:
    return wsapi.create("timeentryitem", {"Project": wsapi.default_project()["_ref"], "WeekStartDate": "2026-11-29",
                                          "Task": task["_ref"]})


def test_time_spent_is_the_hours_reported_for_the_task(wsapi: Wsapi, task: dict) -> None:
    assert task["TimeSpent"] == 0.0
    item = _item(wsapi, task)
    me = wsapi.get("user", fetch="ObjectID")["User"]["ObjectID"]
    assert item["User"]["_ref"].endswith(f"/user/{me}")
    monday = wsapi.create_raw("timeentryvalue", {"TimeEntryValue": {
        "TimeEntryItem": item["_ref"], "DateVal": "2026-11-30T00:00:00.000Z", "Hours": 2}})
    assert monday["Warnings"] == [] and monday["Errors"] == []
    value = monday["Object"]
    assert value["DateVal"] == "2026-11-30T00:00:00.000Z" and value["TimeEntryItem"]["_ref"] == item["_ref"]
    assert value["LastUpdated"] is not None
    tuesday = wsapi.create("timeentryvalue", {"TimeEntryItem": item["_ref"], "DateVal": "2026-12-01", "Hours": 1.5})
    assert wsapi.read(task["_ref"], fetch="TimeSpent")["TimeSpent"] == 3.5
    wsapi.update(tuesday["_ref"], {"Hours": 4})
    assert wsapi.read(task["_ref"], fetch="TimeSpent")["TimeSpent"] == 6.0
    assert wsapi.read(item["_ref"], fetch="Values")["Values"]["Count"] == 2
    assert wsapi.delete(tuesday["_ref"])["Errors"] == []
    assert wsapi.read(task["_ref"], fetch="TimeSpent")["TimeSpent"] == 2.0
    # the item moved to another task takes its hours along
    other = wsapi.create("task", {"Name": "u", "WorkProduct": task["WorkProduct"]["_ref"]})
    wsapi.update(item["_ref"], {"Task": other["_ref"]})
    assert wsapi.read(task["_ref"], fetch="TimeSpent")["TimeSpent"] == 0.0
    assert wsapi.read(other["_ref"], fetch="TimeSpent")["TimeSpent"] == 2.0
    assert [t["Name"] for t in wsapi.rows("task", query="(TimeSpent > 1)", fetch="Name")] == ["u"]


def test_bad_time_entries_change_nothing(wsapi: Wsapi, task: dict) -> None:
    item = _item(wsapi, task)
    value = wsapi.create("timeentryvalue", {"TimeEntryItem": item["_ref"], "DateVal": "2026-11-30", "Hours": 2})
    before = wsapi.fingerprint()
    missing = wsapi.create_raw("timeentryvalue", {"TimeEntryValue": {"Hours": 2, "DateVal": "2026-11-30"}})
    assert missing["Errors"] == ["Validation error: TimeEntryValue.TimeEntryItem should not be null"]
    dangling = wsapi.create_raw("timeentryvalue", {"TimeEntryValue": {
        "TimeEntryItem": "/timeentryitem/999999999", "DateVal": "2026-11-30", "Hours": 1}})
    assert dangling["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    nan = wsapi.update_raw(value["_ref"], {"TimeEntryValue": {"Hours": "lots"}})
    assert nan["Errors"] and nan["Errors"][0].startswith("Validation error")
    assert wsapi.fingerprint() == before
    # create-only: ignored on update with Rally's warning; TimeSpent and User are read-only
    echo = wsapi.update_raw(value["_ref"], {"TimeEntryValue": {"DateVal": "2026-12-02"}})
    assert echo["Warnings"] == ["Ignored JSON element TimeEntryValue.DateVal during processing of this request."]
    assert wsapi.update_raw(task["_ref"], {"Task": {"TimeSpent": 40}})["Warnings"]
    assert wsapi.read(task["_ref"], fetch="TimeSpent")["TimeSpent"] == 2.0
    assert wsapi.read(value["_ref"], fetch="DateVal")["DateVal"].startswith("2026-11-30")
