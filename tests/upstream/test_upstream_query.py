"""Upstream pyral 1.7.0 queries against the emulator: every query form upstream's formatter
builds (pyral-compat §5.1), fetch, order, paging, project scoping and ``instance=True``.
Modelled on upstream test_query.py / test_field_access.py, with expectations computed from the
data seeded here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.upstream

SALLY = "sally@example.com"
SPECIAL = "/!@#$%^*_-+=?{}[]:;,.<>"

# name, State, Priority, Severity, Resolution, TargetDate, Ready, owner
DEFECTS: list[dict[str, Any]] = [
    dict(Name="Login fails on Tuesdays", State="Submitted", Priority="High Attention", Severity="Major Problem",
         Resolution="None", TargetDate="2016-09-20", Ready=False, owner=SALLY),
    dict(Name="Crash when saving", State="Submitted", Priority="Normal", Severity="Crash/Data Loss",
         Resolution="Architecture", TargetDate="2016-10-02", Ready=True, owner="admin"),
    dict(Name="Henry Hudson and Company crossed the bay", State="Open", Priority="Low", Severity="Minor Problem",
         Resolution="None", TargetDate="2016-10-15", Ready=False, owner=None),
    dict(Name="distinctive criteria of -32% degradation in rust protection", State="Submitted",
         Priority="High Attention", Severity="Cosmetic", Resolution="None", TargetDate="2016-11-05", Ready=False,
         owner=SALLY),
    dict(Name="Looking for the #blowback hashtag", State="Closed", Priority="None", Severity="None",
         Resolution="Code Change", TargetDate="2016-09-30", Ready=True, owner=None),
    dict(Name="Special chars:/!@#$%^*-=+[]{};:,.<>? in the name field", State="Fixed", Priority="Low",
         Severity="Minor Problem", Resolution="Code Change", TargetDate="2016-10-04", Ready=False, owner="admin"),
    dict(Name="snake_case_identifier mangled", State="Open", Priority="Normal", Severity="Cosmetic",
         Resolution="None", TargetDate="2016-12-01", Ready=False, owner=None),
    dict(Name="Tom & Jerry chase the cursor", State="Submitted", Priority="Normal", Severity="Major Problem",
         Resolution="Duplicate", TargetDate="2016-08-01", Ready=False, owner=SALLY),
    dict(Name="8.5 (Blah and Stuff)", State="Open", Priority="Resolve Immediately", Severity="Crash/Data Loss",
         Resolution="None", TargetDate="2016-10-01", Ready=True, owner=None),
    dict(Name="Slow report export", State="Submitted", Priority="High Attention", Severity="Major Problem",
         Resolution="None", TargetDate="2016-10-03", Ready=False, owner="admin"),
]

# project tree (upstream PROJECT_SCOPING_TREE): name -> (parent, [(story name, ScheduleState, PlanEstimate)])
TREE: dict[str, tuple[str | None, list[tuple[str, str, float]]]] = {
    "Arctic Elevation": (None, [("Polar bear census", "In-Progress", 3), ("Glacier mapping", "Accepted", 5),
                                ("Snow depth probe", "Defined", 1), ("Ice core log", "Completed", 8)]),
    "Aurora Borealis": ("Arctic Elevation", [("Green light study", "Accepted", 2),
                                             ("Night camera setup", "In-Progress", 5)]),
    "Sub Arctic Conditions": ("Arctic Elevation", [("Tundra boots review", "Defined", 3),
                                                   ("Moose crossing signs", "In-Progress", 1),
                                                   ("Caribou migration", "Accepted", 13)]),
    "Bristol Bay Barons": ("Sub Arctic Conditions", [("Salmon run forecast", "Completed", 2),
                                                     ("Harbour ice watch", "Accepted", 3)]),
}
for _defect in DEFECTS:
    _defect["FormattedID"] = None  # filled in by seeding
PAGING = [f"Page item {i}" for i in range(1, 8)]


def descendants(name: str) -> list[str]:
    kids = [p for p, (parent, _) in TREE.items() if parent == name]
    return kids + [d for k in kids for d in descendants(k)]


def ancestors(name: str) -> list[str]:
    parent = TREE[name][0]
    return [parent, *ancestors(parent)] if parent else []


def tree_stories(projects: list[str]) -> list[str]:
    return sorted(s for p in projects for s, _, _ in TREE[p][1])


def defects_where(pred) -> list[str]:
    return sorted(d["Name"] for d in DEFECTS if pred(d))


def fid_num(fid: str | None) -> int:
    return int(fid.lstrip("DEUS")) if fid else 0


@pytest.fixture(scope="module")
def seeded(wsapi) -> dict[str, Any]:
    ws = wsapi.workspace()
    sample = wsapi.project("Sample Project")
    sally = wsapi.create("User", {"UserName": SALLY, "EmailAddress": SALLY, "DisplayName": "Sally Submitter"})
    admin = wsapi.query("user", fetch="ObjectID,UserName", query=f'(UserName = "{wsapi.emu.admin_user}")')[0]
    owners = {SALLY: sally["_ref"], "admin": admin["_ref"], None: None}
    for d in DEFECTS:
        fields = {k: v for k, v in d.items() if k != "owner"}
        created = wsapi.create("Defect", {**fields, "Owner": owners[d["owner"]], "Project": sample["_ref"]})
        d["FormattedID"] = created["FormattedID"]
    wsapi.create("Release", {"Name": "8.5 (Blah and Stuff)", "ReleaseStartDate": "2016-09-01",
                             "ReleaseDate": "2016-12-01", "State": "Planning", "Project": sample["_ref"]})
    projects: dict[str, dict[str, Any]] = {}
    for name, (parent, stories) in TREE.items():
        body = {"Name": name, "Workspace": ws["_ref"], "Owner": sally["_ref"]}
        if parent:
            body["Parent"] = projects[parent]["_ref"]
        projects[name] = wsapi.create("Project", body)
        for i, (story, state, estimate) in enumerate(stories):
            owner = [SALLY, "admin", None][i % 3]
            wsapi.create("HierarchicalRequirement", {"Name": story, "ScheduleState": state, "PlanEstimate": estimate,
                                                     "Owner": owners[owner], "Project": projects[name]["_ref"]})
    paging = wsapi.create("Project", {"Name": "Paging", "Workspace": ws["_ref"]})
    for name in reversed(PAGING):
        wsapi.create("HierarchicalRequirement", {"Name": name, "Project": paging["_ref"]})
    return {"ws": ws, "projects": projects, "sample": sample, "sally": sally, "admin": admin}


def q(entity: str, fields: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    return {"entity": entity, "kwargs": kwargs, "fields": fields or ["Name"]}


def build_queries(seeded: dict[str, Any]) -> dict[str, dict[str, Any]]:
    arctic = seeded["projects"]["Arctic Elevation"]
    sample_oid = seeded["sample"]["ObjectID"]
    today = datetime.now(UTC)
    lo = (today - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    hi = (today + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    queries = {
        "plain_string": q("Defect", query='State = "Submitted"'),
        "parenned_string": q("Defect", query="(State = Submitted)"),
        "unparenned_and": q("Defect", query="State = Submitted AND FormattedID != US100"),
        "parenned_and": q("Defect", query="((State = Submitted) AND (FormattedID != US100))"),
        "list_one": q("Defect", query=["State != Open"]),
        "list_two": q("Defect", query=["State = Submitted", "FormattedID != US100"]),
        "list_three": q("Defect", query=["State = Submitted", "FormattedID != DE100", "Severity != UltraMegaHurt"]),
        "list_five": q("Defect", query=["State = Submitted", "FormattedID < DE9", "Resolution != Architecture",
                                        'Priority = "High Attention"', "Severity != Cosmetic"]),
        "dict_one": q("Defect", query={"State": "Submitted"}),
        "dict_two": q("Defect", query={"State": "Submitted", "Ready": "False"}),
        "dict_three": q("Defect", query={"State": "Submitted", "Ready": "False", "Priority": "High Attention"}),
        "and_inside_quotes": q("Defect", query=["State != Open", 'Name !contains "Henry Hudson and Company"']),
        "contains_and_inside_quotes": q("Defect", query='Name contains "Henry Hudson and Company"'),
        "percent_name": q("Defect", query='Name = "distinctive criteria of -32% degradation in rust protection"'),
        "hash_name": q("Defect", query='Name = "Looking for the #blowback hashtag"'),
        "all_specials_name": q("Defect", query='Name = "Special chars:/!@#$%^*-=+[]{};:,.<>? in the name field"'),
        "ampersand_contains": q("Defect", query='Name contains "&"'),
        "ampersand_equals": q("Defect", query='Name = "Tom & Jerry chase the cursor"'),
        "parens_in_value_release": q("Release", query='Name = "8.5 (Blah and Stuff)"'),
        "parens_in_value_defect": q("Defect", query='Name = "8.5 (Blah and Stuff)"'),
        "owner_username_or_null": q("Defect", query=f'Owner.UserName = "{SALLY}" OR Owner = null'),
        "owner_username": q("Defect", ["Name", "Owner.UserName"], query=f'Owner.UserName = "{SALLY}"'),
        "owner_short_ref": q("Defect", query=f"Owner = user/{seeded['sally']['ObjectID']}"),
        "project_name": q("Story", ["Name", "Project.Name"], query='Project.Name = "Aurora Borealis"', project=None),
        "project_short_ref": q("Defect", query=f"Project = project/{sample_oid}", project=None),
        "project_slash_ref": q("Defect", query=f"Project = /project/{sample_oid}", project=None),
        "parent_full_url": q("Project", query=["Name = \"Aurora Borealis\"", f"Parent = {arctic['_ref']}"],
                             project=None),
        "ored_parenned_projects": q("Project", query='(((Name = "Jenkins") OR (Name = "Aurora Borealis")) OR '
                                                     '((Name = "Paging") OR (Name = "Refusnik")))', project=None),
        "between": q("Defect", query="TargetDate between 2016-09-30T00:00:00Z and 2016-10-04T23:59:59Z"),
        "not_between": q("Defect", query="TargetDate !between 2016-09-30T00:00:00Z and 2016-11-01T00:00:00Z"),
        "creation_between": q("Defect", query=f"CreationDate between {lo} and {hi}"),
        "range_with_other_conds": q("Defect", query=["Owner != null", f"CreationDate between {lo} and {hi}",
                                                     "Project != null", 'Name contains "a"']),
        "in": q("Story", ["Name", "ScheduleState"], query="ScheduleState In Defined,In-Progress",
                project="Arctic Elevation", projectScopeDown=True),
        "not_in": q("Story", ["Name", "ScheduleState"], query="ScheduleState !in Defined,Completed",
                    project="Arctic Elevation", projectScopeDown=True),
        "not_in_three": q("Story", ["Name", "ScheduleState"], query="ScheduleState !in Defined,Completed,Accepted",
                          project="Arctic Elevation", projectScopeDown=True),
        "not_in_with_others": q("Story", ["Name", "ScheduleState"],
                                query=["PlanEstimate > 2", "ScheduleState !in Defined,Completed", 'Name !contains "oo"'],
                                project="Arctic Elevation", projectScopeDown=True),
        "formatted_id_exact": q("Defect", ["Name", "FormattedID"], query=f"FormattedID = {DEFECTS[2]['FormattedID']}"),
        "formatted_id_number_only": q("Defect", ["Name", "FormattedID"], query="FormattedID < 3"),
        "unknown_attribute": q("Defect", query="Fabulous = 3"),
        # order
        "order_fid_desc": q("Defect", ["FormattedID"], order="FormattedID desc"),
        "order_fid": q("Defect", ["FormattedID"], order="FormattedID"),
        "order_multi": q("Story", ["PlanEstimate", "Name"], order="PlanEstimate desc,Name",
                         project="Arctic Elevation", projectScopeDown=True),
        "order_dotted": q("Story", ["Project.Name", "Name"], order="Project.Name,Name", project="Arctic Elevation",
                          projectScopeDown=True),
        "order_rank": q("Story", ["Name", "DragAndDropRank"], fetch="Name,DragAndDropRank", order="Rank ASC",
                        project="Paging"),
        "order_rank_desc": q("Story", ["Name"], fetch="Name", order="Rank DESC", project="Paging"),
        # fetch
        "fetch_true": q("Project", ["_hydrated", "Name", "oid", "State", "Description"], fetch=True, project=None),
        "fetch_false": q("Defect", ["_hydrated"], fetch=False),
        "fetch_named_with_unknown": q("Project", ["Owner.UserName", "State", "Fabulote", "GammaRays"],
                                      fetch="Owner,State,Fabulote,GammaRays", query='Name = "Arctic Elevation"',
                                      project=None),
        "fetch_list": q("Defect", ["_hydrated", "Name", "FormattedID", "State", "Severity"],
                        fetch=["Name", "formattedid", "State"], query='Name contains "Slow"'),
        "fetch_partial_string": q("Defect", ["Name", "Priority", "Description"], fetch="Name,Priority",
                                  query='Name contains "Slow"'),
        # paging (7 items)
        "paging_pagesize_3": q("Story", ["Name"], fetch="Name", order="Name", project="Paging", pagesize=3),
        "paging_limit": q("Story", ["Name"], fetch="Name", order="Name", project="Paging", pagesize=3, limit=5),
        "paging_start": q("Story", ["Name"], fetch="Name", order="Name", project="Paging", pagesize=3, start=3),
        "paging_start_limit": q("Story", ["Name"], fetch="Name", order="Name", project="Paging", pagesize=2,
                                start=2, limit=4),
        # instance=True
        "instance_single": q("Defect", ["FormattedID", "Name", "__class__"],
                             query=f"FormattedID = {DEFECTS[0]['FormattedID']}", fetch=True, instance=True),
        "instance_many": q("Defect", ["Name"], query="State = Submitted", instance=True),
        "find_alias": q("Defect", ["Name"], query='State = "Closed"', fetch="Name"),
    }
    queries["find_alias"]["find"] = True
    for i, c in enumerate(SPECIAL):
        queries[f"special_{i}"] = q("Defect", query=f'Name contains "{c}"')
    for name in TREE:
        for up in (False, True):
            for down in (False, True):
                queries[f"scope|{name}|{up}|{down}"] = q("Story", ["Name", "Project.Name"], fetch="Name,Project",
                                                         project=name, projectScopeUp=up, projectScopeDown=down)
    return queries


@pytest.fixture(scope="module")
def result(drive, seeded):
    return drive("queries", data={"queries": build_queries(seeded)})


def got(result, label: str) -> list[str]:
    out = result[label]
    assert out["status"] == 200, out
    assert out["errors"] == [] and out["warnings"] == [], out
    assert len(out["items"]) == out["resultCount"]
    return sorted(item["Name"] for item in out["items"])


def expected_results() -> dict[str, list[str]]:
    """Expected names per label (computed late: FormattedIDs are known only after seeding)."""
    submitted = defects_where(lambda d: d["State"] == "Submitted")
    return {
        "plain_string": submitted,
        "parenned_string": submitted,
        "unparenned_and": submitted,
        "parenned_and": submitted,
        "list_one": defects_where(lambda d: d["State"] != "Open"),
        "list_two": submitted,
        "list_three": submitted,
        "list_five": defects_where(lambda d: d["State"] == "Submitted" and fid_num(d["FormattedID"]) < 9
                                   and d["Resolution"] != "Architecture" and d["Priority"] == "High Attention"
                                   and d["Severity"] != "Cosmetic"),
        "dict_one": submitted,
        "dict_two": defects_where(lambda d: d["State"] == "Submitted" and not d["Ready"]),
        "dict_three": defects_where(lambda d: d["State"] == "Submitted" and not d["Ready"]
                                    and d["Priority"] == "High Attention"),
        "and_inside_quotes": defects_where(lambda d: d["State"] != "Open" and "Henry Hudson and Company" not in d["Name"]),
        "contains_and_inside_quotes": ["Henry Hudson and Company crossed the bay"],
        "percent_name": ["distinctive criteria of -32% degradation in rust protection"],
        "hash_name": ["Looking for the #blowback hashtag"],
        "all_specials_name": ["Special chars:/!@#$%^*-=+[]{};:,.<>? in the name field"],
        "ampersand_contains": ["Tom & Jerry chase the cursor"],
        "ampersand_equals": ["Tom & Jerry chase the cursor"],
        "parens_in_value_release": ["8.5 (Blah and Stuff)"],
        "parens_in_value_defect": ["8.5 (Blah and Stuff)"],
        "owner_username_or_null": defects_where(lambda d: d["owner"] in (SALLY, None)),
        "owner_username": defects_where(lambda d: d["owner"] == SALLY),
        "owner_short_ref": defects_where(lambda d: d["owner"] == SALLY),
        "project_name": tree_stories(["Aurora Borealis"]),
        "project_short_ref": sorted(d["Name"] for d in DEFECTS),
        "project_slash_ref": sorted(d["Name"] for d in DEFECTS),
        "parent_full_url": ["Aurora Borealis"],
        "ored_parenned_projects": ["Aurora Borealis", "Paging"],
        "between": defects_where(lambda d: "2016-09-30" <= d["TargetDate"] <= "2016-10-04"),
        "not_between": defects_where(lambda d: not "2016-09-30" <= d["TargetDate"] <= "2016-11-01"),
        "creation_between": sorted(d["Name"] for d in DEFECTS),
        "range_with_other_conds": defects_where(lambda d: d["owner"] is not None and "a" in d["Name"].lower()),
        "formatted_id_exact": [DEFECTS[2]["Name"]],
        "formatted_id_number_only": sorted(d["Name"] for d in DEFECTS[:2]),
        "find_alias": defects_where(lambda d: d["State"] == "Closed"),
    }


LABELS = sorted(expected_results())  # FormattedIDs are placeholders (None) until seeding


@pytest.mark.parametrize("label", LABELS)
def test_query_form(result, label):
    assert got(result, label) == expected_results()[label]


@pytest.mark.parametrize("index", range(len(SPECIAL)))
def test_special_character_in_contains(result, index):
    char = SPECIAL[index]
    expected = defects_where(lambda d: char in d["Name"])
    assert expected, char
    assert got(result, f"special_{index}") == expected


def states(result, label: str) -> set[str]:
    got(result, label)
    return {item["ScheduleState"] for item in result[label]["items"]}


def test_in_operator(result):
    assert states(result, "in") == {"Defined", "In-Progress"}
    assert got(result, "in") == sorted(s for p in ["Arctic Elevation", *descendants("Arctic Elevation")]
                                       for s, st, _ in TREE[p][1] if st in ("Defined", "In-Progress"))


def test_not_in_operator(result):
    assert states(result, "not_in") == {"In-Progress", "Accepted"}
    assert states(result, "not_in_three") == {"In-Progress"}
    expected = sorted(s for p in ["Arctic Elevation", *descendants("Arctic Elevation")]
                      for s, st, est in TREE[p][1]
                      if est > 2 and st not in ("Defined", "Completed") and "oo" not in s.lower())
    assert got(result, "not_in_with_others") == expected


def test_query_on_unknown_attribute_is_an_error(result):
    out = result["unknown_attribute"]
    assert out["status"] == 422
    assert out["errors"] and "Fabulous" in out["errors"][0]


@pytest.mark.parametrize("name", list(TREE))
@pytest.mark.parametrize("up", [False, True])
@pytest.mark.parametrize("down", [False, True])
def test_project_scoping(result, name, up, down):
    projects = [name] + (ancestors(name) if up else []) + (descendants(name) if down else [])
    assert got(result, f"scope|{name}|{up}|{down}") == tree_stories(projects)


def test_order_by_formatted_id(result):
    desc = [i["FormattedID"] for i in result["order_fid_desc"]["items"]]
    asc = [i["FormattedID"] for i in result["order_fid"]["items"]]
    assert asc == sorted((d["FormattedID"] for d in DEFECTS), key=fid_num)
    assert desc == asc[::-1]


def test_order_multi_key(result):
    items = [(i["PlanEstimate"], i["Name"]) for i in result["order_multi"]["items"]]
    assert items == sorted(items, key=lambda t: (-t[0], t[1]))
    assert len(items) == 11
    dotted = [(i["Project.Name"], i["Name"]) for i in result["order_dotted"]["items"]]
    assert dotted == sorted(dotted)


def test_order_by_rank(result):
    items = result["order_rank"]["items"]
    ranks = [i["DragAndDropRank"] for i in items]
    assert ranks == sorted(ranks) and len(set(ranks)) == 7
    assert [i["Name"] for i in result["order_rank_desc"]["items"]] == [i["Name"] for i in items][::-1]


def test_fetch_true_hydrates(result):
    items = result["fetch_true"]["items"]
    assert len(items) >= 5
    for item in items:
        assert item["_hydrated"] is True and item["oid"] > 0 and item["Name"]
        assert item["State"] == "Open"
        assert item["Description"] != "<AttributeError>"


def test_fetch_false_gives_shells(result):
    items = result["fetch_false"]["items"]
    assert len(items) == len(DEFECTS)
    assert all(item["_hydrated"] is False for item in items)


def test_fetch_named_fields_ignores_unknown_ones(result):
    (item,) = result["fetch_named_with_unknown"]["items"]
    assert item["Owner.UserName"] == SALLY
    assert item["State"] == "Open"
    assert item["Fabulote"] == item["GammaRays"] == "<AttributeError>"


def test_fetch_list_and_partial_string(result):
    (item,) = result["fetch_list"]["items"]
    assert item["_hydrated"] is True
    assert (item["Name"], item["State"]) == ("Slow report export", "Submitted")
    assert item["FormattedID"].startswith("DE")
    assert item["Severity"] == "<AttributeError>"  # not fetched, and upstream does not lazy-load partial fetches
    (item,) = result["fetch_partial_string"]["items"]
    assert item["Priority"] == "High Attention"
    assert item["Description"] == "<AttributeError>"


def test_paging(result):
    out = result["paging_pagesize_3"]
    assert (out["resultCount"], out["pageSize"]) == (7, 3)
    assert [i["Name"] for i in out["items"]] == PAGING
    assert [i["Name"] for i in result["paging_limit"]["items"]] == PAGING[:5]
    assert [i["Name"] for i in result["paging_start"]["items"]] == PAGING[2:]
    assert [i["Name"] for i in result["paging_start_limit"]["items"]] == PAGING[1:5]


def test_instance_true(result):
    out = result["instance_single"]
    assert out["instance"] == "Defect"
    assert out["item"] == {"FormattedID": DEFECTS[0]["FormattedID"], "Name": DEFECTS[0]["Name"],
                           "__class__": "Defect"}
    many = result["instance_many"]
    assert many["response"] == "RallyRESTResponse"  # upstream returns the response when != 1 hit
    assert many["resultCount"] == len(defects_where(lambda d: d["State"] == "Submitted"))
