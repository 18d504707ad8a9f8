"""Queries over HTTP: fetch shaping, order, paging, workspace/project scoping, GET-as-POST, collections."""

from __future__ import annotations

import pytest
from wsapi_client import API, Wsapi, oid_of

REF_KEYS = {"_rallyAPIMajor", "_rallyAPIMinor", "_ref", "_refObjectUUID", "_refObjectName", "_type"}


def names(rows: list[dict]) -> list[str]:
    return [r["Name"] for r in rows]


# -- fetch -----------------------------------------------------------------------------------

@pytest.fixture
def task_world(wsapi: Wsapi) -> dict[str, dict]:
    owner = wsapi.get("user")["User"]
    story = wsapi.create("hierarchicalrequirement", {"Name": "Story", "Owner": owner["_ref"]})
    task = wsapi.create("task", {"Name": "Task", "WorkProduct": story["_ref"], "Estimate": 3, "Owner": owner["_ref"]})
    return {"story": story, "task": task, "owner": owner}


def test_fetch_none_and_false_give_bare_refs(wsapi: Wsapi, task_world) -> None:
    for params in ({}, {"fetch": "false"}, {"fetch": ""}):
        (row,) = wsapi.rows("task", **params)
        assert set(row) == REF_KEYS, params
        assert row["_type"] == "Task" and row["_refObjectName"] == "Task"


def test_fetch_true_gives_everything_with_refs_and_summaries(wsapi: Wsapi, task_world) -> None:
    (row,) = wsapi.rows("task", fetch="true")
    assert row["_objectVersion"] == "1" and row["_type"] == "Task"
    assert {"ObjectID", "FormattedID", "Name", "State", "Estimate", "WorkProduct", "Project", "Workspace",
            "CreationDate", "LastUpdateDate", "DragAndDropRank", "Attachments"} <= set(row)
    assert set(row["WorkProduct"]) == REF_KEYS  # nested objects stay bare refs under fetch=true
    assert set(row["Attachments"]) == {"_rallyAPIMajor", "_rallyAPIMinor", "_ref", "_type", "Count"}


def test_fetch_list_applies_to_nested_refs_and_shallow_fetch_does_not(wsapi: Wsapi, task_world) -> None:
    (row,) = wsapi.rows("task", fetch="Name,FormattedID,WorkProduct,Owner,UserName")
    assert set(row) == {*REF_KEYS, "_objectVersion", "Name", "FormattedID", "WorkProduct", "Owner"}
    assert "ObjectID" not in row  # only listed fields
    wp = row["WorkProduct"]
    assert wp["_type"] == "HierarchicalRequirement" and wp["_objectVersion"] == "1"
    assert wp["FormattedID"].startswith("US") and wp["Name"] == "Story"
    assert wp["Owner"]["UserName"] == task_world["owner"]["UserName"]  # two levels down
    assert row["Owner"]["UserName"] == task_world["owner"]["UserName"]
    (shallow,) = wsapi.rows("task", shallowFetch="Name,WorkProduct")
    assert shallow["Name"] == "Task" and set(shallow["WorkProduct"]) == REF_KEYS


def test_fetch_unknown_names_ignored_and_quotes_stripped(wsapi: Wsapi, task_world) -> None:
    (row,) = wsapi.rows("task", fetch="Name,NoSuchField,c_Nope")
    assert set(row) == {*REF_KEYS, "_objectVersion", "Name"}
    (row,) = wsapi.rows("task", fetch='"ObjectID,Name,State"')
    assert (row["ObjectID"], row["Name"], row["State"]) == (oid_of(task_world["task"]["_ref"]), "Task", "Defined")
    projects = wsapi.rows(f"{wsapi.default_workspace()['_ref']}/Projects", fetch='"ObjectID,Name,State"')
    assert [(p["Name"], p["State"]) for p in projects] == [("Sample Project", "Open")]


# -- order -----------------------------------------------------------------------------------

@pytest.fixture
def stories(wsapi: Wsapi) -> list[dict]:
    specs = [("Delta", 3, "Defined"), ("alpha", 1, "Accepted"), ("Charlie", 3, "In-Progress"),
             ("Bravo", 2, "Defined"), ("Echo", 1, "Completed")]
    return [wsapi.create("hierarchicalrequirement", {"Name": n, "PlanEstimate": e, "ScheduleState": s})
            for n, e, s in specs]


def test_order_asc_desc_multi_key(wsapi: Wsapi, stories) -> None:
    assert names(wsapi.rows("hierarchicalrequirement", fetch="Name", order="Name")) == \
        sorted(["Delta", "alpha", "Charlie", "Bravo", "Echo"])
    assert names(wsapi.rows("hierarchicalrequirement", fetch="Name", order="Name desc")) == \
        sorted(["Delta", "alpha", "Charlie", "Bravo", "Echo"], reverse=True)
    rows = wsapi.rows("hierarchicalrequirement", fetch="Name,PlanEstimate", order="PlanEstimate DESC,Name")
    assert names(rows) == ["Charlie", "Delta", "Bravo", "Echo", "alpha"]
    # STATE attributes sort by allowed-value position, not by text
    rows = wsapi.rows("hierarchicalrequirement", fetch="Name", order="ScheduleState,Name")
    assert names(rows) == ["Bravo", "Delta", "Charlie", "Echo", "alpha"]
    # no order: ObjectID ascending (creation order)
    assert names(wsapi.rows("hierarchicalrequirement", fetch="Name")) == ["Delta", "alpha", "Charlie", "Bravo", "Echo"]


def test_order_dotted(wsapi: Wsapi) -> None:
    root = wsapi.default_project()
    zed = wsapi.create("project", {"Name": "Zed", "Parent": root["_ref"]})
    wsapi.create("defect", {"Name": "in zed", "Project": zed["_ref"]})
    wsapi.create("defect", {"Name": "in sample", "Project": root["_ref"]})
    assert names(wsapi.rows("defect", fetch="Name", order="Project.Name")) == ["in sample", "in zed"]
    assert names(wsapi.rows("defect", fetch="Name", order="Project.Name desc")) == ["in zed", "in sample"]


def test_order_rank_follows_ranking(wsapi: Wsapi, stories) -> None:
    by_name = {s["Name"]: s for s in stories}
    assert names(wsapi.rows("hierarchicalrequirement", fetch="Name", order="Rank")) == \
        ["Delta", "alpha", "Charlie", "Bravo", "Echo"]
    wsapi.update(by_name["Echo"]["_ref"], {}, rankTo="TOP")
    wsapi.update(by_name["Delta"]["_ref"], {}, rankAbove=by_name["Bravo"]["_ref"])
    wsapi.update(by_name["alpha"]["_ref"], {"Notes": "n"}, rankTo="BOTTOM")
    ranked = names(wsapi.rows("hierarchicalrequirement", fetch="Name", order="Rank"))
    assert ranked == ["Echo", "Charlie", "Delta", "Bravo", "alpha"]
    assert names(wsapi.rows("hierarchicalrequirement", fetch="Name", order="Rank desc")) == ranked[::-1]
    ranks = [r["DragAndDropRank"] for r in wsapi.rows("hierarchicalrequirement", fetch="DragAndDropRank", order="Rank")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 5


def test_order_unknown_attribute(wsapi: Wsapi, stories) -> None:
    qr = wsapi.query("hierarchicalrequirement", order="Invalid Order")
    assert qr["Errors"] == ["Cannot sort using unknown attribute Invalid"]
    assert qr["Results"] == []


# -- paging ----------------------------------------------------------------------------------

@pytest.fixture
def many(wsapi: Wsapi) -> list[str]:
    """45 defects, all with the same State (so order=State needs the ObjectID tie-breaker)."""
    return [wsapi.create("defect", {"Name": f"D{i:02d}"}, fetch="ObjectID")["_ref"] for i in range(45)]


def test_paging_defaults_pages_and_clamp(wsapi: Wsapi, many) -> None:
    qr = wsapi.query("defect")
    assert (qr["StartIndex"], qr["PageSize"], qr["TotalResultCount"], len(qr["Results"])) == (1, 20, 45, 20)
    qr = wsapi.query("defect", start=41, pagesize=20)
    assert (qr["StartIndex"], len(qr["Results"])) == (41, 5)
    qr = wsapi.query("defect", start=46)
    assert qr["Results"] == [] and qr["TotalResultCount"] == 45
    qr = wsapi.query("defect", pagesize=100000)
    assert qr["PageSize"] == 2000 and len(qr["Results"]) == 45 and qr["Errors"] == []
    qr = wsapi.query("defect", pagesize=2000)
    assert qr["PageSize"] == 2000


def test_paging_is_stable_with_object_id_tie_break(wsapi: Wsapi, many) -> None:
    for order in ("State", "State desc", "Severity,Priority"):
        seen: list[str] = []
        for start in (1, 8, 15, 22, 29, 36, 43):
            seen += [r["_ref"] for r in wsapi.rows("defect", order=order, start=start, pagesize=7)]
        assert seen == many, order  # every row once, in ObjectID order within equal keys


# -- scoping ---------------------------------------------------------------------------------

@pytest.fixture
def tree(wsapi: Wsapi) -> list[dict]:
    """Sample Project > P1 > P2 > P3, one story in each."""
    projects = [wsapi.default_project()]
    for name in ("P1", "P2", "P3"):
        projects.append(wsapi.create("project", {"Name": name, "Parent": projects[-1]["_ref"]}))
    for i, p in enumerate(projects):
        wsapi.create("hierarchicalrequirement", {"Name": f"S{i}", "Project": p["_ref"]})
    return projects


@pytest.mark.parametrize(("level", "params", "expected"), [
    (1, {}, ["S1", "S2", "S3"]),  # Rally's default: scope down, not up
    (1, {"projectScopeDown": "false"}, ["S1"]),
    (1, {"projectScopeDown": "true", "projectScopeUp": "false"}, ["S1", "S2", "S3"]),
    (2, {"projectScopeUp": "true", "projectScopeDown": "false"}, ["S0", "S1", "S2"]),
    (2, {"projectScopeUp": "true", "projectScopeDown": "true"}, ["S0", "S1", "S2", "S3"]),
    (3, {"projectScopeDown": "true"}, ["S3"]),
    (0, {"projectScopeDown": "false"}, ["S0"]),
])
def test_project_scoping(wsapi: Wsapi, tree, level: int, params: dict, expected: list[str]) -> None:
    for ref in (tree[level]["_ref"], "/" + tree[level]["_ref"].split(f"{API}/")[1],
                tree[level]["_ref"].split(f"{API}/")[1]):
        rows = wsapi.rows("hierarchicalrequirement", fetch="Name", order="Name", project=ref, **params)
        assert names(rows) == expected, (ref, params)


def test_project_null_is_the_whole_workspace(wsapi: Wsapi, tree) -> None:
    rows = wsapi.rows("hierarchicalrequirement", fetch="Name", order="Name", project="null",
                      projectScopeDown="false")
    assert names(rows) == ["S0", "S1", "S2", "S3"]


def test_workspace_scoping(wsapi: Wsapi, tree) -> None:
    other = wsapi.create("workspace", {"Name": "Other"})
    project = wsapi.create("project", {"Name": "Elsewhere", "Workspace": other["_ref"]})
    wsapi.create("hierarchicalrequirement", {"Name": "Far", "Project": project["_ref"]}, workspace=other["_ref"])
    assert "Far" not in names(wsapi.rows("hierarchicalrequirement", fetch="Name", project="null"))
    rows = wsapi.rows("hierarchicalrequirement", fetch="Name", workspace=other["_ref"], project="null")
    assert names(rows) == ["Far"]
    assert names(wsapi.rows("project", fetch="Name", workspace=other["_ref"], project="null")) == ["Elsewhere"]


# -- GET as POST -----------------------------------------------------------------------------

def test_post_form_method_get_is_a_query(wsapi: Wsapi, stories) -> None:
    before = wsapi.fingerprint()
    r = wsapi.request("POST", "hierarchicalrequirement.js", params={"key": "ignored"},
                      data={"_method": "GET", "fetch": "Name", "order": "Name desc", "pagesize": "2",
                            "query": '(PlanEstimate = 3)'})
    assert r.status_code == 200
    qr = r.json()["QueryResult"]
    assert qr["Errors"] == [] and qr["PageSize"] == 2 and qr["TotalResultCount"] == 2
    assert names(qr["Results"]) == ["Delta", "Charlie"]
    assert wsapi.fingerprint() == before


# -- collections -----------------------------------------------------------------------------

def test_collection_read_with_query_fetch_order_paging(wsapi: Wsapi) -> None:
    story = wsapi.create("hierarchicalrequirement", {"Name": "Parent"})
    other = wsapi.create("hierarchicalrequirement", {"Name": "Other"})
    for i, state in enumerate(["Defined", "Completed", "Completed", "In-Progress", "Completed"]):
        wsapi.create("task", {"Name": f"T{i}", "State": state, "WorkProduct": story["_ref"]})
    wsapi.create("task", {"Name": "Elsewhere", "State": "Completed", "WorkProduct": other["_ref"]})
    tasks_ref = wsapi.read(story["_ref"])["Tasks"]["_ref"]
    assert tasks_ref.endswith(f"/HierarchicalRequirement/{oid_of(story['_ref'])}/Tasks")
    qr = wsapi.query(tasks_ref)
    # Without fetch, collection members come with their fields (as upstream pyral's live tests expect).
    assert qr["TotalResultCount"] == 5 and set(qr["Results"][0]) > REF_KEYS and "State" in qr["Results"][0]
    assert names(wsapi.rows(tasks_ref, fetch="Name")) == ["T0", "T1", "T2", "T3", "T4"]
    qr = wsapi.query(tasks_ref, query="(State = Completed)", fetch="Name,State", order="Name desc",
                     pagesize=2, start=2)
    assert qr["TotalResultCount"] == 3 and qr["StartIndex"] == 2 and qr["PageSize"] == 2
    assert [(r["Name"], r["State"]) for r in qr["Results"]] == [("T2", "Completed"), ("T1", "Completed")]
    # lower-case collection name and .js suffix work too
    assert wsapi.query(f"hierarchicalrequirement/{oid_of(story['_ref'])}/tasks.js")["TotalResultCount"] == 5
    bad = wsapi.query(tasks_ref, query="(Nope = 1)")
    assert bad["Errors"][0].startswith("Could not parse: ")
