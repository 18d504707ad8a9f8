"""DefectSuite.TotalDefectCount and ClosedDefectCount.

Sources: both are read-only INTEGERs of DefectSuite in the schema capture and Rally's 2025
description; a defect suite is "a collection of defects" (rallydev help, Manage Defect Suites),
its defects are ``Defect.DefectSuites`` / ``DefectSuite.Defects``, and Rally's help counts a defect
as closed when its State is "Closed" (Status Charts: "Active is defined as any defects with a
state other than Closed").  Choice (docs/emulator.md): every live defect counts, whoever reads.
"""

from __future__ import annotations

from wsapi_client import API, Wsapi


def _counts(wsapi: Wsapi, ref: str) -> tuple[int, int]:
    suite = wsapi.read(ref, fetch="TotalDefectCount,ClosedDefectCount")
    return suite["TotalDefectCount"], suite["ClosedDefectCount"]


def test_counts_follow_membership_state_and_the_recycle_bin(wsapi: Wsapi) -> None:
    suite = wsapi.create("defectsuite", {"Name": "Login bugs"})
    other = wsapi.create("defectsuite", {"Name": "Other"})
    assert (suite["TotalDefectCount"], suite["ClosedDefectCount"]) == (0, 0)
    first = wsapi.create("defect", {"Name": "a", "DefectSuites": [suite["_ref"]]})
    second = wsapi.create("defect", {"Name": "b", "State": "Closed", "DefectSuites": [suite["_ref"], other["_ref"]]})
    assert _counts(wsapi, suite["_ref"]) == (2, 1) and _counts(wsapi, other["_ref"]) == (1, 1)
    wsapi.update(first["_ref"], {"State": "Closed"})
    assert _counts(wsapi, suite["_ref"]) == (2, 2)
    wsapi.update(first["_ref"], {"State": "Open"})
    assert _counts(wsapi, suite["_ref"]) == (2, 1)
    wsapi.request("POST", f"{API}/defectsuite/{suite['ObjectID']}/Defects/remove",
                  json={"CollectionItems": [{"_ref": second["_ref"]}]}).raise_for_status()
    assert _counts(wsapi, suite["_ref"]) == (1, 0)
    wsapi.request("POST", f"{API}/defect/{second['ObjectID']}/DefectSuites/add",
                  json={"CollectionItems": [{"_ref": suite["_ref"]}]}).raise_for_status()
    assert _counts(wsapi, suite["_ref"]) == (2, 1)
    wsapi.update(second["_ref"], {"DefectSuites": [suite["_ref"]]})
    assert _counts(wsapi, other["_ref"]) == (0, 0)
    assert wsapi.delete(second["_ref"])["Errors"] == []
    assert _counts(wsapi, suite["_ref"]) == (1, 0)
    entry = wsapi.rows("recyclebinentry", query=f'(ID = "{second["FormattedID"]}")', fetch="ObjectID")[0]
    assert wsapi.request("POST", f"/emulator/recyclebin/{entry['ObjectID']}/restore").status_code == 200
    assert _counts(wsapi, suite["_ref"]) == (2, 1)
    assert wsapi.read(suite["_ref"], fetch="Defects")["Defects"]["Count"] == 2


def test_bad_input_changes_no_count(wsapi: Wsapi) -> None:
    suite = wsapi.create("defectsuite", {"Name": "Guarded"})
    defect = wsapi.create("defect", {"Name": "a", "DefectSuites": [suite["_ref"]]})
    before = wsapi.fingerprint()
    bad = wsapi.update_raw(defect["_ref"], {"Defect": {"State": "Exploded", "DefectSuites": []}})
    assert bad["Errors"] and bad["Errors"][0].startswith("Validation error")
    bad = wsapi.update_raw(defect["_ref"], {"Defect": {"DefectSuites": ["/defectsuite/999999999"]}})
    assert bad["Errors"] == ["Could not read: Could not read referenced object 999999999"]
    assert wsapi.fingerprint() == before and _counts(wsapi, suite["_ref"]) == (1, 0)
    echo = wsapi.update_raw(suite["_ref"], {"DefectSuite": {"TotalDefectCount": 7}})
    assert echo["Errors"] == [] and any("TotalDefectCount" in w for w in echo["Warnings"])
    assert _counts(wsapi, suite["_ref"]) == (1, 0)
