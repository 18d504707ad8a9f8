"""Upstream pyral 1.7.0 writes against the emulator (create/update/delete, custom fields,
reference forms, collection add/remove, Rally's error texts) and its schema, allowed-value,
state and user helpers (upstream test_field_access, test_allowed_values, test_convenience, VSM
error tests, on seeded data)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.upstream

RESTAPI_ERROR = "pyral.restapi.RallyRESTAPIError"
SALLY = "sally@example.com"


@pytest.fixture(scope="module")
def result(drive, wsapi):
    ws = wsapi.workspace()
    typedef = wsapi.query("typedefinition", query='(TypePath = "HierarchicalRequirement")',
                          workspace=wsapi.short_ref(ws))[0]
    wsapi.create("AttributeDefinition", {"Name": "NumberofCases", "AttributeType": "INTEGER",
                                         "TypeDefinition": typedef["_ref"]})
    wsapi.create("AttributeDefinition", {"Name": "AffectedCustomers", "AttributeType": "STRING",
                                         "TypeDefinition": typedef["_ref"]})
    wsapi.create("User", {"UserName": SALLY, "EmailAddress": SALLY, "DisplayName": "Sally Submitter"})
    wsapi.create("Tag", {"Name": "compat"})
    wsapi.create("Milestone", {"Name": "Launch", "TargetDate": "2030-01-01"})
    return drive("crud", data={"sally": SALLY})


def test_create_returns_hydrated_entity(result):
    out = result["create_defect"]
    assert out["fid"].startswith("DE") and out["oid_is_int"] is True
    assert (out["name"], out["state"], out["severity"]) == ("Created by upstream", "Open", "Major Problem")
    assert out["project"] == "Sample Project"
    assert out["class"] == "Defect"
    assert out["ref"].startswith("defect/")


def test_update_by_object_id_and_formatted_id(result):
    assert result["update_by_object_id"]["state"] == "Fixed"
    assert result["update_by_object_id"]["priority"] == "Normal"
    out = result["update_by_formatted_id"]
    assert out["name"] == "Renamed by upstream" and out["ready"] is True
    assert out["requeried"] == ["Renamed by upstream", "Fixed", True, "Normal"]


def test_update_unknown_formatted_id(result):
    err = result.error("update_unknown_formatted_id")
    assert err["type"] == RESTAPI_ERROR
    assert "Target Defect DE99999 could not be located" in err["message"]


def test_delete_by_object_id_and_formatted_id(result):
    assert result["delete_by_object_id_and_formatted_id"] == {"by_oid": True, "by_fid": True, "left": 0}


def test_custom_fields_with_and_without_prefix(result):
    out = result["custom_fields_bare_and_prefixed"]
    assert out["bare"] == [9, 9, "abc, xyz"]
    assert out["prefixed"] == [4, "def, jkl"]


def test_custom_fields_in_queries_and_fetch(result):
    out = result["custom_fields_in_queries_and_fetch"]
    assert out["list_query"] == [["Custom via bare name", 9, "abc, xyz"]]
    assert out["dict_query"] == [["Custom via prefix", 4]]
    assert out["string_fetch"] == [["Custom via bare name", 9], ["Custom via prefix", 4]]
    assert result["custom_field_update"] == 12


def test_bad_reference_value(result):
    err = result.error("bad_reference_value")
    assert err["type"] == RESTAPI_ERROR
    assert 'Cannot parse object reference from "InfinityDrain"' in err["message"]


def test_bad_allowed_value(result):
    for label, value in [("bad_allowed_value", "Gougetakos"), ("bad_allowed_value_on_update", "Half-Gainer")]:
        err = result.error(label)
        assert err["type"] == RESTAPI_ERROR
        assert " is invalid.  Valid values are: " in err["message"] or f"{value} is an invalid value" in err["message"]
    assert "Unable to update the Defect" in result.error("bad_allowed_value_on_update")["message"]


def test_reference_forms_in_payloads(result):
    assert result["reference_forms"] == {"short": True, "full": True, "slash": True, "relative_to_base": True}


def test_portfolio_item_feature(result):
    out = result["portfolio_item_feature"]
    assert out["fid"].startswith("F")
    # create() re-reads by OID: the envelope key "Feature" makes upstream build PortfolioItem_Feature
    assert (out["class"], out["type_path"]) == ("PortfolioItem_Feature", "portfolioitem/feature")
    assert out["queried"] == ["PortfolioItem", "PortfolioItem/Feature", "PortfolioItem"]
    assert out["ref"].startswith("feature/")  # ElementName-based ref, resolved by the emulator
    assert out["story_feature"] == out["fid"]
    assert out["renamed"] == "Renamed feature"
    assert out["story_deleted"] is True and out["deleted"] is True


def test_collection_add_and_drop(result):
    assert result["collection_add_and_drop"] == {"added": ["compat"], "after_drop": []}
    assert result["milestones_on_feature"] == {"added": ["Launch"], "after_drop": []}


def test_allowed_values(result):
    out = result["allowed_values"]
    assert {"Submitted", "Open", "Fixed", "Closed"} <= set(out["defect_state"])
    assert out["story_milestones"] == [True]  # upstream quirk: the resolver's return value
    assert out["story_milestone"] is None
    assert {"Defined", "In-Progress", "Completed", "Accepted"} <= set(out["schedule_state"])


def test_typedef(result):
    out = result["typedef_feature"]
    assert out["type"] == "TypeDefinition"
    assert out["type_path"] == "PortfolioItem/Feature"
    assert out["ref"].startswith("typedefinition/")


def test_schema_info(result):
    out = result["schema_info"]
    assert out["count"] > 50
    assert out["subscriptions"] == 1 and out["sub_attrs"] > 15
    assert out["story_customs"] == ["c_AffectedCustomers", "c_NumberofCases"]


def test_states(result):
    out = result["states"]
    assert len(out["initiative"]) == 4 and "Discovering" in out["initiative"]
    assert out["feature_state"] == ["State", "Discovering"]


def test_user_info(result, upstream_emulator):
    out = result["user_info"]
    assert out["me"] == [["Emulator Admin", upstream_emulator.admin_user, "Default Workspace"]]
    assert out["sally"] == [["Sally Submitter", SALLY, "Sally Submitter"]]
    assert out["by_name"] == [SALLY]
    assert out["by_oid"] == SALLY


def test_all_users(result):
    out = result["all_users"]
    assert out["display_names"].count("Sally Submitter") == 1
    assert "Emulator Admin" in out["display_names"]
    assert out["admin_profile"] == ["Default Workspace"]  # the subscription admin gets profiles joined
