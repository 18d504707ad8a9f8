"""What an answer means, decided without I/O: statuses and envelopes to results or exceptions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from pyral.errors import (
    RallyAuthError,
    RallyConnectionError,
    RallyNotFoundError,
    RallyResponseError,
    RallyRESTAPIError,
    UnreferenceableOIDError,
)
from pyral.protocol import (
    error_texts,
    expect_envelope,
    expect_full_object,
    expect_object,
    expect_page,
    expect_results,
    expect_user,
    known_error_text,
    parse_envelope,
    response_state,
    retry_with_new_token,
    security_token,
)


@dataclass
class Reply:
    """An HTTP answer as a transport hands it back (status and body bytes)."""

    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise RallyResponseError("not JSON") from exc


def reply(status: int, body: Any) -> Reply:
    return Reply(status, body if isinstance(body, bytes) else json.dumps(body).encode())


QUERY = {"QueryResult": {"Errors": [], "Warnings": ["w"], "TotalResultCount": 3, "StartIndex": 1,
                         "PageSize": 2, "Results": [{"_ref": "defect/1"}, {"_ref": "defect/2"}]}}
REFUSED = {"OperationResult": {"Errors": ["Not authorized to perform action: Invalid key"], "Warnings": []}}
DEFECT = {"Defect": {"_ref": "https://h/slm/webservice/v2.0/defect/7", "ObjectID": 7, "Errors": [],
                     "Warnings": []}}


def test_a_200_answer_is_its_envelope() -> None:
    env = expect_envelope(reply(200, QUERY))
    assert (env.kind, env.total, env.page_size, len(env.results), env.warnings) == ("Query", 3, 2, 2, ["w"])
    assert expect_results(env) == QUERY["QueryResult"]["Results"]


@pytest.mark.parametrize(("status", "body", "error", "text"), [
    (401, b"<html>nope</html>", RallyAuthError, "Invalid credentials"),
    (500, REFUSED, RallyRESTAPIError, "500 Not authorized to perform action: Invalid key"),
    (503, b"", RallyRESTAPIError, "503 HTTP 503"),
    (403, b"An Authentication object was not found in the SecurityContext, sorry", RallyRESTAPIError,
     "403 An Authentication object was not found in the SecurityContext"),
])
def test_the_status_ladder(status: int, body: Any, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as caught:
        expect_envelope(reply(status, body))
    assert str(caught.value).startswith(text)
    assert getattr(caught.value, "status_code", None) == status


def test_envelope_errors_raise_only_where_results_are_required() -> None:
    env = expect_envelope(reply(200, REFUSED))
    assert env.errors == REFUSED["OperationResult"]["Errors"]
    with pytest.raises(RallyRESTAPIError, match="Invalid key"):
        expect_results(env)


def test_a_body_that_is_no_envelope_is_a_response_error() -> None:
    with pytest.raises(RallyResponseError):
        expect_envelope(reply(200, b"<html/>"))
    with pytest.raises(RallyResponseError):
        expect_envelope(reply(200, []))


def test_a_failed_page_names_its_start() -> None:
    with pytest.raises(RallyResponseError, match=r"start=2001: 502 "):
        expect_page(reply(502, b"bad gateway"), 2001)
    with pytest.raises(RallyResponseError, match=r"start=3: Not authorized") as caught:
        expect_page(reply(200, REFUSED), 3)
    assert caught.value.errors == REFUSED["OperationResult"]["Errors"]
    assert expect_page(reply(200, QUERY), 1).total == 3


def test_single_reads() -> None:
    assert expect_object(reply(200, DEFECT), "defect/7")["ObjectID"] == 7
    with pytest.raises(UnreferenceableOIDError, match="404 Unreferenceable OID: defect/8"):
        expect_object(reply(404, b""), "defect/8")
    with pytest.raises(RallyNotFoundError, match="Unreferenceable defect/9: gone"):
        expect_object(reply(200, {"OperationResult": {"Errors": ["gone"]}}), "defect/9")
    assert expect_full_object(reply(200, DEFECT), "Defect OID 7")["ObjectID"] == 7
    for bad in (reply(404, b""), reply(200, {"OperationResult": {"Errors": ["gone"]}})):
        with pytest.raises(UnreferenceableOIDError, match="Defect OID 7"):
            expect_full_object(bad, "Defect OID 7")


@pytest.mark.parametrize(("status", "body", "error", "text"), [
    (401, b"", RallyAuthError, "Invalid credentials"),
    (404, b"", RallyConnectionError, "404 Target host: 'h:1' is either not reachable"),
    (500, b"Error 401 The username or password you entered is incorrect.", RallyAuthError, "Invalid credentials"),
    (500, b"x" * 200, RallyConnectionError, "500 " + "x" * 80),
    (200, b"<html>not rally</html>", RallyConnectionError, "404 Target host: 'h:1'"),
    (200, {"OperationResult": {"Errors": ["disabled"]}}, RallyAuthError, "disabled"),
    (200, {"QueryResult": {"Results": [], "TotalResultCount": 0}}, RallyAuthError, "Invalid credentials"),
])
def test_the_connect_ladder(status: int, body: Any, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as caught:
        expect_user(reply(status, body), "h:1")
    assert str(caught.value).startswith(text)


def test_connect_returns_the_user() -> None:
    assert expect_user(reply(200, {"User": {"_ref": "user/1", "UserName": "u"}}), "h")["UserName"] == "u"


def test_the_security_token_rule() -> None:
    invalid = ["Not authorized to perform action: Invalid key"]
    assert retry_with_new_token(invalid, attempt=0, uses_api_key=False)
    assert not retry_with_new_token(invalid, attempt=1, uses_api_key=False)  # once only
    assert not retry_with_new_token(invalid, attempt=0, uses_api_key=True)  # no token with an API key
    assert not retry_with_new_token(["Could not read: Name"], attempt=0, uses_api_key=False)
    assert security_token(parse_envelope({"OperationResult": {"SecurityToken": "abc"}})) == "abc"
    with pytest.raises(RallyAuthError):
        security_token(parse_envelope({"OperationResult": {"Errors": ["no"]}}))


def test_response_state_keeps_errors_without_raising() -> None:
    failed = response_state(reply(404, b"missing"), "defect")
    assert (failed.status_code, failed.errors, failed.envelope) == (404, ["missing"], None)
    assert failed.content == {"OperationResult": failed.data} and failed.data["Errors"] == ["missing"]
    refused = response_state(reply(200, REFUSED), "defect")
    assert refused.status_code == 422 and refused.envelope is not None
    ok = response_state(reply(200, QUERY), "defect")
    assert ok.status_code == 200 and ok.errors == [] and ok.warnings == ["w"]


def test_error_texts() -> None:
    assert error_texts(reply(500, REFUSED)) == REFUSED["OperationResult"]["Errors"]
    assert error_texts(reply(500, b"  ")) == ["HTTP 500"]
    assert error_texts(reply(500, b"y" * 900)) == ["y" * 500]
    assert known_error_text(b"... Error 401 The username or password you entered is incorrect. ...") == \
        "Error 401 The username or password you entered is incorrect."
    assert known_error_text("plain") == "plain"
