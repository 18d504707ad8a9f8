"""Test-run rollups kept true after every write (docs/emulator.md, "Test runs, timeboxes, discussion").

* A work product's (story, defect, defect suite) ``LastRun``/``LastBuild``: the latest result among
  its live test cases (those whose ``WorkProduct`` it is), read from their own LastRun/LastBuild;
  a story's ``TotalDirectTestCaseCount`` and ``DirectPassingTestCaseCount`` count those test cases.
* A test set's ``LastRun``/``LastBuild``: its latest result recorded with the set, for a live test
  case still in the set (the results its TestCaseCount judges by).
* A build definition's ``LastBuild`` (latest ``Start``, then the newest) and ``LastStatus``.
"""

from __future__ import annotations

from typing import Any

from .backend import Backend
from .store import Row, value_sql

WORK_PRODUCTS = ("HierarchicalRequirement", "Defect", "DefectSuite")


def after_write(backend: Backend, row: Row, before: Row | None, *, alive: bool = True) -> None:
    """Recompute the test-run rollups that depend on ``row`` (called after derive's own rollups,
    so a test case's LastRun/LastVerdict are already current)."""
    old = before.data if before else {}
    new = row.data if alive else {}
    born_or_gone = before is None or not alive  # created, restored, or deleted
    if row.type == "TestCaseResult":
        test_cases = _ids(old.get("TestCase"), new.get("TestCase"))
        for wp in _work_products_of(backend, test_cases):
            work_product_runs(backend, wp)
        for test_set in _ids(old.get("TestSet"), new.get("TestSet")):
            test_set_runs(backend, test_set)
    elif row.type == "TestCase":
        for wp in _ids(old.get("WorkProduct"), new.get("WorkProduct")):
            work_product_runs(backend, wp)
        if born_or_gone:
            for (test_set,) in backend.store.execute(
                    "SELECT owner FROM links WHERE attr = 'TestCases' AND target = ?", [row.oid]):
                test_set_runs(backend, int(test_set))
    elif row.type == "TestSet" and alive:
        test_set_runs(backend, row.oid)
    elif row.type in WORK_PRODUCTS and alive and before is None:
        work_product_runs(backend, row.oid)  # made or restored: its test cases may already point at it
    elif row.type == "Build":
        for definition in _ids(old.get("BuildDefinition"), new.get("BuildDefinition")):
            last_build(backend, definition)
    elif row.type == "BuildDefinition" and alive and before is None:
        last_build(backend, row.oid)


def work_product_runs(backend: Backend, wp: int) -> None:
    """LastRun/LastBuild of a story, defect or defect suite; a story's direct test case counts."""
    store = backend.store
    target = store.get(wp)
    if target is None or target.type not in WORK_PRODUCTS:
        return
    total, passing = store.execute(
        f"SELECT count(*), coalesce(sum({value_sql('t', 'LastVerdict')} = 'Pass'), 0) FROM objects t"
        f" WHERE t.type = 'TestCase' AND t.deleted = 0 AND {value_sql('t', 'WorkProduct')} = ?", [wp])[0]
    latest = store.execute(
        f"SELECT {value_sql('t', 'LastRun')}, {value_sql('t', 'LastBuild')} FROM objects t"
        f" WHERE t.type = 'TestCase' AND t.deleted = 0 AND {value_sql('t', 'WorkProduct')} = ?"
        f" AND {value_sql('t', 'LastRun')} IS NOT NULL"
        f" ORDER BY {value_sql('t', 'LastRun')} DESC, {value_sql('t', 'LastResult')} DESC LIMIT 1", [wp])
    values: dict[str, Any] = {"LastRun": latest[0][0] if latest else None,
                              "LastBuild": latest[0][1] if latest else None}
    if target.type == "HierarchicalRequirement":
        values.update(TotalDirectTestCaseCount=int(total), DirectPassingTestCaseCount=int(passing))
    _save(backend, target, values)


def test_set_runs(backend: Backend, test_set: int) -> None:
    """LastRun/LastBuild of a test set: its latest result for a live test case still in the set."""
    store = backend.store
    target = store.get(test_set)
    if target is None or target.type != "TestSet":
        return
    latest = store.execute(
        f"SELECT {value_sql('r', 'Date')}, {value_sql('r', 'Build')} FROM objects r"
        f" JOIN links l ON l.owner = ? AND l.attr = 'TestCases' AND l.target = {value_sql('r', 'TestCase')}"
        " JOIN objects tc ON tc.oid = l.target AND tc.deleted = 0"
        f" WHERE r.type = 'TestCaseResult' AND r.deleted = 0 AND {value_sql('r', 'TestSet')} = ?"
        f" ORDER BY {value_sql('r', 'Date')} DESC, r.oid DESC LIMIT 1", [test_set, test_set])
    _save(backend, target, {"LastRun": latest[0][0] if latest else None,
                            "LastBuild": latest[0][1] if latest else None})


def last_build(backend: Backend, definition: int) -> None:
    """BuildDefinition.LastBuild: its build with the latest Start (undated builds last, then the
    newest object); LastStatus is that build's Status."""
    store = backend.store
    target = store.get(definition)
    if target is None or target.type != "BuildDefinition":
        return
    start = value_sql("b", "Start")
    latest = store.execute(
        f"SELECT b.oid, {value_sql('b', 'Status')} FROM objects b WHERE b.type = 'Build' AND b.deleted = 0"
        f" AND {value_sql('b', 'BuildDefinition')} = ? ORDER BY {start} IS NULL, {start} DESC, b.oid DESC LIMIT 1",
        [definition])
    _save(backend, target, {"LastBuild": int(latest[0][0]) if latest else None,
                            "LastStatus": latest[0][1] if latest else None})


def after_links_change(backend: Backend, owner: Row) -> None:
    """A test set's TestCases changed: its LastRun follows the test cases it now holds."""
    if owner.type == "TestSet":
        test_set_runs(backend, owner.oid)


def _work_products_of(backend: Backend, test_cases: set[int]) -> set[int]:
    out: set[int] = set()
    for oid in test_cases:
        tc = backend.store.get(oid, include_deleted=True)
        if tc is not None and tc.data.get("WorkProduct") is not None:
            out.add(int(tc.data["WorkProduct"]))
    return out


def _ids(*values: Any) -> set[int]:
    return {int(v) for v in values if v is not None}


def _save(backend: Backend, row: Row, values: dict[str, Any]) -> None:
    """Store derived values (no version bump), only those the type has and only when they differ."""
    tdef = backend.schema(row.workspace).get(row.type)
    backend.store.save_derived(row, {k: v for k, v in values.items() if tdef is not None and k in tdef.by_name})
