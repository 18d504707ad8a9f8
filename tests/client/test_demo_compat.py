"""Upstream §11 scenarios on the demo data set and compat import paths (§10 fixes: test_upstream_bugs_fixed)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

import pyral
from pyral import Rally


@pytest.fixture
def demo(demo_emulator: Any) -> Any:
    demo_emulator.reset()
    return demo_emulator


@pytest.fixture
def drally(demo: Any) -> Any:
    with Rally(demo.url, apikey=demo.admin_api_key) as rally:
        yield rally


def test_big_threaded_query_counts_match(drally: Rally) -> None:
    resp = drally.get("Story", fetch="ObjectID,FormattedID,Name", pagesize=20, project=None)
    stories = list(resp)
    assert resp.resultCount >= 300 and len(stories) == resp.resultCount and resp.max_threads > 1
    assert len({s.oid for s in stories}) == len(stories)
    assert len(list(drally.get("Defect", fetch=True, pagesize=5, limit=15, project=None))) == 15


def test_project_scoping(demo: Any) -> None:
    with Rally(demo.url, apikey=demo.admin_api_key, project="Online Store") as rally:
        own = rally.get("Story", fetch="Project")
        down = rally.get("Story", fetch="Project", projectScopeDown=True)
        assert {s.Project.Name for s in own} == {"Online Store"}
        assert down.resultCount > own.resultCount
        up = rally.get("Story", fetch="Project", projectScopeUp=True)
        assert up.resultCount >= own.resultCount


def test_subset_operators(drally: Rally) -> None:
    got = list(drally.get("Story", fetch="ScheduleState", query="ScheduleState In Defined,In-Progress",
                          project=None, pagesize=100, limit=100))
    assert got and {s.ScheduleState for s in got} <= {"Defined", "In-Progress"}
    got = list(drally.get("Story", fetch="ScheduleState", query="ScheduleState !in Defined,Completed,Accepted",
                          project=None))
    assert {s.ScheduleState for s in got} == {"In-Progress"}


def test_custom_field_with_or_without_prefix(drally: Rally) -> None:
    defect = drally.create("Defect", {"Name": "custom", "Customer": "ACME"})
    assert defect.c_Customer == "ACME" and defect.Customer == "ACME"
    got = drally.get("Defect", fetch=["Name", "Customer"], query='Name = "custom"', instance=True)
    assert got.Customer == "ACME"
    updated = drally.update("Defect", {"ObjectID": defect.oid, "c_Customer": "Initech"})
    assert updated.Customer == "Initech"


def test_demo_users_and_workspaces(drally: Rally) -> None:
    assert len(drally.getAllUsers()) > 5
    names = [w.Name for w in drally.getWorkspaces()]
    assert "Default Workspace" in names and len(names) >= 2
    assert "My Project" in [p.Name for p in drally.getProjects()]


# -- compat import paths ------------------------------------------------------------------------


def test_upstream_import_paths() -> None:
    from pyral import RallyResponseError, RallyRESTAPIError, RallyRESTResponse, RallyUrlBuilder, rallyWorkset
    from pyral.cargotruck import CargoTruck
    from pyral.context import RallyContext, RallyContextHelper
    from pyral.context import RallyRESTAPIError as CtxError
    from pyral.entity import (
        InvalidRallyTypeNameError,
        UnrecognizedAllowedValuesReference,
        UnreferenceableOIDError,
        classFor,
    )
    from pyral.multiop import MultipleOperationError
    from pyral.rallyresp import ErrorResponse
    from pyral.rallyresp import RallyResponseError as RespError
    from pyral.rallyresp import RallyRESTResponse as Resp
    from pyral.restapi import RallyAttributeNameError, getCollection, getResourceByOID, hydrateAnInstance
    from pyral.restapi import RallyRESTAPIError as RestError

    assert CtxError is RestError is RallyRESTAPIError and RespError is RallyResponseError
    assert Resp is RallyRESTResponse and issubclass(RallyAttributeNameError, RallyRESTAPIError)
    assert {"Rally", "getResourceByOID", "getCollection", "hydrateAnInstance", "RallyUrlBuilder"} <= set(
        importlib.import_module("pyral.restapi").__all__)
    assert callable(getCollection) and callable(getResourceByOID) and callable(hydrateAnInstance)
    assert callable(rallyWorkset) and RallyUrlBuilder and RallyContext and RallyContextHelper
    assert "HierarchicalRequirement" in classFor and MultipleOperationError and ErrorResponse
    assert InvalidRallyTypeNameError("x").args[0] == "x" and UnreferenceableOIDError
    assert UnrecognizedAllowedValuesReference
    assert isinstance(pyral.__version__, tuple)
    cgo = CargoTruck(["a", "b"], 2)
    assert len(cgo.orders) == 2 and cgo.orders[0] == "a" and cgo.num_loaders == 2
    assert cgo.load(str.upper) == ["A", "B"]
    err = ErrorResponse(404, b"nope")
    assert err.resultCount == 0 and list(err) == [] and not err  # §10.12
