"""The demo data set (``Emulator(demo=True)``), checked through WSAPI as a client sees it."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pyral.emulator import Emulator
from pyral.emulator.backend import Backend
from pyral.emulator.demo import USERS, populate
from pyral.emulator.store import Store


@pytest.fixture(scope="module")
def wsapi(demo_emulator: Emulator) -> Iterator[Any]:
    """``wsapi(type, query=..., fetch=...)`` -> every matching object of the whole workspace."""
    demo_emulator.reset()
    http = httpx.Client(auth=(demo_emulator.admin_user, demo_emulator.admin_password), timeout=30)

    def query(type_path: str, query: str = "", fetch: str = "true", **extra: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        start = 1
        while True:
            params = {"fetch": fetch, "pagesize": "2000", "start": str(start), "project": "null", **extra}
            if query:
                params["query"] = query
            reply = http.get(f"{demo_emulator.wsapi_url}/{type_path}", params=params)
            reply.raise_for_status()
            result = reply.json()["QueryResult"]
            assert not result["Errors"], result["Errors"]
            out.extend(result["Results"])
            start += len(result["Results"])
            if not result["Results"] or start > result["TotalResultCount"]:
                return out

    yield query
    http.close()


def _oid(ref: dict[str, Any] | None) -> int | None:
    return int(ref["_ref"].rsplit("/", 1)[1]) if ref else None


def test_project_tree(wsapi: Any) -> None:
    projects = {p["Name"]: p for p in wsapi("project", fetch="Name,Parent,Workspace")}
    parent = {name: (p["Parent"] or {}).get("_refObjectName") for name, p in projects.items()}
    assert parent["Online Store"] == parent["Mobile App"] == "Sample Project"
    assert parent["Checkout"] == parent["Catalog"] == "Online Store"
    assert parent["Sample Project"] is None and "My Project" in projects
    workspaces = {w["Name"]: w for w in wsapi("workspace", fetch="Name,ObjectID")}
    other = workspaces["Product Engineering"]["ObjectID"]
    elsewhere = wsapi("project", fetch="Name,Parent", workspace=f"/workspace/{other}")
    assert {p["Name"]: (p["Parent"] or {}).get("_refObjectName") for p in elsewhere} == {
        "Platform": None, "Infrastructure": "Platform"}


def test_users_roles_time_zones_permissions(wsapi: Any) -> None:
    users = {u["DisplayName"]: u for u in wsapi("user", query="(ObjectID > 0)",
                                                 fetch="DisplayName,UserName,Role,UserProfile")}
    assert len(users) >= 9 and "Sally Submitter" in users
    assert users["Sally Submitter"]["UserName"] == "sally@demo.local"
    assert users["Sally Submitter"]["Role"] == "Tester"
    profiles = {p["ObjectID"]: p for p in wsapi("userprofile", fetch="ObjectID,TimeZone")}
    sally_profile = profiles[_oid(users["Sally Submitter"]["UserProfile"])]
    assert sally_profile["TimeZone"] == "America/Denver"
    assert sum(1 for p in profiles.values() if p["TimeZone"]) >= 6
    perms = wsapi("projectpermission", fetch="User,Project,Role")
    assert {p["Role"] for p in perms} >= {"Editor", "Viewer"}


def test_demo_users_can_log_in(demo_emulator: Emulator) -> None:
    assert any(spec.password for spec in USERS) and any(spec.api_key for spec in USERS)
    for spec in USERS:
        if spec.password:
            reply = httpx.get(f"{demo_emulator.wsapi_url}/security/authorize", auth=(spec.username, spec.password))
            assert reply.status_code == 200, spec.username
        if spec.api_key:
            reply = httpx.get(f"{demo_emulator.wsapi_url}/user", headers={"ZSESSIONID": spec.api_key})
            assert reply.json()["User"]["UserName"] == spec.username


def test_timeboxes(wsapi: Any) -> None:
    iterations = wsapi("iteration", fetch="Name,State,Project,StartDate,EndDate")
    releases = wsapi("release", fetch="Name,State,Project")
    assert len(iterations) == 30 and len(releases) == 10
    assert {i["State"] for i in iterations} == {"Planning", "Committed", "Accepted"}
    assert all(i["StartDate"] < i["EndDate"] for i in iterations)


def test_stories_tasks_and_totals(wsapi: Any) -> None:
    stories = wsapi("hierarchicalrequirement", fetch="ObjectID,ScheduleState,PlanEstimate,Owner,Iteration,Parent,"
                    "DirectChildrenCount,TaskEstimateTotal,TaskRemainingTotal,TaskActualTotal,TaskStatus,"
                    "PortfolioItem,Project")
    assert len(stories) == 300
    assert set(Counter(s["ScheduleState"] for s in stories)) == {"Defined", "In-Progress", "Completed", "Accepted"}
    assert len({s["Project"]["_refObjectName"] for s in stories}) == 5
    assert len({_oid(s["Owner"]) for s in stories}) >= 6
    assert sum(1 for s in stories if s["Iteration"]) > 150 and all(s["PlanEstimate"] for s in stories)
    parents = [s for s in stories if s["DirectChildrenCount"]]
    assert len(parents) >= 10 and sum(1 for s in stories if s["Parent"]) >= 20

    tasks = wsapi("task", fetch="WorkProduct,Estimate,ToDo,Actuals,State")
    sums: dict[int | None, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for t in tasks:
        acc = sums[_oid(t["WorkProduct"])]
        acc[0] += t["Estimate"]
        acc[1] += t["ToDo"]
        acc[2] += t["Actuals"]
        acc[3] += 1
    assert len(tasks) >= 300 and {t["State"] for t in tasks} == {"Defined", "In-Progress", "Completed"}
    for s in stories:
        est, todo, actual, count = sums.get(s["ObjectID"], [0.0, 0.0, 0.0, 0])
        assert (s["TaskEstimateTotal"], s["TaskRemainingTotal"], s["TaskActualTotal"]) == (est, todo, actual)
        if s["DirectChildrenCount"]:
            assert count == 0 and s["TaskStatus"] == "NONE"
        else:
            assert 1 <= count <= 4 and s["TaskStatus"] != "NONE"


def test_defects(wsapi: Any) -> None:
    defects = wsapi("defect", fetch="State,Severity,Priority,Requirement,TestCase,c_Customer,SubmittedBy")
    assert len(defects) == 60
    assert {d["State"] for d in defects} == {"Submitted", "Open", "Fixed", "Closed"}
    assert "High Attention" in {d["Priority"] for d in defects}
    assert len({d["Severity"] for d in defects}) >= 3
    assert sum(1 for d in defects if d["Requirement"]) >= 10 and sum(1 for d in defects if d["TestCase"]) >= 5
    assert sum(1 for d in defects if d.get("c_Customer")) >= 10
    assert "Sally Submitter" in {d["SubmittedBy"]["_refObjectName"] for d in defects}
    # DefectStatus of the linked stories agrees with their defects.
    closed = wsapi("hierarchicalrequirement", query="(DefectStatus = ALL_CLOSED)", fetch="ObjectID")
    assert closed, "the demo has stories whose defects are all closed"
    for story in closed:
        states = {d["State"] for d in defects if _oid(d["Requirement"]) == story["ObjectID"]}
        assert states == {"Closed"}


def test_test_cases_and_results(wsapi: Any) -> None:
    cases = wsapi("testcase", fetch="Type,Method,WorkProduct,LastVerdict,LastBuild,LastRun,DefectStatus")
    results = wsapi("testcaseresult", fetch="Verdict,Build,Date,TestCase")
    assert len(cases) == 40 and len(results) >= 40
    assert all(c["LastVerdict"] and c["LastBuild"] and c["LastRun"] for c in cases)
    assert len({c["Type"] for c in cases}) >= 4 and {c["Method"] for c in cases} == {"Manual", "Automated"}
    assert sum(1 for c in cases if c["WorkProduct"]) >= 15
    assert {"Pass", "Fail"} <= {r["Verdict"] for r in results}
    assert any(c["DefectStatus"] != "NONE" for c in cases)


def test_portfolio_tags_milestones_discussion(wsapi: Any) -> None:
    initiatives = wsapi("portfolioitem/initiative", fetch="Name,State,DirectChildrenCount")
    features = wsapi("portfolioitem/feature", fetch="ObjectID,Parent,State,LeafStoryCount")
    assert len(initiatives) >= 3 and len(features) >= 8
    assert all(f["Parent"] and f["State"] for f in features)
    assert sum(i["DirectChildrenCount"] for i in initiatives) == len(features)
    stories = wsapi("hierarchicalrequirement", query="(PortfolioItem != null)", fetch="PortfolioItem")
    per_feature = Counter(_oid(s["PortfolioItem"]) for s in stories)
    assert stories and all(f["LeafStoryCount"] == per_feature[f["ObjectID"]] for f in features)
    assert len(wsapi("tag", fetch="Name")) >= 5
    assert len(wsapi("hierarchicalrequirement", query='(Tags.Name = "UX")', fetch="Name")) >= 1
    assert len(wsapi("milestone", fetch="Name,TargetDate")) >= 3
    assert len(wsapi("conversationpost", fetch="Text,Artifact")) >= 3


def test_populate_is_deterministic() -> None:
    def snapshot() -> list[tuple[Any, ...]]:
        backend = Backend(Store(None))
        populate(backend)
        rows = backend.store.select("o.type IN ('HierarchicalRequirement', 'Defect', 'Task', 'TestCase')", [])
        out = [(r.type, r.fid, r.data.get("Name"), r.data.get("ScheduleState"), r.data.get("State")) for r in rows]
        backend.store.close()
        return out

    first = snapshot()
    assert first and first == snapshot()


def test_demo_flow_states_follow_schedule_states(wsapi: Any) -> None:
    """Every demo project has its four flow states and every schedulable artifact one matching
    its ScheduleState (wsapi-more.md §1.2-1.3)."""
    states = wsapi("flowstate", fetch="Name,ScheduleStateMapping,Project")
    by_project: dict[str, list[str]] = defaultdict(list)
    for s in states:
        by_project[s["Project"]["_ref"]].append(s["Name"])
    projects = wsapi("project", fetch="Name")
    assert {p["_ref"] for p in projects} == set(by_project)
    assert all(sorted(v) == ["Accepted", "Completed", "Defined", "In-Progress"] for v in by_project.values())
    mapping = {s["_ref"]: (s["ScheduleStateMapping"], s["Project"]["_ref"]) for s in states}
    for type_path in ("hierarchicalrequirement", "defect"):
        rows = wsapi(type_path, fetch="ScheduleState,FlowState,FlowStateChangedDate,Project")
        assert rows
        for r in rows:
            assert mapping[r["FlowState"]["_ref"]] == (r["ScheduleState"], r["Project"]["_ref"]), r["_ref"]
            assert r["FlowStateChangedDate"]


def test_demo_stories_have_their_feature(wsapi: Any) -> None:
    """HierarchicalRequirement.Feature is derived from PortfolioItem (issue 9: it was always null)."""
    stories = wsapi("hierarchicalrequirement", fetch="PortfolioItem,Feature,Parent")
    linked = [s for s in stories if s["PortfolioItem"]]
    assert len(linked) > 50
    assert all(s["Feature"] and s["Feature"]["_ref"] == s["PortfolioItem"]["_ref"] for s in linked)
    assert all(s["Feature"] is None for s in stories if not s["PortfolioItem"] and not s["Parent"])
