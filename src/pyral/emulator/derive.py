"""Derived, read-only values kept true after every write.

Task totals and TaskStatus on work products, DirectChildrenCount/HasParent, DefectStatus,
test-case verdict fields, schedule-state dates, defect open/close dates; PortfolioItem rollups
are computed in :mod:`pyral.emulator.derive_portfolio`.  Each recomputation is a few
aggregate SQL statements on the affected parents only; derived writes do not bump versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import derive_portfolio, run_rollups, timebox_rollups
from .backend import Backend
from .store import Row, value_sql

CLOSED_DEFECT_STATES = {"Closed"}
SCHEDULABLE = ("HierarchicalRequirement", "Defect", "DefectSuite", "TestSet")


def after_write(backend: Backend, row: Row, before: Row | None, *, alive: bool = True) -> None:
    """Recompute what depends on ``row`` (``before`` is its state before an update).

    ``alive=False`` (a delete): only the objects ``row`` pointed at are recomputed; the row
    itself is never written.
    """
    store = backend.store
    old = before.data if before else {}
    new = row.data
    if row.type == "Task":
        for wp in _ids(old.get("WorkProduct"), new.get("WorkProduct")):
            task_rollup(backend, wp)
    if alive and row.type in SCHEDULABLE:
        _schedule_dates(backend, row, old)
        if before is not None and (old.get("Iteration") != new.get("Iteration")
                                   or old.get("Release") != new.get("Release")):
            _tasks_follow(backend, row)
    if row.type in SCHEDULABLE or row.type == "Task":
        timebox_rollup(backend, row, old, alive=alive)
    if row.type == "HierarchicalRequirement":
        for parent in _ids(old.get("Parent"), new.get("Parent")):
            story_children(backend, parent)
        has_parent = bool(new.get("Parent"))
        if alive and row.data.get("HasParent") != has_parent:
            row.data["HasParent"] = has_parent
            store.save(row, bump=False)
        for feature in _ids(old.get("PortfolioItem"), new.get("PortfolioItem")):
            pi_rollup(backend, feature)
        if alive and before is not None and (old.get("PortfolioItem") != new.get("PortfolioItem")
                                             or old.get("Parent") != new.get("Parent")):
            story_feature(backend, row.oid)
    if row.type == "Defect":
        if alive:
            _defect_dates(backend, row, old)
        for req in _ids(old.get("Requirement"), new.get("Requirement")):
            defect_status(backend, req)
        for tc in _ids(old.get("TestCase"), new.get("TestCase")):
            defect_status(backend, tc, via="TestCase")
    if row.type == "TestCaseResult":
        for tc in _ids(old.get("TestCase"), new.get("TestCase")):
            test_case_verdict(backend, tc)
        for test_set in _ids(old.get("TestSet"), new.get("TestSet")):
            test_set_counts(backend, test_set)
    if row.type == "TestCase":
        for wp in _ids(old.get("WorkProduct"), new.get("WorkProduct")):
            test_case_counts(backend, wp)
        if not alive:
            for (test_set,) in store.execute("SELECT owner FROM links WHERE attr = 'TestCases' AND target = ?",
                                             [row.oid]):
                test_set_counts(backend, int(test_set))
    if row.type == "TestSet" and alive:
        test_set_counts(backend, row.oid)
    if row.type.startswith("PortfolioItem/"):
        for parent in _ids(old.get("Parent"), new.get("Parent")):
            pi_rollup(backend, parent)
        if alive:
            pi_rollup(backend, row.oid)
    if before is None or not alive:  # created, restored or deleted: its milestones count it or not
        tdef = backend.catalog.get(row.type)
        if tdef is not None and tdef.is_artifact:
            milestone_counts(backend, store.links(row.oid, "Milestones"))
    if row.type == "Defect" and (before is None or not alive or old.get("State") != new.get("State")):
        defect_suite_counts(backend, store.links(row.oid, "DefectSuites"))
    if row.type == "TimeEntryValue":
        if alive:
            _save(backend, row.oid, {"LastUpdated": row.updated})
        for item in _ids(old.get("TimeEntryItem"), new.get("TimeEntryItem")):
            found = store.get(item)
            if found is not None and found.data.get("Task"):
                task_time_spent(backend, int(found.data["Task"]))
    if row.type == "TimeEntryItem":
        for task in _ids(old.get("Task"), new.get("Task")):
            task_time_spent(backend, task)
    derive_portfolio.after_write(backend, row, before, alive=alive)
    if row.type == "Project" and alive and before is not None and old.get("State") != new.get("State"):
        owners = store.execute("SELECT owner FROM links WHERE attr = 'Projects' AND target = ?", [row.oid])
        milestone_counts(backend, [int(r[0]) for r in owners])
    run_rollups.after_write(backend, row, before, alive=alive)
    timebox_rollups.after_write(backend, row, before, alive=alive)


def after_collection_change(backend: Backend, owner: Row) -> None:
    """Recompute what depends on the members of ``owner``'s collections."""
    if owner.type == "TestSet":
        test_set_counts(backend, owner.oid)
    run_rollups.after_links_change(backend, owner)


def after_links_change(backend: Backend, owner: int, attr: str, targets: Iterable[int]) -> None:
    """Recompute what counts the links ``owner.attr`` (``targets``: every target added or removed)."""
    if attr == "Milestones":
        milestone_counts(backend, targets)
    elif attr == "Projects":
        milestone_counts(backend, [owner])
    elif attr == "DefectSuites":
        defect_suite_counts(backend, targets)


def task_time_spent(backend: Backend, task: int) -> None:
    """Task.TimeSpent: "the total of all hours reported in timesheets for the task" (Rally Time
    Tracker help): the Hours of the live TimeEntryValues of its TimeEntryItems."""
    hours = backend.store.execute(
        f"SELECT coalesce(sum({value_sql('v', 'Hours')}), 0) FROM objects v"
        f" JOIN objects i ON i.oid = {value_sql('v', 'TimeEntryItem')} AND i.deleted = 0"
        f" WHERE v.type = 'TimeEntryValue' AND v.deleted = 0 AND {value_sql('i', 'Task')} = ?", [task])[0][0]
    target = backend.store.get(task)
    if target is not None and target.type == "Task":
        _save(backend, task, {"TimeSpent": float(hours)})


def defect_suite_counts(backend: Backend, suites: Iterable[int]) -> None:
    """A DefectSuite's TotalDefectCount (its live defects) and ClosedDefectCount (those whose State
    is Closed, Rally's meaning of a closed defect)."""
    store = backend.store
    for oid in set(suites):
        row = store.get(oid)
        if row is None or row.type != "DefectSuite":
            continue
        total, closed = store.execute(
            f"SELECT count(*), coalesce(sum({value_sql('d', 'State')} IN ({','.join('?' * len(CLOSED_DEFECT_STATES))})),"
            " 0) FROM links l JOIN objects d ON d.oid = l.owner AND d.deleted = 0"
            " WHERE l.attr = 'DefectSuites' AND l.target = ?", [*sorted(CLOSED_DEFECT_STATES), oid])[0]
        _save(backend, oid, {"TotalDefectCount": int(total), "ClosedDefectCount": int(closed)})


def milestone_counts(backend: Backend, milestones: Iterable[int]) -> None:
    """A Milestone's TotalArtifactCount (the live artifacts carrying it, whoever may read them),
    TotalProjectCount (the projects in its Projects) and ClosedProjectCount (those Closed)."""
    store = backend.store
    for oid in set(milestones):
        row = store.get(oid)
        if row is None or row.type != "Milestone":
            continue
        artifacts = store.execute("SELECT count(*) FROM links l JOIN objects a ON a.oid = l.owner AND a.deleted = 0"
                                  " WHERE l.attr = 'Milestones' AND l.target = ?", [oid])[0][0]
        projects, closed = store.execute(
            f"SELECT count(*), coalesce(sum({value_sql('p', 'State')} = 'Closed'), 0) FROM links l"
            " JOIN objects p ON p.oid = l.target AND p.deleted = 0 WHERE l.owner = ? AND l.attr = 'Projects'",
            [oid])[0]
        _save(backend, oid, {"TotalArtifactCount": int(artifacts), "TotalProjectCount": int(projects),
                             "ClosedProjectCount": int(closed)})


def _ids(*values: Any) -> set[int]:
    """The distinct non-null object ids among ``values``."""
    return {int(v) for v in values if v is not None}


def after_delete(backend: Backend, row: Row) -> None:
    """Recompute what depended on a deleted row (the row itself is left as the delete left it)."""
    after_write(backend, Row(**{**row.__dict__, "data": {}}), row, alive=False)


def _save(backend: Backend, oid: int, values: dict[str, Any]) -> None:
    row = backend.store.get(oid)
    if row is not None:
        backend.store.save_derived(row, values)


def task_rollup(backend: Backend, wp: int) -> None:
    rows = backend.store.execute(
        "SELECT coalesce(sum(json_extract(data, '$.\"Estimate\"')), 0), coalesce(sum(json_extract(data, '$.\"ToDo\"')), 0),"
        " coalesce(sum(json_extract(data, '$.\"Actuals\"')), 0), count(*),"
        " sum(json_extract(data, '$.\"State\"') = 'Defined'), sum(json_extract(data, '$.\"State\"') = 'Completed'),"
        " sum(json_extract(data, '$.\"Blocked\"') = 1)"
        " FROM objects WHERE type = 'Task' AND deleted = 0 AND json_extract(data, '$.\"WorkProduct\"') = ?", [wp])
    est, todo, actual, count, defined, completed, blocked = rows[0]
    if not count:
        status = "NONE"
    elif completed == count:
        status = "COMPLETED_BLOCKED" if blocked else "COMPLETED"
    elif defined == count:
        status = "DEFINED"
    else:
        status = "IN_PROGRESS_BLOCKED" if blocked else "IN_PROGRESS"
    _save(backend, wp, {"TaskEstimateTotal": float(est), "TaskRemainingTotal": float(todo),
                        "TaskActualTotal": float(actual), "TaskStatus": status})


def story_children(backend: Backend, parent: int) -> None:
    rows = backend.store.execute(
        "SELECT count(*) FROM objects WHERE type = 'HierarchicalRequirement' AND deleted = 0"
        " AND json_extract(data, '$.\"Parent\"') = ?", [parent])
    _save(backend, parent, {"DirectChildrenCount": int(rows[0][0])})


def defect_status(backend: Backend, req: int, via: str = "Requirement") -> None:
    """DefectStatus of a story (its defects' ``Requirement``) or a test case (their ``TestCase``)."""
    rows = backend.store.execute(
        "SELECT count(*), sum(json_extract(data, '$.\"State\"') = 'Closed') FROM objects"
        f" WHERE type = 'Defect' AND deleted = 0 AND json_extract(data, '$.\"{via}\"') = ?", [req])
    count, closed = rows[0][0], rows[0][1] or 0
    status = "NONE" if not count else "ALL_CLOSED" if closed == count else "NONE_CLOSED" if closed == 0 else "SOME_CLOSED"
    _save(backend, req, {"DefectStatus": status})


def test_case_verdict(backend: Backend, test_case: int) -> None:
    rows = backend.store.execute(
        "SELECT oid, json_extract(data, '$.\"Verdict\"'), json_extract(data, '$.\"Date\"'),"
        " json_extract(data, '$.\"Build\"') FROM objects WHERE type = 'TestCaseResult' AND deleted = 0"
        " AND json_extract(data, '$.\"TestCase\"') = ? ORDER BY json_extract(data, '$.\"Date\"') DESC, oid DESC LIMIT 1",
        [test_case])
    if rows:
        oid, verdict, date, build = rows[0]
        values = {"LastResult": oid, "LastVerdict": verdict, "LastRun": date, "LastBuild": build}
    else:
        values = {"LastResult": None, "LastVerdict": None, "LastRun": None, "LastBuild": None}
    _save(backend, test_case, values)
    tc = backend.store.get(test_case)
    if tc is not None and tc.data.get("WorkProduct"):
        test_case_counts(backend, int(tc.data["WorkProduct"]))


def test_case_counts(backend: Backend, wp: int) -> None:
    rows = backend.store.execute(
        "SELECT count(*), sum(json_extract(data, '$.\"LastVerdict\"') = 'Pass'),"
        " sum(json_extract(data, '$.\"LastVerdict\"') IS NOT NULL) FROM objects WHERE type = 'TestCase'"
        " AND deleted = 0 AND json_extract(data, '$.\"WorkProduct\"') = ?", [wp])
    count, passing, run = rows[0][0], rows[0][1] or 0, rows[0][2] or 0
    status = _test_case_status(count, passing, run)
    target = backend.store.get(wp)
    if target is not None and "TestCaseStatus" in backend.schema(target.workspace).get(target.type).by_name:  # type: ignore[union-attr]
        _save(backend, wp, {"TestCaseCount": int(count), "PassingTestCaseCount": int(passing),
                            "TestCaseStatus": status})


def test_set_counts(backend: Backend, test_set: int) -> None:
    """TestCaseCount, PassingTestCaseCount, TestCaseStatus of a TestSet: its linked test cases,
    each judged by its latest result recorded in this test set."""
    rows = backend.store.execute(
        "SELECT count(*), sum(v = 'Pass'), sum(v IS NOT NULL) FROM ("
        " SELECT (SELECT json_extract(r.data, '$.\"Verdict\"') FROM objects r WHERE r.type = 'TestCaseResult'"
        "  AND r.deleted = 0 AND json_extract(r.data, '$.\"TestCase\"') = tc.oid"
        "  AND json_extract(r.data, '$.\"TestSet\"') = ?"
        "  ORDER BY json_extract(r.data, '$.\"Date\"') DESC, r.oid DESC LIMIT 1) AS v"
        " FROM links l JOIN objects tc ON tc.oid = l.target AND tc.deleted = 0"
        " WHERE l.owner = ? AND l.attr = 'TestCases')", [test_set, test_set])
    count, passing, run = rows[0][0], rows[0][1] or 0, rows[0][2] or 0
    _save(backend, test_set, {"TestCaseCount": int(count), "PassingTestCaseCount": int(passing),
                              "TestCaseStatus": _test_case_status(count, passing, run)})


def _test_case_status(count: int, passing: int, run: int) -> str:
    if not count:
        status = "NONE"
    elif not run:
        status = "NONE_RUN"
    elif run < count:
        status = "SOME_RUN_ALL_PASSING" if passing == run else "SOME_RUN_SOME_NOT_PASSING"
    else:
        status = "ALL_RUN_ALL_PASSING" if passing == count else ("ALL_RUN_NONE_PASSING" if passing == 0
                                                                 else "SOME_RUN_SOME_NOT_PASSING")
    return status


def _tasks_follow(backend: Backend, row: Row) -> None:
    """A work product's tasks share its Iteration and Release (read-only on Task)."""
    store = backend.store
    for task in store.select("o.type = 'Task' AND o.deleted = 0 AND json_extract(o.data, '$.\"WorkProduct\"') = ?",
                             [row.oid]):
        before = dict(task.data)
        task.data["Iteration"], task.data["Release"] = row.data.get("Iteration"), row.data.get("Release")
        if before.get("Iteration") != task.data["Iteration"] or before.get("Release") != task.data["Release"]:
            store.save(task, bump=False)
            timebox_rollup(backend, task, before)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _contribution(type_name: str, data: dict[str, Any]) -> dict[str, float]:
    """What one work item or task adds to its Iteration's/Release's rollups."""
    if type_name == "Task":
        return {"TaskEstimateTotal": _num(data.get("Estimate")), "TaskRemainingTotal": _num(data.get("ToDo")),
                "TaskActualTotal": _num(data.get("Actuals"))}
    estimate = _num(data.get("PlanEstimate"))
    return {"PlanEstimate": estimate, "Accepted": estimate if data.get("ScheduleState") == "Accepted" else 0.0}


def timebox_rollup(backend: Backend, row: Row, old: dict[str, Any], *, alive: bool = True) -> None:
    """Iteration/Release PlanEstimate (their work items), Task*Total (their tasks), a release's
    Accepted (accepted items' estimates): applied as the difference this write made, so a write
    costs the same however full the timebox is."""
    new = row.data if alive else {}
    before, after = _contribution(row.type, old), _contribution(row.type, new)
    for attr in ("Iteration", "Release"):
        changes: dict[int, dict[str, float]] = {}
        if old.get(attr) is not None:
            bucket = changes.setdefault(int(old[attr]), {})
            for k, v in before.items():
                bucket[k] = bucket.get(k, 0.0) - v
        if new.get(attr) is not None:
            bucket = changes.setdefault(int(new[attr]), {})
            for k, v in after.items():
                bucket[k] = bucket.get(k, 0.0) + v
        for timebox, delta in changes.items():
            delta = {k: v for k, v in delta.items() if v and (k != "Accepted" or attr == "Release")}
            target = backend.store.get(timebox) if delta else None
            if target is None or target.type != attr:
                continue
            for k, v in delta.items():
                target.data[k] = round(_num(target.data.get(k)) + v, 6)
            backend.store.save(target, bump=False)


def story_feature(backend: Backend, story: int) -> None:
    """HierarchicalRequirement.Feature: its own PortfolioItem, else its parent story's Feature;
    pushed down to every descendant story."""
    store = backend.store
    frontier = [story]
    seen: set[int] = set()
    while frontier:
        oid = frontier.pop()
        if oid in seen:
            continue
        seen.add(oid)
        row = store.get(oid)
        if row is None or row.type != "HierarchicalRequirement":
            continue
        feature = row.data.get("PortfolioItem")
        if feature is None and row.data.get("Parent"):
            parent = store.get(int(row.data["Parent"]))
            feature = parent.data.get("Feature") if parent is not None else None
        _save(backend, oid, {"Feature": feature})
        frontier.extend(int(r[0]) for r in store.execute(
            "SELECT oid FROM objects WHERE type = 'HierarchicalRequirement' AND deleted = 0"
            " AND json_extract(data, '$.\"Parent\"') = ?", [oid]))


def pi_rollup(backend: Backend, pi: int) -> None:
    """Every rollup of a PortfolioItem and, recursively, of its ancestors (derive_portfolio)."""
    derive_portfolio.rollup(backend, pi)


def _schedule_dates(backend: Backend, row: Row, old: dict[str, Any]) -> None:
    state, previous = row.data.get("ScheduleState"), old.get("ScheduleState")
    if state == previous:
        return
    changed = False
    order = ("Defined", "In-Progress", "Completed", "Accepted")
    index = order.index(state) if state in order else -1
    if index >= 1 and not row.data.get("InProgressDate"):
        row.data["InProgressDate"] = backend.clock.iso()
        changed = True
    if state == "Accepted" and not row.data.get("AcceptedDate"):
        row.data["AcceptedDate"] = backend.clock.iso()
        changed = True
    if state != "Accepted" and row.data.get("AcceptedDate"):
        row.data["AcceptedDate"] = None
        changed = True
    if changed:
        backend.store.save(row, bump=False)


def _defect_dates(backend: Backend, row: Row, old: dict[str, Any]) -> None:
    state, previous = row.data.get("State"), old.get("State")
    if state == previous:
        return
    if state == "Open" and not row.data.get("OpenedDate"):
        row.data["OpenedDate"] = backend.clock.iso()
    if state in CLOSED_DEFECT_STATES:
        row.data["ClosedDate"] = backend.clock.iso()
    elif row.data.get("ClosedDate"):
        row.data["ClosedDate"] = None
    backend.store.save(row, bump=False)
