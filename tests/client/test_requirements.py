"""Client requirements not covered elsewhere: server forms, CA bundles, warn=, find, scoping
params, response attributes, schema caching per workspace under threads, logging options and
secrets in logs and errors (emulator over sockets)."""

from __future__ import annotations

import io
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from client_helpers import CountingTransport

from pyral import Rally
from pyral.client import parse_server
from pyral.errors import RallyAuthError, RallyConnectionError, RallyValidationError


def test_server_forms() -> None:
    assert parse_server("rally1.rallydev.com") == ("https://rally1.rallydev.com", "rally1.rallydev.com")
    assert parse_server("rally.example:8443") == ("https://rally.example:8443", "rally.example:8443")
    assert parse_server("http://127.0.0.1:8000/slm") == ("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert parse_server("HTTPS://user:pw@host") == ("https://host", "host")
    for bad in ("ftp://host", "two words", "http://"):
        with pytest.raises(RallyConnectionError):
            parse_server(bad)


def test_verify_ssl_cert_accepts_a_ca_bundle(tls_emulator: Any) -> None:
    tls_emulator.reset()
    assert tls_emulator.cert and Path(tls_emulator.cert).is_file()
    with Rally(tls_emulator.server, apikey=tls_emulator.admin_api_key,
               verify_ssl_cert=tls_emulator.cert) as rally:
        assert rally.getProject().Name == "Sample Project"


def test_warn_controls_context_warnings(connect_both: Any, both: Any, capsys: Any) -> None:
    rally = both
    ws = rally.create("Workspace", {"Name": "WS2"})
    rally.create("Project", {"Name": "Only", "Workspace": ws.ref})
    capsys.readouterr()
    connect_both(workspace="WS2", warn=False)
    assert capsys.readouterr().err == ""
    loud, _ = connect_both(workspace="WS2")
    assert "Default project changed to 'Only'" in capsys.readouterr().err
    assert loud.warningsEnabled()


def test_find_is_get_and_scoping_params(connect_both: Any) -> None:
    rally, sent = connect_both()
    rally.create("Story", {"Name": "found"})
    sent.reset()
    got = rally.find("Story", fetch="Name", query='Name = "found"', projectScopeUp=True,
                     projectScopeDown="yes", instance=True)
    assert got.Name == "found"
    params = sent.sent[-1].url.params
    assert params["projectScopeUp"] == "true" and params["projectScopeDown"] == "true"
    assert params["project"] == rally.getProject().ref


def test_response_attributes_and_iteration(connect_both: Any) -> None:
    rally, _ = connect_both()
    rally.createMultiple("Story", [{"Name": f"r{i}"} for i in range(5)])
    resp = rally.get("Story", fetch="Name", order="Name", pagesize=2)
    assert (resp.status_code, resp.resultCount, resp.startIndex, resp.pageSize) == (200, 5, 1, 2)
    assert resp.errors == [] and resp.warnings == [] and bool(resp) and resp.request_type == "Query"
    assert resp.target == "HierarchicalRequirement" and "pagesize=2" in resp.resource
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.data["TotalResultCount"] == 5 and "QueryResult" in resp.content
    assert resp.next().Name == "r0"
    assert [s.Name for s in resp] == ["r1", "r2", "r3", "r4"]  # iteration continues from next()
    with pytest.raises(StopIteration):
        resp.next()
    assert "current Index: 5" in repr(resp)


def test_schema_cached_per_workspace_and_thread_safe(connect: Any, rally: Rally) -> None:
    ws2 = rally.create("Workspace", {"Name": "WS2"})
    rally.create("Project", {"Name": "P2", "Workspace": ws2.ref})
    fresh, sent = connect(transport=CountingTransport(delay=0.02))
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            if n % 2:
                assert fresh.typedef("Story").TypePath == "HierarchicalRequirement"
            else:
                assert fresh.create("Defect", {"Name": f"d{n}"}, workspace="WS2", project="P2").Name == f"d{n}"
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    schema_reads = [line for line in sent.lines() if line.startswith("GET workspace/") and
                    line.count("/") == 1]
    ws1 = fresh.getWorkspace().oid
    assert sorted(schema_reads) == sorted([f"GET workspace/{ws1}", f"GET workspace/{ws2.oid}"])
    assert fresh._schemas.cached(str(ws2.oid)) is not fresh._schemas.cached(str(ws1))


def test_enable_logging_attrget_append(emu: Any, connect: Any, tmp_path: Path) -> None:
    rally, _ = connect()
    rally.create("Story", {"Name": "logged", "PlanEstimate": 3})
    path = tmp_path / "rally.log"
    path.write_text("earlier line\n")
    rally.enableLogging(str(path), attrget=True, append=True)
    shell = rally.get("Story").next()
    assert shell.PlanEstimate == 3  # a lazy load: logged because attrget=True
    rally.disableLogging()
    rally.get("Story")
    lines = path.read_text().splitlines()
    assert lines[0] == "earlier line"
    gets = [line for line in lines if " GET " in line or line.startswith("GET")]
    assert any("HierarchicalRequirement?" in line for line in gets)
    assert any(f"hierarchicalrequirement/{shell.oid}" in line.lower() for line in gets)
    assert len([line for line in lines if "HierarchicalRequirement?" in line]) == 1  # nothing after disable
    rally.enableLogging(str(path))  # append=False truncates
    rally.get("Story")
    rally.disableLogging()
    assert "earlier line" not in path.read_text()
    assert emu.admin_api_key not in path.read_text()


def test_api_key_never_in_logs_or_errors(emu: Any, connect_both: Any) -> None:
    stream = io.StringIO()
    rally, _ = connect_both()
    rally.enableLogging(stream, attrget=True)
    rally.create("Story", {"Name": "x"})
    rally.get("Story").next().Name  # noqa: B018 - a lazy load
    texts = [stream.getvalue(), repr(rally), repr(rally.contextHelper.currentContext())]
    with pytest.raises(RallyValidationError) as exc:
        rally.update("Story", {"FormattedID": "US1", "Project": "nowhere"})
    texts.append(str(exc.value))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RallyConnectionError) as exc:
        Rally(f"http://127.0.0.1:{port}", apikey=emu.admin_api_key, max_retries=0)
    texts += [str(exc.value), repr(exc.value)]
    with pytest.raises(RallyAuthError) as exc:
        Rally(emu.url, emu.admin_user, "Wr0ng-Pa55word")
    texts.append(str(exc.value))
    assert "GET" in texts[0]
    for text in texts:
        assert emu.admin_api_key not in text and "Wr0ng-Pa55word" not in text
