"""Unit tests of the client against an in-memory fake WSAPI (httpx.MockTransport)."""

from __future__ import annotations

import threading

import httpx
import pytest
from fakewsapi import HOST, FakeWSAPI

from pyral import Rally, RallyRESTResponse
from pyral import protocol as proto
from pyral.entity import HierarchicalRequirement, PortfolioItem, Task, classFor
from pyral.errors import (
    InvalidRallyTypeNameError,
    RallyAttributeNameError,
    RallyAuthError,
    RallyContextError,
    RallyNotFoundError,
    RallyResponseError,
)
from pyral.transport import SyncTransport

APIKEY = "_secretkey123"


def paths(fake: FakeWSAPI) -> list[str]:
    return [f"{r.method} {r.url.path.split('/v2.0/', 1)[1]}" for r in fake.requests]


@pytest.fixture
def fake() -> FakeWSAPI:
    return FakeWSAPI()


@pytest.fixture
def rally(fake: FakeWSAPI) -> Rally:
    r = Rally(HOST, apikey=APIKEY, http_transport=fake.transport())
    yield r
    r.close()


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


# -- client against the fake ---------------------------------------------------------------------


def test_connect_is_one_request(rally: Rally, fake: FakeWSAPI) -> None:
    assert paths(fake) == ["GET user"]
    assert rally.getWorkspace().Name == "WS" and rally.getProject().Name == "P1"
    assert rally._wpCacheStatus() == "minimal"
    ctx, augments = rally.contextHelper.identifyContext()
    assert augments == ["workspace=workspace/1001", "project=project/2001", "projectScopeUp=false",
                        "projectScopeDown=false"]
    assert rally.contextHelper.identifyContext(project=None)[1] == ["workspace=workspace/1001"]
    assert rally.contextHelper.identifyContext(workspace=None, project=None)[1] == []
    assert rally.contextHelper.currentContext().project == "P1"  # per-call kwargs never mutate
    assert APIKEY not in repr(rally) and APIKEY not in repr(rally.contextHelper.currentContext())


def test_project_path_and_switching(fake: FakeWSAPI) -> None:
    r = Rally(HOST, apikey=APIKEY, project="P1 // P2", http_transport=fake.transport())
    assert r.getProject().Name == "P1 // P2" and r.contextHelper.currentProjectRef() == "project/2002"
    r.setWorkspace("Other WS")
    assert r.getProject().Name == "Alpha"  # no P1 there: first project alphabetically
    with pytest.raises(RallyContextError, match="Specified project not valid"):
        r.setProject("Nope")
    with pytest.raises(RallyContextError, match="not valid for your credentials"):
        r.setWorkspace("Nope")
    iso = Rally(HOST, apikey=APIKEY, isolated_workspace=True, http_transport=fake.transport())
    with pytest.raises(RallyContextError, match="No reset of of the Workspace"):
        iso.setWorkspace("Other WS")


def test_context_errors(fake: FakeWSAPI) -> None:
    with pytest.raises(RallyContextError) as exc:
        Rally(HOST, apikey=APIKEY, project="Halfling Leaf Pipe", http_transport=fake.transport())
    assert str(exc.value) == ("The current Workspace 'WS' does not contain an accessible Project with the "
                              "name of 'Halfling Leaf Pipe'")
    with pytest.raises(RallyContextError, match="Specified workspace of 'Nowhere' either does not exist"):
        Rally(HOST, apikey=APIKEY, workspace="Nowhere", http_transport=fake.transport())
    r = Rally(HOST, apikey=APIKEY, workspace="Other WS", http_transport=fake.transport())
    assert r.getProject().Name == "Alpha" and r._wpCacheStatus() == "narrow"
    none = Rally(HOST, apikey=APIKEY, project=None, workspace=None, http_transport=fake.transport())
    assert none.getProject() is None and none.contextHelper.currentProjectRef() is None


def test_bad_credentials(fake: FakeWSAPI) -> None:
    with pytest.raises(RallyAuthError, match="Invalid credentials"):
        Rally(HOST, apikey="_bogus", http_transport=fake.transport())
    with pytest.raises(RallyAuthError) as exc:
        Rally(HOST, "wrong", "s3cretPass", http_transport=fake.transport())
    assert "s3cretPass" not in str(exc.value)


def test_paging_sequential_and_threaded(rally: Rally, fake: FakeWSAPI) -> None:
    resp = rally.get("story", fetch="FormattedID,Name", pagesize=3, threads=1)
    assert isinstance(resp, RallyRESTResponse) and resp.resultCount == 7
    assert [s.FormattedID for s in resp] == [f"US{i}" for i in range(1, 8)]
    starts = [r.url.params["start"] for r in fake.requests if r.url.path.endswith("HierarchicalRequirement")]
    assert starts == ["1", "4", "7"]
    resp = rally.get("Story", fetch="FormattedID", pagesize=1, threads=4)
    assert [s.FormattedID for s in resp] == [f"US{i}" for i in range(1, 8)] and resp.max_threads == 4
    assert len(list(rally.get("Story", fetch=True, pagesize=2, limit=5))) == 5
    assert len(list(rally.get("Story", fetch=True, pagesize=2, start=3))) == 5


def test_lazy_loading(rally: Rally, fake: FakeWSAPI) -> None:
    shells = list(rally.get("Story"))
    assert shells[0]._hydrated is False
    before = len(fake.requests)
    assert shells[0].PlanEstimate == 1 and shells[0].NumberofCases == 1  # c_ prefix optional
    assert len(fake.requests) == before + 1
    partial = rally.get("Story", fetch="FormattedID", query="FormattedID = US3", instance=True)
    assert partial._hydrated is True and partial.FormattedID == "US3"
    assert partial.PlanEstimate == 3  # valid but unfetched: loaded (upstream raised)
    with pytest.raises(AttributeError, match="no attribute: 'Fabulote'"):
        _ = partial.Fabulote
    before = len(fake.requests)
    tasks = partial.Tasks
    assert len(tasks) == 2 and all(isinstance(t, Task) for t in tasks)
    assert [t.Estimate for t in tasks] == [1.5, 1.5] and tasks[0].WorkProduct.Name == "Story 3"
    assert len(fake.requests) == before + 1  # one collection GET, items complete
    assert partial.ref == "hierarchicalrequirement/5003" and partial.oid == 5003
    assert "Tasks" in partial.attributes()


def test_instance_kw(rally: Rally) -> None:
    assert rally.get("Story", query='FormattedID = "US99"', instance=True) is None
    assert isinstance(rally.get("Story", instance=True), RallyRESTResponse)


def test_invalid_names(rally: Rally) -> None:
    with pytest.raises(InvalidRallyTypeNameError) as exc:
        rally.get("Payjammas")
    assert exc.value.args[0] == "Payjammas"
    with pytest.raises(InvalidRallyTypeNameError):
        rally.get("Project,Workspace")
    assert rally._official_name("epic") == "PortfolioItem/Epic"
    assert rally._official_name("user story") == "HierarchicalRequirement"
    assert rally._official_name("feature") == "PortfolioItem/Feature"
    with pytest.raises(RallyAttributeNameError, match="Bogus"):
        rally.create("Story", {"Name": "x", "Bogus": 1})


def test_crud_with_basic_auth_token(fake: FakeWSAPI) -> None:
    r = Rally(HOST, "wiley@acme.com", "pw", http_transport=fake.transport())
    assert fake.token_requests == 0  # token fetched lazily
    story = r.create("Story", {"name": "New one", "NumberofCases": 4})
    assert story.Name == "New one" and story.c_NumberofCases == 4 and fake.token_requests == 1
    put = [q for q in fake.requests if q.method == "PUT"][-1]
    assert put.url.params["key"] == "TOKEN" and b'"c_NumberofCases": 4' in put.content
    fake.reject_next_key = True
    upd = r.update("Story", {"FormattedID": story.FormattedID, "PlanEstimate": 8})
    assert upd.PlanEstimate == 8 and fake.token_requests == 2  # refreshed once after Invalid key
    post = [q for q in fake.requests if q.method == "POST"][-1]
    assert b"FormattedID" not in post.content and b"ObjectID" not in post.content
    assert r.delete("Story", story) is True
    assert r.delete("Story", "US2") is True
    with pytest.raises(RallyNotFoundError):
        r.delete("Story", "US2")
    assert r.delete("Story", 999999) is False


def test_create_error_is_raised(rally: Rally) -> None:
    with pytest.raises(Exception, match="422 Validation error"):
        rally.create("Story", {"PlanEstimate": 2})


def test_threads_share_one_instance(rally: Rally) -> None:
    errors: list[BaseException] = []
    results: dict[int, list[str]] = {}

    def work(n: int) -> None:
        try:
            for _ in range(5):
                got = [s.FormattedID for s in rally.get("Story", fetch="FormattedID", pagesize=2)]
                assert got == [f"US{i}" for i in range(1, 8)]
                one = rally.get("Story", query=f"FormattedID = US{n % 7 + 1}", instance=True)
                assert one.Name == f"Story {n % 7 + 1}"
            results[n] = got
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8


def test_transport_retries_get_but_not_writes() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len([c for c in calls if c == request.method]) == 1:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"OperationResult": {"Errors": [], "Warnings": []}})

    t = SyncTransport(HOST, http_transport=httpx.MockTransport(handler), backoff=0.001)
    assert t.send(proto.read_request("defect/1")).status_code == 200
    assert calls == ["GET", "GET"]
    assert t.send(proto.create_request("defect", "Defect", {"Name": "x"})).status_code == 503
    assert calls == ["GET", "GET", "PUT"]
    t.close()


def test_credentials_never_shown(fake: FakeWSAPI) -> None:
    req = proto.create_request("defect", "Defect", {"Name": "x"}, key="SECRET-TOKEN")
    assert "SECRET-TOKEN" not in req.resource() + repr(req) and "key=%2A%2A%2A" in req.resource()
    r = Rally(HOST, "wiley@acme.com", "pa55word!", http_transport=fake.transport())
    r.create("Story", {"Name": "y"})
    token = r.obtainSecurityToken()
    texts = [repr(r), repr(r.contextHelper.currentContext()), r.contextHelper.currentContext().identity()]
    resp = r.get("Story")
    texts += [repr(resp), resp.resource]
    assert not any(secret in t for t in texts for secret in ("pa55word!", token, APIKEY))
    r.close()
