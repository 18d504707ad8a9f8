"""Rendering units: rich tables on a terminal, plain text when piped, cells, progress bar."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from pyral.cli.errors import CliError
from pyral.cli.output import cell, jsonable, output_file, write_rows
from pyral.cli.progress import progress
from pyral.entity import CustomField, User


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_on_terminal_is_a_rich_table() -> None:
    out = _Tty()
    write_rows(out, "table", ["A", "B"], [["x", 1], ["y", None]], title="T")
    text = out.getvalue()
    assert "┃" in text or "│" in text
    assert "x" in text and "A" in text


def test_table_when_piped_is_tab_separated() -> None:
    out = io.StringIO()
    write_rows(out, "table", ["A", "B"], [["multi\nline\ttext", True]])
    assert out.getvalue() == "A\tB\nmulti line text\ttrue\n"


def test_json_empty_and_full() -> None:
    out = io.StringIO()
    write_rows(out, "json", ["A"], [])
    assert json.loads(out.getvalue()) == []
    out = io.StringIO()
    write_rows(out, "json", ["A"], [[1], [2]])
    assert json.loads(out.getvalue()) == [{"A": 1}, {"A": 2}]


def test_cells_and_json_values() -> None:
    user = User(7, "Jo Smith", "http://h/slm/webservice/v2.0/user/7")
    assert cell(user) == "Jo Smith"
    user.__dict__["UserName"] = "jo@example.com"
    assert cell(user) == "jo@example.com"
    assert jsonable(user) == {"_ref": "user/7", "_type": "User", "_refObjectName": "Jo Smith",
                              "UserName": "jo@example.com"}
    assert cell([user, user]) == "jo@example.com, jo@example.com"
    assert cell(None) == "" and cell(False) == "false" and cell(2.5) == "2.5"
    link = CustomField(LinkID="X-1", DisplayString="x")
    assert json.loads(cell(link)) == {"DisplayString": "x", "LinkID": "X-1"}


def test_progress_draws_only_when_enabled(capsys: pytest.CaptureFixture[str]) -> None:
    with progress("work", 3, enabled=False) as advance:
        advance(3)
    assert capsys.readouterr().err == ""
    with progress("work", 3, enabled=True) as advance:
        for _ in range(3):
            advance(1)
    err = capsys.readouterr().err
    assert "work" in err and "3/3" in err and "items/s" in err


def test_progress_is_silent_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress("quiet", 1) as advance:
        advance(1)
    assert capsys.readouterr().err == ""




def test_output_file_is_created_under_the_umask_and_only_on_success(tmp_path: Path) -> None:
    """An exported file gets the mode any new file gets (not a temp file's 0600); a failure leaves nothing."""
    umask = os.umask(0o027)
    try:
        with output_file(str(tmp_path / "out.csv")) as fh:
            fh.write("a,b\n")
        with pytest.raises(RuntimeError), output_file(str(tmp_path / "broken.csv")) as fh:
            fh.write("half")
            raise RuntimeError("the export failed midway")
    finally:
        os.umask(umask)
    assert (tmp_path / "out.csv").read_text() == "a,b\n"
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with pytest.raises(CliError, match="does not exist"), output_file(str(tmp_path / "no" / "x.csv")):
        pass
