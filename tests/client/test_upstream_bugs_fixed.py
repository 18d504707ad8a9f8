"""One test per item of upstream pyral 1.7.0's bug list (pyral-compat.md §10, items 1-22), each
showing the fix against the emulator over sockets.  Where an item lists several problems, the
test covers each one; deliberately kept quirks are named in the comments."""

from __future__ import annotations

import base64
import io
import json
import os
import threading
from typing import Any

import httpx
import pytest
from client_helpers import CountingTransport

import pyral
import pyral.context
import pyral.errors
import pyral.restapi
from pyral import Rally, RallyRESTResponse, where
from pyral.entity import HierarchicalRequirement, PortfolioItem, getEntityName
from pyral.errors import (
    InvalidRallyTypeNameError,
    RallyAuthError,
    RallyContextError,
    RallyNotFoundError,
    RallyResponseError,
)
from pyral.query import Q
from pyral.rallyresp import ErrorResponse


def _paths(sent: CountingTransport) -> list[str]:
    return [line.split("?")[0] for line in sent.lines()]


def _tree(rally: Rally) -> None:
    """Projects Arctic -> Corral -> Salamandra, and a second workspace "WS2" with "Zeta", "Alpha"."""
    top = rally.create("Project", {"Name": "Arctic"})
    mid = rally.create("Project", {"Name": "Corral", "Parent": top.ref})
    rally.create("Project", {"Name": "Salamandra", "Parent": mid.ref})
    ws = rally.create("Workspace", {"Name": "WS2"})
    rally.create("Project", {"Name": "Zeta", "Workspace": ws.ref})
    rally.create("Project", {"Name": "Alpha", "Workspace": ws.ref})


# -- performance and N+1 --------------------------------------------------------------------------


def test_01_connect_round_trips(connect_both: Any, both: Any) -> None:
    rally = both
    _tree(rally)
    plain, sent = connect_both()  # isolated_workspace=False (the default): no workspace list
    assert _paths(sent) == ["GET user"]
    path, sent = connect_both(project="Arctic // Corral // Salamandra")
    assert _paths(sent) == ["GET user", f"GET workspace/{path.getWorkspace().oid}/Projects"]  # walked once
    assert path.getProject().Name == "Arctic // Corral // Salamandra"
    sent.reset()
    assert len(path.getWorkspaces()) == 2 and len(path.getWorkspaces()) == 2
    assert _paths(sent) == ["GET subscription/" + _paths(sent)[0].split("/")[1] + "/Workspaces"]


def test_02_no_allowed_values_requests_per_type(connect_both: Any) -> None:
    rally, sent = connect_both()
    sent.reset()
    defect = rally.create("Defect", {"Name": "d", "Severity": "Cosmetic", "Priority": "Normal"})
    rally.update("Defect", {"ObjectID": defect.oid, "State": "Open"})
    list(rally.get("Defect", fetch=["Name", "Severity", "State"]))
    ws = rally.getWorkspace().oid
    assert _paths(sent) == [f"GET workspace/{ws}", "PUT defect/create", f"POST defect/{defect.oid}",
                            "GET Defect"]  # one schema read, no AllowedValues collections


def test_03_collections_and_attachments_without_n_plus_1(connect: Any) -> None:
    rally, sent = connect()
    story = rally.create("Story", {"Name": "busy"})
    for i in range(4):
        rally.create("Task", {"Name": f"t{i}", "WorkProduct": story.ref})
    for i in range(3):
        rally.addAttachment(story, f"f{i}.txt", content=f"file {i}".encode())
    got = rally.get("Story", fetch="Name,Tasks,Attachments", query='Name = "busy"', instance=True)
    sent.reset()
    assert sorted(t.Name for t in got.Tasks) == ["t0", "t1", "t2", "t3"]
    assert {t.State for t in got.Tasks} == {"Defined"}  # items come complete: no per-item loads
    assert len(sent.sent) == 1
    sent.reset()
    files = rally.getAttachments(got)
    assert sorted(a.Content for a in files) == [b"file 0", b"file 1", b"file 2"]
    assert len(sent.sent) == 1 + 3  # the collection once, then one content read per file
    # Kept: fetch=False (upstream's default) still returns ref-only shells that load on first
    # access, one request each; fetch=True or a field list gives complete items in the page.


def test_04_hydration_is_per_response_and_partial_fetch_lazy_loads(connect: Any) -> None:
    rally, sent = connect()
    rally.create("Story", {"Name": "s", "PlanEstimate": 5})
    shells = rally.get("Story", fetch=False)
    full = rally.get("Story", fetch=True)
    assert shells.next()._hydrated is False and full.next()._hydrated is True
    partial = rally.get("Story", fetch="Name", instance=True)
    sent.reset()
    assert partial.PlanEstimate == 5 and len(sent.sent) == 1  # loaded, not AttributeError
    with pytest.raises(AttributeError):
        _ = partial.NoSuchField


def test_05_get_all_users_is_one_paged_query(connect_both: Any) -> None:
    rally, sent = connect_both(timeout=12.0)
    for i in range(5):
        rally.create("User", {"UserName": f"u{i}@x.com", "EmailAddress": f"u{i}@x.com"})
    sent.reset()
    users = rally.getAllUsers()
    assert len(users) == 6 and {u.UserName for u in users} >= {f"u{i}@x.com" for i in range(5)}
    assert all(u.UserProfile is not None for u in users)
    assert _paths(sent) == ["GET users"]  # profiles come in the same page, no O(n^2) join
    assert sent.sent[0].extensions["timeout"]["read"] == 12.0  # the configured timeout, not 600 s


# -- correctness ----------------------------------------------------------------------------------


def test_06_one_rally_rest_api_error_class(both: Any) -> None:
    rally = both
    assert pyral.RallyRESTAPIError is pyral.context.RallyRESTAPIError is pyral.restapi.RallyRESTAPIError
    assert pyral.RallyRESTAPIError is pyral.errors.RallyRESTAPIError
    with pytest.raises(pyral.context.RallyRESTAPIError):
        rally.create("Story", {"Name": "x", "Project": "nowhere"})
    with pytest.raises(pyral.restapi.RallyRESTAPIError):
        rally.setProject("nowhere")


def test_07_context_setup_fixes(connect_both: Any, both: Any, capsys: Any) -> None:
    rally = both
    _tree(rally)
    defaults, sent = connect_both(project=None)  # upstream: TypeError; here: the user's defaults
    assert defaults.getProject().Name == "Sample Project"
    defaults.get("Story", project=None)  # per call, None still means no project scoping
    assert "project" not in sent.sent[-1].url.params
    connect_both(workspace=None)  # upstream: a bogus warning
    assert "Unable to use your workspace" not in capsys.readouterr().err
    other, _ = connect_both(workspace="WS2", warn=False)  # upstream: fails without a same-named project
    assert other.getProject().Name == "Alpha"
    with pytest.raises(RallyContextError, match="'Nope'"):  # upstream said 'None'
        connect_both(workspace="WS2", project="Nope")
    deep, _ = connect_both(project="Arctic // Corral")  # upstream: NameError, current project never set
    assert deep.getProject().Name == "Arctic // Corral"
    assert deep.contextHelper.currentProjectRef() == rally.getProject("Arctic // Corral").ref


def test_08_delete_by_instance_and_any_formatted_id(both: Any) -> None:
    rally = both
    defect = rally.create("Defect", {"Name": "d"})
    feature = rally.create("Feature", {"Name": "f"})
    story = rally.create("Story", {"Name": "s"})
    assert rally.delete("Defect", defect) is True  # upstream: garbage URL
    assert rally.delete("Feature", feature.FormattedID) is True  # 1-letter prefix
    with pytest.raises(RallyNotFoundError):  # upstream: StopIteration
        rally.delete("Story", "US99999")
    case = rally.create("TestCase", {"Name": "c"})
    assert rally.delete("TestCase", case.FormattedID.lower()) is True
    feature2 = rally.create("Feature", {"Name": "f2"})
    rally.addAttachment(feature2.FormattedID, "n.txt", content=b"x")  # _realizeArtifact("F123")
    assert rally.getAttachmentNames(feature2.FormattedID) == ["n.txt"]
    assert rally.delete("Story", story.oid) is True


def test_09_batch_values_reach_rally_and_failures_are_reported(connect_both: Any) -> None:
    rally, sent = connect_both()
    owner = rally.getUserInfo(username=rally.user_name)[0]
    items = [
        {"Name": "typed", "Severity": "Cosmetic", "State": "Open", "TargetDate": "2030-01-02",
         "Owner": owner.ref, "Project": rally.getProject().ref, "ScheduleState": "Defined"},
        {"Name": "bad", "Severity": "Catastrophic-ish"},
        {"Name": "fine"},
    ]
    done = rally.createMultiple("Defect", items)  # upstream: DATE/OBJECT/RATING/STATE always rejected
    assert [d["Name"] for d in done] == ["typed", "fine"]
    assert len(done.failures) == 1 and done.failures[0][0] == 1  # upstream dropped it silently
    assert "Severity" in done.failures[0][2][0]
    body = json.loads(next(r for r in sent.sent if r.url.path.endswith("/batch")).content)
    assert body["Batch"][0]["Entry"]["Body"]["defect"]["TargetDate"] == "2030-01-02"
    with pytest.raises(pyral.MultipleOperationError, match="1 of 3 batch items failed"):
        rally.createMultiple("Defect", items, raise_on_error=True)


def test_10_children_are_greased(connect_both: Any) -> None:
    rally, sent = connect_both()
    parent = rally.create("Story", {"Name": "parent"})
    kids = [rally.create("Story", {"Name": f"kid{i}"}) for i in range(2)]
    sent.reset()
    rally.update("Story", {"ObjectID": parent.oid, "Children": kids})
    body = json.loads(next(r for r in sent.sent if r.method == "POST").content)
    assert body == {"HierarchicalRequirement": {"Children": [{"_ref": k.ref} for k in kids]}}


def test_11_entity_names_case_insensitive_and_only_entities(both: Any) -> None:
    rally = both
    rally.create("Defect", {"Name": "d"})
    for name in ("defect", "DEFECT", "dEfEcT"):
        assert rally.get(name).resultCount == 1
    assert rally.create("hierarchicalrequirement", {"Name": "s"}).Name == "s"
    for not_an_entity in ("SchemaItem", "Persistable", "RallyRESTResponse", "EntityBase"):
        with pytest.raises(InvalidRallyTypeNameError):
            rally.get(not_an_entity)
        with pytest.raises(InvalidRallyTypeNameError):
            getEntityName(not_an_entity)


def test_12_error_responses_have_paging_fields(both: Any) -> None:
    rally = both
    resp = rally.get("Story", query="Bogosity = 3")
    assert resp.errors and resp.resultCount == 0
    assert isinstance(resp.startIndex, int) and isinstance(resp.pageSize, int)
    assert list(resp) == [] and not resp
    err = ErrorResponse(404, b"nope")
    assert err.resultCount == 0 and list(err) == [] and not err


def test_13_network_error_while_paging_raises(connect: Any) -> None:
    def late_page_reset(request: httpx.Request, _seq: int) -> Any:
        if request.url.path.endswith("/HierarchicalRequirement") and request.url.params.get("start") != "1":
            return httpx.ReadError("[Errno 104] Connection reset by peer")
        return None

    rally, _ = connect()
    rally.createMultiple("Story", [{"Name": f"P{i}"} for i in range(9)])
    failing, _ = connect(transport=CountingTransport(fault=late_page_reset), max_retries=0)
    resp = failing.get("Story", fetch="Name", pagesize=3, threads=1)
    assert len([resp.next() for _ in range(3)]) == 3
    with pytest.raises(RallyResponseError, match="start=4"):  # upstream: sys.exit(9)
        resp.next()
    with pytest.raises(RallyResponseError, match="Unable to retrieve the page of results"):
        list(failing.get("Story", fetch="Name", pagesize=2, threads=4))


def test_14_schema_refs_by_segments_and_connection_details(both: Any) -> None:
    rally = both
    item = rally.typedef("Story")
    assert item.ref.startswith("typedefinition/") and item.ref.split("/")[1].isdigit()
    assert len(item.Attributes) >= 5
    for attr in item.Attributes[:5]:
        assert attr.ref.split("/")[0] == "attributedefinition" and len(attr.ref.split("/")) == 2
    story = rally.create("Story", {"Name": "with PR"})
    pr = rally.create("PullRequest", {"Name": "pr", "ExternalID": "1", "ExternalFormattedId": "PR1",
                                      "Url": "https://example.com/pr/1", "Artifact": story.ref})
    text = pr.details()
    assert isinstance(text, str) and text.splitlines()[0] == "PullRequest" and "ExternalID" in text


def test_15_instance_keyword(rally: Rally) -> None:
    assert rally.get("Story", query='Name = "none"', instance=True) is None  # upstream: the response
    rally.create("Story", {"Name": "one"})
    assert isinstance(rally.get("Story", instance=True), HierarchicalRequirement)
    rally.create("Story", {"Name": "two"})
    # Kept: more than one match returns the response (upstream code; raising would break callers).
    assert isinstance(rally.get("Story", instance=True), RallyRESTResponse)


def test_16_start_and_pagesize_validated(connect_both: Any) -> None:
    rally, sent = connect_both()
    sent.reset()
    for bad in ({"start": 0}, {"start": -5}, {"start": "x"}, {"pagesize": 0}, {"pagesize": "many"},
                {"pagesize": "x"}, {"pagesize": None}, {"limit": -1}):
        with pytest.raises(ValueError, match="pagesize|start|limit"):
            rally.get("Story", **bad)
    assert sent.sent == []  # refused before anything was sent
    rally.get("Story", pagesize=5000)
    rally.get("Story", pagesize=2001)
    rally.get("Story")
    rally.get("Story", limit=30)
    # capped at Rally's 2,000; no pagesize given: 2,000 (upstream: 1,000), or the limit when smaller
    assert [r.url.params["pagesize"] for r in sent.sent] == ["2000", "2000", "2000", "30"]
    rally.createMultiple("Story", [{"Name": f"s{i}"} for i in range(5)])
    assert [s.Name for s in rally.get("Story", fetch="Name", order="Name", start=4)] == ["s3", "s4"]


def test_17_query_values_with_operators_and_special_characters(both: Any) -> None:
    rally = both
    names = ["Fish & Chips", "C# + F#", "Rock and Roll", "this or that", "100% = done"]
    for name in names:
        rally.create("Story", {"Name": name})

    def found(query: Any) -> list[str]:
        return sorted(s.Name for s in rally.get("Story", fetch="Name", query=query))

    assert found('(Name = "Fish & Chips")') == ["Fish & Chips"]  # pre-parenthesised: encoded
    assert found('Name = "C# + F#"') == ["C# + F#"]
    assert found('Name = "Rock and Roll"') == ["Rock and Roll"]  # ' and ' inside quotes
    assert found('Name = "this or that"') == ["this or that"]
    assert found({"Name": "Rock and Roll"}) == ["Rock and Roll"]  # dict values quoted
    assert found({"Name": "100% = done"}) == ["100% = done"]
    assert found(where("Name") == "Fish & Chips") == ["Fish & Chips"]
    either = Q.or_('Name = "Fish & Chips"', 'Name = "this or that"')  # lists were AND-only
    assert found(either) == ["Fish & Chips", "this or that"]
    assert found((where("Name") == "C# + F#") | (where("Name") == "Rock and Roll")) == ["C# + F#",
                                                                                      "Rock and Roll"]
    assert found(['Name contains "o"', 'Name contains "a"']) == ["Rock and Roll", "this or that"]


def test_18_portfolio_item_refs_types_and_paths(connect_both: Any) -> None:
    rally, sent = connect_both()
    features = [rally.create("Feature", {"Name": f"f{i}"}) for i in range(3)]
    f0 = features[0]
    assert isinstance(f0, PortfolioItem) and f0._type == "PortfolioItem/Feature"
    assert type(f0).__name__ == "PortfolioItem_Feature" and f0.ref == f"portfolioitem/feature/{f0.oid}"
    tag = rally.create("Tag", {"Name": "t"})
    tagged = rally.addCollectionItems(f0, "Tags", [tag])
    sent.reset()
    resp = rally.dropCollectionItems(tagged, "Tags", [tag])
    assert resp is not None and not resp.errors
    rally.rankToBottom(features[0])
    assert [p.split("?")[0] for p in _paths(sent) if not p.startswith("GET")] == [
        f"POST portfolioitem/feature/{f0.oid}/Tags/remove", f"POST portfolioitem/feature/{f0.oid}"]
    order = [f.Name for f in rally.get("Feature", fetch="Name", order="Rank")]
    assert order == ["f1", "f2", "f0"]


def test_19_no_side_effects(emu: Any, connect: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    before = {k: v for k, v in os.environ.items() if "proxy" in k.lower()}
    rally, sent = connect()
    assert {k: v for k, v in os.environ.items() if "proxy" in k.lower()} == before
    ws = rally.create("Workspace", {"Name": "WS2"})
    rally.create("Project", {"Name": "P2", "Workspace": ws.ref})
    rally.contextHelper.identifyContext(project=None)
    rally.get("Story", project=None)
    assert rally.contextHelper.currentContext().project == "Sample Project"
    rally.create("Story", {"Name": "s"})
    sent.reset()
    rally.get("Story").next()
    assert sent.sent[-1].url.params.get("project")  # later queries keep the project
    rally.getAllUsers(workspace="WS2")
    assert rally.getWorkspace().Name == "Default Workspace"
    stream = io.StringIO()
    rally.enableLogging(stream)
    rally.get("Story")
    rally.disableLogging()
    assert not stream.closed and "GET" in stream.getvalue()


# -- thread safety --------------------------------------------------------------------------------


def test_20_instances_share_no_state(connect: Any, rally: Rally) -> None:
    rally.create("Project", {"Name": "Other"})
    for i in range(30):
        rally.create("Story", {"Name": f"sample {i:02d}"})
        rally.create("Story", {"Name": f"other {i:02d}"}, project="Other")
    a, _ = connect()
    b, _ = connect(project="Other")
    a.typedef("Story")
    ws = a._ws_oid()
    assert a._schemas is not b._schemas and b._schemas.cached(ws) is None
    assert a.getProject().Name == "Sample Project" and b.getProject().Name == "Other"
    assert a.get("Story").next().rally is a and b.get("Story").next().rally is b
    got: dict[str, list[str]] = {}

    def read(name: str, inst: Rally) -> None:
        for _ in range(3):
            got[name] = [s.Name for s in inst.get("Story", fetch="Name", order="Name", pagesize=4, threads=4)]

    workers = [threading.Thread(target=read, args=(n, r)) for n, r in (("a", a), ("b", b))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert got == {"a": [f"sample {i:02d}" for i in range(30)], "b": [f"other {i:02d}" for i in range(30)]}
    assert a._page_executor() is not b._page_executor()
    assert a.session is not b.session and a.session.cookies is not b.session.cookies
    assert not hasattr(pyral.context, "_rallyCache")


def test_21_python2_leftovers_gone(emu: Any, connect_both: Any) -> None:
    rally, _ = connect_both(version="v1.42", server_ping=True)  # dead kwargs accepted and ignored
    assert rally.version == "v2.0" and rally.service_url.endswith("/slm/webservice/v2.0")
    rally.create("Story", {"Name": "bytes ok"})
    assert [s.Name for s in rally.get("Story", fetch="Name", query=b'Name = "bytes ok"')] == ["bytes ok"]
    with pytest.raises(pyral.RallyAttributeNameError) as exc:
        rally.create("Story", {"Name": "x", "Frobnitz": 1})
    assert "Frobnitz" in str(exc.value)


def test_22_no_default_credentials_no_secrets_token_refreshes(emu: Any, connect: Any) -> None:
    from pyral import config

    assert not any(emu.admin_password in str(v) or "@" in str(v) for k, v in vars(config).items()
                   if k.isupper() and k in ("USER_NAME", "PASSWORD", "APIKEY", "API_KEY"))
    probe = CountingTransport()
    with pytest.raises(RallyAuthError):
        Rally(emu.url, http_transport=probe)  # no built-in user/password to fall back on
    auth = probe.sent[0].headers.get("authorization")
    assert auth is None or base64.b64decode(auth.split()[-1]).decode() == ":"
    assert "ZSESSIONID" not in probe.sent[0].headers
    rally, sent = connect(user=emu.admin_user, password=emu.admin_password)
    ctx = rally.contextHelper.currentContext()
    assert emu.admin_password not in ctx.identity() + repr(ctx) + repr(rally)
    rally.create("Story", {"Name": "a"})
    old = rally.obtainSecurityToken()
    emu.backend.forget_sessions()  # Rally forgets the session: the token is no longer valid
    sent.reset()
    rally.update("Story", {"FormattedID": "US1", "Name": "b"})
    assert _paths(sent).count("GET security/authorize") == 1  # refreshed exactly once
    assert [r.method for r in sent.sent].count("POST") == 2  # rejected once, then written
    assert rally.obtainSecurityToken() != old and rally.get("Story", fetch="Name", instance=True).Name == "b"
    story, tag = rally.get("Story", instance=True), rally.create("Tag", {"Name": "t"})
    story = rally.addCollectionItems(story, "Tags", [tag])
    emu.backend.forget_sessions()  # collection edits refresh too
    sent.reset()
    assert not rally.dropCollectionItems(story, "Tags", [tag]).errors
    assert _paths(sent).count("GET security/authorize") == 1
    assert rally.get("Story", fetch="Tags", instance=True).Tags == []
