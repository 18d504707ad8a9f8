"""Milestone rollups: TotalArtifactCount, TotalProjectCount, ClosedProjectCount.

Sources: the schema capture and Rally's 2025 OpenAPI description list the three as read-only
INTEGERs of Milestone, beside its ``Artifacts`` and ``Projects`` collections (wsapi-protocol.md
§5.4: ``Artifacts``[C], ``Projects``[C], ``TotalArtifactCount``/``TotalProjectCount``(ro));
the 2025 description's MilestoneMutation lists ``Projects`` as writable and KB-192565 has users
add projects to a milestone, refused for a project they only view ("Not authorized to update").
Choices (docs/emulator.md): the artifact count counts every live artifact carrying the
milestone, whoever reads it; a recycled artifact stops counting and counts again when restored.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from wsapi_client import API, Wsapi, inner

COUNTS = "TotalArtifactCount,TotalProjectCount,ClosedProjectCount"


def _counts(wsapi: Wsapi, ref: str) -> tuple[int, int, int]:
    m = wsapi.read(ref, fetch=COUNTS)
    return m["TotalArtifactCount"], m["TotalProjectCount"], m["ClosedProjectCount"]


def test_artifact_count_follows_every_way_an_artifact_joins_or_leaves(wsapi: Wsapi) -> None:
    m = wsapi.create("milestone", {"Name": "Beta"})
    other = wsapi.create("milestone", {"Name": "GA"})
    assert (m["TotalArtifactCount"], m["TotalProjectCount"], m["ClosedProjectCount"]) == (0, 0, 0)
    story = wsapi.create("hierarchicalrequirement", {"Name": "s", "Milestones": [m["_ref"]]})
    defect = wsapi.create("defect", {"Name": "d", "Milestones": [m["_ref"], other["_ref"]]})
    wsapi.create("testcase", {"Name": "t", "Milestones": [m["_ref"]]})
    assert _counts(wsapi, m["_ref"])[0] == 3 and _counts(wsapi, other["_ref"])[0] == 1
    # an update replacing the artifact's Milestones moves it from one to the other
    wsapi.update(story["_ref"], {"Milestones": [other["_ref"]]})
    assert (_counts(wsapi, m["_ref"])[0], _counts(wsapi, other["_ref"])[0]) == (2, 2)
    # collection add/remove, from the artifact's side and from the milestone's
    wsapi.request("POST", f"{API}/hierarchicalrequirement/{story['ObjectID']}/Milestones/add",
                  json={"CollectionItems": [{"_ref": m["_ref"]}]}).raise_for_status()
    assert _counts(wsapi, m["_ref"])[0] == 3
    wsapi.request("POST", f"{API}/milestone/{m['ObjectID']}/Artifacts/remove",
                  json={"CollectionItems": [{"_ref": story["_ref"]}]}).raise_for_status()
    assert _counts(wsapi, m["_ref"])[0] == 2
    wsapi.request("POST", f"{API}/milestone/{m['ObjectID']}/Artifacts/add",
                  json={"CollectionItems": [{"_ref": story["_ref"]}]}).raise_for_status()
    assert _counts(wsapi, m["_ref"])[0] == 3
    # recycled: no longer counted; restored: counted again
    assert wsapi.delete(defect["_ref"])["Errors"] == []
    assert (_counts(wsapi, m["_ref"])[0], _counts(wsapi, other["_ref"])[0]) == (2, 1)
    entry = wsapi.rows("recyclebinentry", query=f'(ID = "{defect["FormattedID"]}")', fetch="ObjectID")[0]
    restored = wsapi.request("POST", f"/emulator/recyclebin/{entry['ObjectID']}/restore")
    assert restored.status_code == 200, restored.text
    assert (_counts(wsapi, m["_ref"])[0], _counts(wsapi, other["_ref"])[0]) == (3, 2)
    # a copy carries the milestone too
    copied = wsapi.request("POST", f"{API}/defect/{defect['ObjectID']}/copy")
    assert copied.status_code == 200 and not inner(copied.json()).get("Errors"), copied.text
    assert (_counts(wsapi, m["_ref"])[0], _counts(wsapi, other["_ref"])[0]) == (4, 3)
    # the count agrees with the collection, and a query sees it
    assert wsapi.read(m["_ref"], fetch="Artifacts")["Artifacts"]["Count"] == 4
    assert [r["Name"] for r in wsapi.rows("milestone", query="(TotalArtifactCount >= 4)", fetch="Name")] == ["Beta"]


def test_project_counts_follow_the_projects_list_and_their_state(wsapi: Wsapi) -> None:
    ws = wsapi.default_workspace()["_ref"]
    first = wsapi.default_project()
    second = wsapi.create("project", {"Name": "Second", "Workspace": ws})
    m = wsapi.create("milestone", {"Name": "Launch", "Projects": [first["_ref"]]})
    assert (m["TotalProjectCount"], m["ClosedProjectCount"]) == (1, 0)
    wsapi.request("POST", f"{API}/milestone/{m['ObjectID']}/Projects/add",
                  json={"CollectionItems": [{"_ref": second["_ref"]}]}).raise_for_status()
    assert _counts(wsapi, m["_ref"])[1:] == (2, 0)
    wsapi.update(second["_ref"], {"State": "Closed"})
    assert _counts(wsapi, m["_ref"])[1:] == (2, 1)
    wsapi.update(second["_ref"], {"State": "Open"})
    assert _counts(wsapi, m["_ref"])[1:] == (2, 0)
    wsapi.update(m["_ref"], {"Projects": [second["_ref"]]})
    assert _counts(wsapi, m["_ref"])[1:] == (1, 0)
    wsapi.request("POST", f"{API}/milestone/{m['ObjectID']}/Projects/remove",
                  json={"CollectionItems": [{"_ref": second["_ref"]}]}).raise_for_status()
    assert _counts(wsapi, m["_ref"])[1:] == (0, 0)


def test_demo_milestones_count_their_artifacts(demo_emulator) -> None:  # noqa: ANN001 - the plugin's fixture
    demo_emulator.reset()
    api = Wsapi(demo_emulator)
    try:
        milestones = api.rows("milestone", fetch=f"Name,Artifacts,{COUNTS}", pagesize=200)
        assert milestones and sum(m["TotalArtifactCount"] for m in milestones) > 0
        for m in milestones:
            assert m["TotalArtifactCount"] == m["Artifacts"]["Count"], m["Name"]
    finally:
        api.close()


@pytest.fixture
def team(wsapi: Wsapi) -> Iterator[tuple[httpx.Client, dict, dict]]:
    """A user who edits the default project and only views a second one (no role in a third)."""
    admin_ws = wsapi.default_workspace()["_ref"]
    edited = wsapi.default_project()
    viewed = wsapi.create("project", {"Name": "Viewed", "Workspace": admin_ws})
    hidden = wsapi.create("project", {"Name": "Hidden", "Workspace": admin_ws})
    user = wsapi.create("user", {"UserName": "ed@example.com", "EmailAddress": "ed@example.com"})
    for project, role in ((edited, "Editor"), (viewed, "Viewer")):
        wsapi.create("projectpermission", {"User": user["_ref"], "Project": project["_ref"], "Role": role})
    answer = wsapi.request("PUT", "/emulator/users/ed@example.com/credentials",
                           json={"api_key": "_key_ed_00000000000000000000"})
    assert answer.status_code == 200, answer.text
    client = httpx.Client(transport=wsapi.emu.transport(), base_url="http://emulator.test",
                          headers={"ZSESSIONID": "_key_ed_00000000000000000000"})
    yield client, viewed, hidden
    client.close()


def test_everyone_reads_the_count_of_all_artifacts(wsapi: Wsapi, team: tuple[httpx.Client, dict, dict]) -> None:
    client, _, hidden = team
    m = wsapi.create("milestone", {"Name": "Shared"})
    wsapi.create("defect", {"Name": "seen", "Milestones": [m["_ref"]]})
    wsapi.create("defect", {"Name": "unseen", "Milestones": [m["_ref"]], "Project": hidden["_ref"]})
    mine = inner(client.get(f"{API}/milestone/{m['ObjectID']}", params={"fetch": f"Artifacts,{COUNTS}"}).json())
    assert mine["Errors"] == [] and mine["TotalArtifactCount"] == 2
    assert mine["Artifacts"]["Count"] == 1  # the collection lists only what the reader may see
    listed = inner(client.get(f"{API}/milestone/{m['ObjectID']}/Artifacts", params={"fetch": "Name"}).json())
    assert [r["Name"] for r in listed["Results"]] == ["seen"]


def test_bad_input_changes_no_count(wsapi: Wsapi, team: tuple[httpx.Client, dict, dict]) -> None:
    client, viewed, _ = team
    m = wsapi.create("milestone", {"Name": "Guarded"})
    wsapi.create("defect", {"Name": "d", "Milestones": [m["_ref"]]})
    before, counts = wsapi.fingerprint(), _counts(wsapi, m["_ref"])
    # the rollups are read-only: ignored with Rally's warning
    echo = wsapi.update_raw(m["_ref"], {"Milestone": {"TotalArtifactCount": 99, "TotalProjectCount": 5}})
    assert echo["Errors"] == [] and any("TotalArtifactCount" in w for w in echo["Warnings"])
    assert _counts(wsapi, m["_ref"]) == counts
    before = wsapi.fingerprint()
    # a milestone or a project that does not exist
    bad = wsapi.create_raw("defect", {"Defect": {"Name": "x", "Milestones": ["/milestone/999999999"]}})
    assert bad["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    bad = wsapi.update_raw(m["_ref"], {"Milestone": {"Projects": ["/project/999999999"]}})
    assert bad["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    added = inner(wsapi.request("POST", f"{API}/milestone/{m['ObjectID']}/Artifacts/add",
                                json={"CollectionItems": [{"_ref": "/defect/999999999"}]}).json())
    assert added["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    # KB-192565: a project the caller only views cannot be put on a milestone
    refused = inner(client.post(f"{API}/milestone/{m['ObjectID']}",
                                json={"Milestone": {"Projects": [viewed["_ref"]]}}).json())
    assert refused["Errors"] == [f"Not authorized to update: Project {viewed['ObjectID']}"]
    assert wsapi.fingerprint() == before and _counts(wsapi, m["_ref"]) == counts


def test_a_viewer_only_project_on_a_milestone_freezes_its_projects_for_that_user(
        wsapi: Wsapi, team: tuple[httpx.Client, dict, dict]) -> None:
    """KB-192565: with a project the user only views on the milestone, the user may still change
    its fields but not its projects ("Not authorized to update ...")."""
    client, viewed, _ = team
    edited = wsapi.default_project()
    m = wsapi.create("milestone", {"Name": "Train", "Projects": [edited["_ref"]]})
    # while every project on it is one the user edits, the user changes the list
    ok = inner(client.post(f"{API}/milestone/{m['ObjectID']}/Projects/remove",
                           json={"CollectionItems": [{"_ref": edited["_ref"]}]}).json())
    assert ok["Errors"] == [] and _counts(wsapi, m["_ref"])[1] == 0
    wsapi.update(m["_ref"], {"Projects": [edited["_ref"], viewed["_ref"]]})  # an admin adds the viewed one
    before = wsapi.fingerprint()
    refused = f"Not authorized to update: Milestone {m['ObjectID']}"
    replaced = inner(client.post(f"{API}/milestone/{m['ObjectID']}",
                                 json={"Milestone": {"Projects": [edited["_ref"]]}}).json())
    assert replaced["Errors"] == [refused]
    removed = inner(client.post(f"{API}/milestone/{m['ObjectID']}/Projects/remove",
                                json={"CollectionItems": [{"_ref": edited["_ref"]}]}).json())
    assert removed["Errors"] == [refused]
    assert wsapi.fingerprint() == before and _counts(wsapi, m["_ref"])[1] == 2
    renamed = inner(client.post(f"{API}/milestone/{m['ObjectID']}", json={"Milestone": {"Name": "Train 2"}}).json())
    assert renamed["Errors"] == [] and renamed["Object"]["Name"] == "Train 2"
