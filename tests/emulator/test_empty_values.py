"""Unset values by attribute type, as real Rally responses show them.

Source: ../shared/docs/wsapi-more.md §7 (GO: a real full Defect read from Dec 2025; NG: the
rally-node-ng update capture, whose Defect has ``Description: ""``).  Typed clients validate
drop-downs against their allowed values, so ``""`` where Rally sends null breaks them.
"""

from __future__ import annotations

from wsapi_client import Wsapi, load_capture


def test_new_defect_empty_values_by_attribute_type(wsapi: Wsapi) -> None:
    defect = wsapi.read(wsapi.create("defect", {"Name": "empty"})["_ref"], fetch="true")
    # TEXT -> ""
    assert (defect["Description"], defect["Notes"]) == ("", "")
    # STRING -> null
    for name in ("BlockedReason", "FixedInBuild", "TargetBuild", "SalesforceCaseID", "FoundInBuild"):
        assert defect[name] is None, name
    # RATING drop-downs -> their own empty value "None"
    assert [defect[n] for n in ("Priority", "Severity", "Environment", "Resolution")] == ["None"] * 4
    # a STRING drop-down whose allowed values include "" keeps "" (its own empty value)
    assert defect["Package"] == ""
    # objects, estimates and dates not reached -> null; rollups -> 0.0 and "NONE"
    for name in ("Owner", "Iteration", "Release", "Requirement", "TestCase", "PlanEstimate",
                 "AcceptedDate", "ClosedDate", "InProgressDate", "OpenedDate"):
        assert defect[name] is None, name
    assert (defect["TaskEstimateTotal"], defect["TaskStatus"], defect["TestCaseStatus"]) == (0.0, "NONE", "NONE")
    assert defect["State"] == "Submitted"


def test_new_test_case_has_null_last_verdict_and_build(wsapi: Wsapi) -> None:
    """"" is not an allowed LastVerdict, so Rally gives null (issue 9, typed clients)."""
    tc = wsapi.create("testcase", {"Name": "TC"})
    read = wsapi.read(tc["_ref"], fetch="LastVerdict,LastBuild,LastRun,LastResult,Description,ValidationInput")
    assert (read["LastVerdict"], read["LastBuild"], read["LastRun"], read["LastResult"]) == (None,) * 4
    assert read["Description"] == "" and read["ValidationInput"] == ""
    rows = wsapi.rows("testcase", fetch="LastVerdict", query='(Name = "TC")')
    assert rows[0]["LastVerdict"] is None


def test_capture_agrees_text_is_empty_string() -> None:
    """The real update capture shows an unset Description (TEXT) as ""."""
    obj = load_capture("updateSuccess.json")["OperationResult"]["Object"]
    assert obj["Description"] == ""


def test_cleared_string_reads_null_and_bad_value_is_refused(wsapi: Wsapi) -> None:
    defect = wsapi.create("defect", {"Name": "d", "FixedInBuild": "1.2"})
    assert defect["FixedInBuild"] == "1.2"
    wsapi.update(defect["_ref"], {"FixedInBuild": None})
    assert wsapi.read(defect["_ref"], fetch="FixedInBuild")["FixedInBuild"] is None
    before = wsapi.fingerprint()
    bad = wsapi.update_raw(defect["_ref"], {"Defect": {"Priority": ""}})
    assert bad["Errors"] and wsapi.fingerprint() == before
