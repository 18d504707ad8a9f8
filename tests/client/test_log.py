"""Tests for pyral.support.log: enableLogging/disableLogging semantics, line formats, and redaction."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyral.support.log import BAD_DEST_WARNING, RallyLog, RedactingFilter, redact, target_of

TS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"
SERVICE = "https://rally1.rallydev.com/slm/webservice/v2.0"


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def rlog(stream: io.StringIO) -> Iterator[RallyLog]:
    log = RallyLog(SERVICE, "wiley@example.com")
    log.enableLogging(stream)
    yield log
    log.disableLogging()


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def strip_ts(line: str) -> str:
    assert re.match(TS + " ", line), line
    return line[24:]


# ---------------------------------------------------------------------------------------------- enable / disable


def test_header_line(rlog: RallyLog, stream: io.StringIO) -> None:
    (line,) = lines(stream)
    assert re.fullmatch(TS + f" Following entries record Rally REST API interaction via {SERVICE} "
                        "for user wiley@example.com", line)
    assert rlog.enabled and not rlog.attrget


def test_disabled_by_default_writes_nothing(stream: io.StringIO) -> None:
    log = RallyLog(SERVICE, "u")
    log.request("GET", "Defect?fetch=true")
    assert not log.enabled
    assert stream.getvalue() == ""


def test_default_dest_is_current_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    log = RallyLog(SERVICE, "u")
    log.enableLogging()
    log.request("GET", "Project?fetch=false")
    log.disableLogging()
    out = capsys.readouterr().out.splitlines()
    assert strip_ts(out[-1]) == "GET Project?fetch=false"


def test_get_lines(rlog: RallyLog, stream: io.StringIO) -> None:
    rlog.request("GET", "Defect?fetch=true&query=(State%20%3D%20%22Submitted%22)&pagesize=200&start=1")
    rlog.query_result(200, "Defect", 17)
    assert [strip_ts(x) for x in lines(stream)[1:]] == [
        'GET Defect?fetch=true&query=(State = "Submitted")&pagesize=200&start=1',
        "200 Defect TotalResultCount 17",
    ]


def test_query_result_error_forms(rlog: RallyLog, stream: io.StringIO) -> None:
    rlog.query_result(200, "Defect", 0, errors=["Could not parse: bogus"])
    rlog.query_result(404, "Defect", body=b"<html><head><title>Not Found</title></head><body>nothing here at all</body>")
    rlog.query_result(500, "Defect")
    assert [strip_ts(x) for x in lines(stream)[1:]] == [
        "200 Could not parse: bogus",
        "404 <html><head><title>Not Found</title></head><body>nothing ...",
        "500 Defect",
    ]


def test_put_post_delete_lines(rlog: RallyLog, stream: io.StringIO) -> None:
    rlog.request("PUT", "Defect/create?workspace=workspace/1&key=None", {"Defect": {"Name": "Bug", "Blocked": False}})
    rlog.created("Defect", 12345)
    rlog.request("POST", "Defect/12345?key=None", {"Defect": {"ObjectID": 12345, "State": "Fixed"}})
    rlog.request("DELETE", "Defect/12345?key=None")
    rlog.deleted(200, "Defect")
    rlog.deleted(200, "Defect", errors=["Object not found"])
    rlog.status(200, "Defect/12345?fetch=true")
    out = stream.getvalue().splitlines()[1:]
    assert strip_ts(out[0]) == "PUT Defect/create?workspace=workspace/1&key=None"
    assert out[1] == " " * 28 + '{"Defect": {"Name": "Bug", "Blocked": false}}'
    assert strip_ts(out[2]) == "200 created Defect OID: 12345"
    assert strip_ts(out[3]) == "POST Defect/12345?key=None"
    assert out[4] == " " * 28 + "{'Defect': {'ObjectID': 12345, 'State': 'Fixed'}}"
    assert [strip_ts(x) for x in out[5:]] == [
        "DELETE Defect/12345?key=None",
        "200 Defect deleted",
        "200 Object not found",
        "200 Defect/12345?fetch=true",
    ]


def test_put_with_unserialisable_payload_falls_back_to_repr(rlog: RallyLog, stream: io.StringIO) -> None:
    rlog.request("PUT", "Defect/create", {"Defect": {"When": object}})
    assert "<class 'object'>" in lines(stream)[-1]


def test_attrget(stream: io.StringIO) -> None:
    log = RallyLog(SERVICE, "u")
    log.enableLogging(stream)
    log.attribute_get("Defect/1?fetch=true")
    log.enableLogging(stream, attrget=True)
    assert log.attrget
    log.attribute_get("Defect/2?fetch=true")
    log.disableLogging()
    log.attribute_get("Defect/3?fetch=true")
    text = stream.getvalue()
    assert "Defect/1" not in text and "Defect/2" in text and "Defect/3" not in text


def test_file_dest_write_and_append(tmp_path: Path) -> None:
    path = tmp_path / "rally.log"
    path.write_text("old content\n", encoding="utf-8")
    log = RallyLog(SERVICE, "u")
    log.enableLogging(str(path))
    log.request("GET", "Project")
    log.disableLogging()
    first = path.read_text(encoding="utf-8")
    assert "old content" not in first and "GET Project" in first

    log.enableLogging(path, append=True)  # PathLike accepted too
    log.request("GET", "Workspace")
    log.disableLogging()
    second = path.read_text(encoding="utf-8")
    assert second.startswith(first) and "GET Workspace" in second
    assert second.count("Following entries record") == 2


def test_caller_stream_is_not_closed(stream: io.StringIO) -> None:
    log = RallyLog(SERVICE, "u")
    log.enableLogging(stream)
    log.disableLogging()
    assert not stream.closed
    stream.write("still usable")


def test_disable_is_idempotent_and_close_alias(stream: io.StringIO) -> None:
    log = RallyLog(SERVICE, "u")
    log.disableLogging()
    log.enableLogging(stream)
    log.close()
    log.close()
    assert not log.enabled


def test_re_enable_switches_destination(tmp_path: Path) -> None:
    first, second = io.StringIO(), io.StringIO()
    log = RallyLog(SERVICE, "u")
    log.enableLogging(first)
    log.enableLogging(second)
    log.request("GET", "Project")
    log.disableLogging()
    assert "GET Project" not in first.getvalue()
    assert "GET Project" in second.getvalue()


@pytest.mark.parametrize("dest", [42, None, object()])
def test_bad_dest_warns_and_stays_disabled(dest: object, capsys: pytest.CaptureFixture[str]) -> None:
    log = RallyLog(SERVICE, "u")
    log.enableLogging(dest)
    assert not log.enabled
    assert BAD_DEST_WARNING in capsys.readouterr().err
    assert BAD_DEST_WARNING == "WARNING: Logging dest arg cannot be written to, proceeding with logging disabled."


def test_unopenable_path_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = RallyLog(SERVICE, "u")
    log.enableLogging(str(tmp_path / "no" / "such" / "dir" / "x.log"))
    assert not log.enabled
    assert BAD_DEST_WARNING in capsys.readouterr().err


def test_instances_do_not_cross_talk() -> None:
    a_stream, b_stream = io.StringIO(), io.StringIO()
    a, b = RallyLog(SERVICE, "a"), RallyLog(SERVICE, "b")
    a.enableLogging(a_stream)
    b.enableLogging(b_stream)
    a.request("GET", "OnlyA")
    b.request("GET", "OnlyB")
    a.disableLogging()
    b.disableLogging()
    assert "OnlyA" in a_stream.getvalue() and "OnlyB" not in a_stream.getvalue()
    assert "OnlyB" in b_stream.getvalue() and "OnlyA" not in b_stream.getvalue()


def test_no_global_logging_config_is_changed(stream: io.StringIO) -> None:
    logger = logging.getLogger("pyral")
    before = (list(logger.handlers), logger.level, logger.propagate, list(logging.getLogger().handlers))
    log = RallyLog(SERVICE, "u")
    log.enableLogging(stream)
    log.request("GET", "Project")
    log.disableLogging()
    assert (list(logger.handlers), logger.level, logger.propagate, list(logging.getLogger().handlers)) == before


def test_lines_also_go_through_pyral_logger(caplog: pytest.LogCaptureFixture) -> None:
    log = RallyLog(SERVICE, "u")
    with caplog.at_level(logging.DEBUG, logger="pyral"):
        log.request("GET", "Defect?query=(Name%20%3D%20x)")  # logging not enabled on the instance
        log.request("GET", "https://h/slm/webservice/v2.0/defect?key=abc123secret")
    records = [r for r in caplog.records if r.name == "pyral"]
    assert [r.getMessage() for r in records] == ["GET Defect?query=(Name = x)",
                                                 "GET https://h/slm/webservice/v2.0/defect?key=***"]
    assert all(r.levelno == logging.DEBUG for r in records)


def test_percent_in_message_is_safe(rlog: RallyLog, stream: io.StringIO) -> None:
    rlog.write("100% done %s %d")
    assert strip_ts(lines(stream)[-1]) == "100% done %s %d"


def test_log_output_is_redacted(rlog: RallyLog, stream: io.StringIO) -> None:
    apikey = "_" + "a1B2c3D4" * 5
    rlog.request("PUT", "User/create?key=f00dfeed-1234", {"User": {"UserName": "x", "Password": "hunter2"}})
    rlog.write(f"headers: {{'ZSESSIONID': '{apikey}', 'Authorization': 'Basic d2lsZXk6cHc='}}")
    text = stream.getvalue()
    for secret in ("f00dfeed", "hunter2", apikey, "d2lsZXk6cHc="):
        assert secret not in text
    assert "key=***" in text


def test_repr(stream: io.StringIO) -> None:
    log = RallyLog(SERVICE, "u")
    assert "disabled" in repr(log)
    log.enableLogging(stream)
    assert "enabled" in repr(log)
    log.disableLogging()


def test_target_of() -> None:
    assert target_of("https://h/slm/webservice/v2.0/Workspace/123/Projects?fetch=true") == "Workspace/123"
    assert target_of("https://h/slm/webservice/v2.0/defect/42") == "defect"
    assert target_of("Defect?fetch=true") == "Defect"


# ---------------------------------------------------------------------------------------------- redact

APIKEY = "_abcDEF0123456789ghiJKL0123456789mnoPQR"


@pytest.mark.parametrize(("text", "secret"), [
    (f"ZSESSIONID: {APIKEY}", APIKEY),
    ("zsessionid=notAnUnderscoreKey123", "notAnUnderscoreKey123"),
    (f"{{'ZSESSIONID': '{APIKEY}', 'Accept': 'x'}}", APIKEY),
    (f'{{"ZSESSIONID": "{APIKEY}"}}', APIKEY),
    (f"apikey={APIKEY}", APIKEY),
    ("--apikey=short_but_secret", "short_but_secret"),
    ("API_KEY = plainsecret", "plainsecret"),
    ("PASSWORD = G3ronim0!", "G3ronim0!"),
    ("--password=s3cr3t", "s3cr3t"),
    ("--rallyPassword=s3cr3t", "s3cr3t"),
    ("password: 'with spaces inside'", "with spaces inside"),
    ('{"Password": "pw in json"}', "pw in json"),
    ("{'password': 'pw in repr'}", "pw in repr"),
    ("pswd=abc123", "abc123"),
    ("Authorization: Basic d2lsZXlAYWNtZS5jb206cHc=", "d2lsZXlAYWNtZS5jb206cHc="),
    ("authorization: Bearer tok.en.value", "tok.en.value"),
    ("{'Authorization': 'Basic d2lsZXk6cHc='}", "d2lsZXk6cHc="),
    ("PUT defect/create?key=abc-123-def&workspace=workspace/1", "abc-123-def"),
    ("POST defect/1?workspace=w&key=tok_en#frag", "tok_en"),
    ("https://wiley:hunter2@rally1.rallydev.com/slm", "hunter2"),
    (f"the key is {APIKEY}.", APIKEY),
])
def test_redact_removes_secrets(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "***" in cleaned


@pytest.mark.parametrize("text", [
    "GET Defect?fetch=true&query=(State = Submitted)&pagesize=200&start=1",
    "PUT Defect/create?workspace=workspace/1&key=None",
    "200 Defect TotalResultCount 17",
    '{"_rallyAPIMajor": "2", "_rallyAPIMinor": "0", "_ref": "https://h/slm/webservice/v2.0/defect/1"}',
    "monkey=banana&turnkey=solution",
    "_refObjectUUID and _objectVersion stay",
    "Following entries record Rally REST API interaction via https://h/slm/webservice/v2.0 for user None",
])
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_redact_keeps_structure() -> None:
    assert redact("{'ZSESSIONID': 'abc', 'X': 'y'}") == "{'ZSESSIONID': '***', 'X': 'y'}"
    assert redact("a?key=tok&b=1") == "a?key=***&b=1"
    assert redact("PASSWORD = pw") == "PASSWORD = ***"
    assert redact(redact("password=pw")) == "password=***"


def test_redacting_filter() -> None:
    record = logging.LogRecord("pyral", logging.INFO, __file__, 1, "auth %s", ("ZSESSIONID: secretvalue",), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "auth ZSESSIONID: ***"


def test_concurrent_writes_and_toggles(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "threads.log"
    log = RallyLog(SERVICE, "u")
    log.enableLogging(str(path))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(200):
                log.request("GET", f"Defect/{n}-{i}")
        except BaseException as exc:  # pragma: no cover - failure path
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for _ in range(20):
        log.disableLogging()
        log.enableLogging(str(path), append=True)
    for t in threads:
        t.join()
    log.disableLogging()
    assert errors == []
    lines = path.read_text(encoding="utf-8").splitlines()
    assert any(" GET Defect/" in line for line in lines)  # the writers' lines reached the file
    for line in lines:
        assert re.match(TS + " (GET Defect/\\d-\\d+|Following entries record .*)$", line), line
