"""LatestDiscussionAgeInMinutes: whole minutes since the newest post of the object's Discussion, by
the emulator's clock, computed when read (docs/emulator.md, "Test runs, timeboxes, discussion").

Every test freezes the clock and advances it: no sleeping, no wall-clock assertion.
"""

from __future__ import annotations

from datetime import UTC, datetime

from wsapi_client import API, Wsapi, inner

from pyral.emulator import Emulator

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
AGE = "LatestDiscussionAgeInMinutes"


def _age(wsapi: Wsapi, ref: str) -> object:
    return wsapi.read(ref, fetch=AGE)[AGE]


def _post(wsapi: Wsapi, artifact: dict, text: str = "hello") -> dict:
    return wsapi.create("conversationpost", {"Artifact": artifact["_ref"], "Text": text})


def test_the_age_counts_minutes_from_the_newest_post(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    defect = wsapi.create("defect", {"Name": "talked about"})
    assert defect[AGE] is None and _age(wsapi, defect["_ref"]) is None
    first = _post(wsapi, defect)
    assert _age(wsapi, defect["_ref"]) == 0
    emulator.advance_clock(59.999)
    assert _age(wsapi, defect["_ref"]) == 0
    emulator.advance_clock(0.001)
    assert _age(wsapi, defect["_ref"]) == 1
    emulator.advance_clock(3600)
    assert _age(wsapi, defect["_ref"]) == 61
    second = _post(wsapi, defect, "newer")
    emulator.advance_clock(120)
    assert _age(wsapi, defect["_ref"]) == 2
    assert wsapi.delete(second["_ref"])["Errors"] == []
    assert _age(wsapi, defect["_ref"]) == 63
    wsapi.update(first["_ref"], {"Text": "edited"})  # an edit is not a newer post
    assert _age(wsapi, defect["_ref"]) == 63
    assert wsapi.delete(first["_ref"])["Errors"] == []
    assert _age(wsapi, defect["_ref"]) is None


def test_every_artifact_type_and_every_read_path_agree(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    story = wsapi.create("hierarchicalrequirement", {"Name": "s"})
    made = {
        "hierarchicalrequirement": story,
        "task": wsapi.create("task", {"Name": "t", "WorkProduct": story["_ref"]}),
        "testcase": wsapi.create("testcase", {"Name": "tc"}),
        "testset": wsapi.create("testset", {"Name": "ts"}),
        "defectsuite": wsapi.create("defectsuite", {"Name": "ds"}),
        "portfolioitem/feature": wsapi.create("portfolioitem/feature", {"Name": "f"}),
    }
    quiet = wsapi.create("hierarchicalrequirement", {"Name": "quiet"})
    for artifact in made.values():
        _post(wsapi, artifact)
    emulator.advance_clock(10 * 60 + 30)
    for path, artifact in made.items():
        assert _age(wsapi, artifact["_ref"]) == 10, path
    rows = wsapi.rows("hierarchicalrequirement", fetch=f"Name,{AGE}", order="Name")  # a page: loaded in one batch
    assert [(r["Name"], r[AGE]) for r in rows] == [("quiet", None), ("s", 10)]
    compact = wsapi.get(f"hierarchicalrequirement/{story['ObjectID']}", fetch=AGE, compact="true")
    assert inner(compact)[AGE] == 10
    listed = wsapi.rows("artifact", fetch=f"Name,{AGE}", query='(Name = "s")')
    assert [r[AGE] for r in listed] == [10]
    assert wsapi.delete(quiet["_ref"])["Errors"] == []  # nothing else changes it
    assert wsapi.read(story["_ref"], fetch=f"Discussion,{AGE}")[AGE] == 10


def test_an_objective_counts_its_own_posts(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    objective = wsapi.create("objective", {"Name": "o", "StartDate": "2026-01-01T00:00:00.000Z",
                                           "TargetDate": "2026-06-01T00:00:00.000Z"})
    assert _age(wsapi, objective["_ref"]) is None
    wsapi.create("objectiveconversationpost", {"Objective": objective["_ref"], "Text": "on track"})
    emulator.advance_clock(125)
    assert _age(wsapi, objective["_ref"]) == 2


def test_a_restored_artifact_keeps_its_discussion_age(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    defect = wsapi.create("defect", {"Name": "recycled"})
    _post(wsapi, defect)
    emulator.advance_clock(300)
    assert wsapi.delete(defect["_ref"])["Errors"] == []
    entry = wsapi.rows("recyclebinentry", query=f'(ID = "{defect["FormattedID"]}")', fetch="ObjectID")[0]
    assert wsapi.request("POST", f"/emulator/recyclebin/{entry['ObjectID']}/restore").status_code == 200
    emulator.advance_clock(60)
    assert _age(wsapi, defect["_ref"]) == 6


def test_a_viewer_reads_the_same_age(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    defect = wsapi.create("defect", {"Name": "shared"})
    _post(wsapi, defect)
    emulator.advance_clock(7 * 60)
    with wsapi.member("da@example.com", "Viewer") as viewer:
        seen = inner(viewer.get(f"{API}/defect/{defect['ObjectID']}", params={"fetch": AGE}).json())
        assert seen["Errors"] == [] and seen[AGE] == 7
        refused = inner(viewer.post(f"{API}/conversationpost/create",
                                    json={"ConversationPost": {"Artifact": defect["_ref"], "Text": "mine"}}).json())
        assert refused["Errors"] and refused["Errors"][0].startswith("Not authorized")
    assert _age(wsapi, defect["_ref"]) == 7


def test_the_age_cannot_be_written_and_bad_posts_change_nothing(wsapi: Wsapi, emulator: Emulator) -> None:
    emulator.set_clock(T0)
    defect = wsapi.create("defect", {"Name": "guarded"})
    _post(wsapi, defect)
    emulator.advance_clock(180)
    echo = wsapi.update_raw(defect["_ref"], {"Defect": {AGE: 0}})
    assert echo["Errors"] == [] and any(AGE in w for w in echo["Warnings"])
    assert _age(wsapi, defect["_ref"]) == 3
    before = wsapi.fingerprint()
    bad = wsapi.create_raw("conversationpost", {"ConversationPost": {"Artifact": "/defect/999999999", "Text": "x"}})
    assert bad["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    bad = wsapi.create_raw("conversationpost", {"ConversationPost": {"Artifact": defect["_ref"]}})
    assert bad["Errors"] and "Text" in bad["Errors"][0]
    assert wsapi.fingerprint() == before and _age(wsapi, defect["_ref"]) == 3
