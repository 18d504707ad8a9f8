"""Sans-I/O unit tests (request building, envelope parsing on dicts, refs, class map), plus a few
client checks of the same helpers against the emulator over sockets."""

from __future__ import annotations

from typing import Any

import pytest

from pyral import Rally
from pyral import protocol as proto
from pyral.entity import HierarchicalRequirement, PortfolioItem, classFor
from pyral.errors import (
    InvalidRallyTypeNameError,
    RallyAttributeNameError,
    RallyResponseError,
    RallyValidationError,
)

# -- sans-I/O core ---------------------------------------------------------------------------


def test_query_request_order_and_encoding() -> None:
    req = proto.query_request("HierarchicalRequirement", fetch="FormattedID,Name",
                              query='(FormattedID = "US3")', order="Rank ASC",
                              context=proto.context_params("workspace/1", "project/2"), pagesize=3, start=1)
    assert [k for k, _ in req.params] == ["fetch", "query", "order", "workspace", "project", "projectScopeUp",
                                         "projectScopeDown", "pagesize", "start"]
    qs = req.query_string()
    assert "fetch=FormattedID,Name" in qs and "workspace=workspace/1" in qs
    assert "query=%28FormattedID%20%3D%20%22US3%22%29" in qs
    assert proto.page_request(req, 4).query_string().endswith("start=4")
    assert req.idempotent and not proto.create_request("defect", "Defect", {}).idempotent


def test_parse_envelopes() -> None:
    env = proto.parse_envelope({"QueryResult": {"Errors": [], "Warnings": ["w"], "TotalResultCount": 9,
                                                "StartIndex": 1, "PageSize": 3, "Results": [{"a": 1}]}})
    assert (env.kind, env.total, env.page_size, env.warnings, env.results) == ("Query", 9, 3, ["w"], [{"a": 1}])
    single = proto.parse_envelope({"Defect": {"_ref": "x/defect/1", "Errors": [], "Warnings": [], "Name": "n"}})
    assert single.kind == "ImpliedQuery" and single.obj == {"_ref": "x/defect/1", "Name": "n", "_type": "Defect"}
    bad = proto.parse_envelope({"CreateResult": {"Errors": ["boom"], "Warnings": []}})
    assert bad.kind == "Create" and bad.errors == ["boom"] and bad.obj is None
    with pytest.raises(RallyResponseError):
        proto.parse_envelope(["not", "an", "envelope"])


def test_ref_helpers() -> None:
    ref = "https://h:8443/slm/webservice/v2.0/portfolioitem/feature/77"
    assert proto.ref_path(ref) == "portfolioitem/feature/77"
    assert proto.oid_from_ref(ref) == 77
    assert proto.type_path_from_ref(ref) == "portfolioitem/feature"
    assert proto.ref_path("/project/12") == "project/12"
    for fid in ("F12", "DE3", "US10", "TC4", "OP3985"):
        assert proto.is_formatted_id(fid)
    assert not proto.is_formatted_id("12") and proto.is_oid("12") and not proto.is_oid(True)
    assert proto.flag("True") == "true" and proto.flag(1) == "true" and proto.flag("no") == "false"
    with pytest.raises(ValueError):
        proto.checked_start(0)
    assert proto.clamp_pagesize(5000) == 2000


def test_classfor_and_hierarchy() -> None:
    assert classFor["Story"] is HierarchicalRequirement is classFor["UserStory"]
    assert issubclass(classFor["PortfolioItem/Feature"], PortfolioItem)
    assert classFor["VSMIncident"].__name__ == "VSMIncident"


# -- the same helpers through a client, against the emulator --------------------------------------


def test_official_names(rally: Rally) -> None:
    assert rally._official_name("epic") == "PortfolioItem/Epic"
    assert rally._official_name("user story") == "HierarchicalRequirement"
    assert rally._official_name("feature") == "PortfolioItem/Feature"
    assert rally._official_name("PORTFOLIOITEM/FEATURE") == "PortfolioItem/Feature"
    assert rally._official_name("defect") == "Defect"
    for bad in ("Payjammas", "Project,Workspace", "", "SchemaItem"):
        with pytest.raises(InvalidRallyTypeNameError):
            rally._official_name(bad)
    with pytest.raises(RallyAttributeNameError, match="Bogus"):
        rally.create("Story", {"Name": "x", "Bogus": 1})


def test_credentials_never_shown(emu: Any, connect_both: Any) -> None:
    req = proto.create_request("defect", "Defect", {"Name": "x"}, key="SECRET-TOKEN")
    assert "SECRET-TOKEN" not in req.resource() + repr(req) and "key=%2A%2A%2A" in req.resource()
    rally, sent = connect_both(user=emu.admin_user, password=emu.admin_password)
    story = rally.create("Story", {"Name": "y"})
    token = rally.obtainSecurityToken()
    assert token and any(r.url.params.get("key") == token for r in sent.sent)  # it was really used
    ctx = rally.contextHelper.currentContext()
    resp = rally.get("Story")
    texts = [repr(rally), repr(ctx), ctx.identity(), repr(resp), resp.resource, repr(story),
             story.details()]
    with pytest.raises(RallyValidationError) as exc:
        rally.update("Story", {"ObjectID": story.oid, "Project": "nowhere"})
    texts.append(str(exc.value))
    for text in texts:
        for secret in (emu.admin_password, token):
            assert secret not in text
