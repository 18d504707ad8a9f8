"""Upstream pyral 1.7.0 connects to the emulator: Basic auth, API keys and their precedence,
bad credentials, custom headers and security-token writes, over plain HTTP and over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyral.emulator import Emulator

pytestmark = pytest.mark.upstream

SALLY = {"user": "sally@example.com", "password": "Sally-Pw-1", "apikey": "_sallyKey0000000000000000001"}
DISABLED = {"disabled_user": "gone@example.com", "disabled_password": "Gone-Pw-1"}
CONTEXT_ERROR = "pyral.context.RallyRESTAPIError"


def seed(wsapi) -> None:
    ws, project = wsapi.workspace(), wsapi.project("Sample Project")
    sally = wsapi.create("User", {"UserName": SALLY["user"], "EmailAddress": SALLY["user"],
                                  "DisplayName": "Sally Submitter"})
    wsapi.set_credentials(SALLY["user"], password=SALLY["password"], api_key=SALLY["apikey"])
    wsapi.create("ProjectPermission", {"User": sally["_ref"], "Project": project["_ref"], "Role": "Editor"})
    wsapi.update(sally["UserProfile"]["_ref"], {"DefaultWorkspace": ws["_ref"], "DefaultProject": project["_ref"]})
    gone = wsapi.create("User", {"UserName": DISABLED["disabled_user"], "EmailAddress": DISABLED["disabled_user"]})
    wsapi.set_credentials(DISABLED["disabled_user"], password=DISABLED["disabled_password"])
    wsapi.update(gone["_ref"], {"Disabled": True})


@pytest.fixture(scope="module")
def tls_emu() -> Iterator[Emulator]:
    with Emulator(tls=True) as emu:
        yield emu


@pytest.fixture(scope="module", params=["http", "https"])
def result(request, drive, wsapi, upstream_emulator, tls_emu):
    if request.param == "http":
        emu, client = upstream_emulator, wsapi
    else:
        emu, client = tls_emu, type(wsapi)(tls_emu)
    seed(client)
    return drive("connect", emu, data={**SALLY, **DISABLED})


def assert_connected(info: dict) -> None:
    assert info["workspace"] == "Default Workspace"
    assert info["project"] == "Sample Project"
    assert info["status"] == 200
    assert info["count"] >= 1
    assert info["subscription"] == "Emulated Subscription"


def test_basic_auth(result):
    info = result["basic_auth"]
    assert_connected(info)
    assert info["service_url"].startswith(("http://127.0.0.1:", "https://127.0.0.1:"))
    assert info["service_url"].endswith("/slm/webservice/v2.0")


def test_api_key(result):
    assert_connected(result["api_key"])


def test_api_key_takes_precedence_over_bogus_user_password(result):
    assert_connected(result["bogus_user_password_good_api_key"])


def test_bad_api_key_wins_over_good_user_password(result):
    err = result.error("good_user_password_bad_api_key")
    assert err == {"type": CONTEXT_ERROR, "message": "Invalid credentials"}


def test_bad_api_key(result):
    assert result.error("bad_api_key") == {"type": CONTEXT_ERROR, "message": "Invalid credentials"}


@pytest.mark.parametrize("attempt", range(7))
def test_bad_credentials(result, attempt):
    assert result.error(f"bad_credentials_{attempt}") == {"type": CONTEXT_ERROR, "message": "Invalid credentials"}


def test_custom_headers_are_accepted(result):
    info = result["custom_headers"]
    assert_connected(info)
    assert info["sent"]["X-RallyIntegrationName"] == "Compat Suite"
    assert info["sent"]["X-RallyIntegrationVendor"] == "Emulator QA"


def test_ordinary_user_connects_with_password_and_key(result):
    info = result["second_user_basic"]
    assert_connected(info)
    assert info["display_name"] == "Sally Submitter"
    assert_connected(result["second_user_api_key"])


def test_basic_auth_writes_use_the_security_token(result):
    out = result["basic_auth_write_cycle"]
    assert out["token"] is True
    assert out["fid"].startswith("DE")
    assert out["state"] == "Fixed"
    assert out["deleted"] is True


def test_api_key_writes_need_no_token(result):
    out = result["api_key_write_cycle"]
    assert out["token"] is None
    assert out["fid"].startswith("DE")
    assert out["deleted"] is True


def test_self_signed_certificate_is_rejected_when_verifying(result):
    if result.meta["protocol"] == "http":
        assert "certificate_verified" not in result.checks  # nothing to verify over plain HTTP
        return
    err = result.error("certificate_verified")
    assert err["type"] == CONTEXT_ERROR
    assert "SSL certificate verification failed" in err["message"]
