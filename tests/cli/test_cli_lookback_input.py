"""``pyral lookback`` and ``pyral chart``: bad input fails before any request, with exit codes per
docs/cli.md; the chart files themselves are valid images of the documented size."""

from __future__ import annotations

import importlib
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result

from pyral.cli import charts
from pyral.model.lookback_metrics import CycleTime, DailySeries, burnup, cumulative_flow
from pyral.protocol.lookback import parse_time

Run = Callable[..., Result]


@pytest.mark.parametrize(("args", "text"), [
    (["lookback", "--find", "{nope"], "--find is not valid JSON"),
    (["lookback", "--find", "[1]"], "--find must be a JSON object"),
    (["lookback", "--find", "{}", "--sort", "_ValidFrom"], "--sort is not valid JSON"),
    (["lookback", "--find", "{}", "--sort", "[1]"], "--sort must be a JSON object"),
    (["lookback", "--find", "{}", "--limit", "0"], "0 is not in the range"),
    (["lookback", "--find", "{}", "--format", "xml"], "'xml' is not one of"),
    (["lookback"], "Missing option '--find'"),
    (["chart", "pie", "--from", "2024-03-01", "--to", "2024-03-02"], "'pie' is not one of"),
    (["chart", "cfd", "--from", "March 1st", "--to", "2024-03-02"], "'March 1st' does not match"),
    (["chart", "cfd", "--from", "2024-03-05", "--to", "2024-03-02"], "--to 2024-03-02 is before --from"),
    (["chart", "cfd", "--from", "2024-03-01", "--to", "2024-03-02", "-o", "cfd.jpg"], "must end in .png or .svg"),
    (["chart", "cfd", "--from", "2024-03-01", "--to", "2024-03-02", "-o", "no/such/dir/cfd.png"],
     "does not exist"),
    (["chart", "cfd", "--to", "2024-03-02"], "Missing option '--from'"),
])
def test_bad_input_is_a_usage_error(clean_env: Path, run: Run, args: list[str], text: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert text in result.stderr
    assert list(clean_env.glob("*.png")) == [] and list(clean_env.glob(".*part")) == []


def test_missing_charts_extra_is_a_clear_error(clean_env: Path, run: Run,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = run("chart", "burnup", "--from", "2024-03-01", "--to", "2024-03-02")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: charts need matplotlib, an optional extra: pip install 'pyral[charts]'"
    assert list(clean_env.iterdir()) == []


SNAPS = [{"ObjectID": 1, "_ValidFrom": "2024-03-01T09:00:00.000Z", "_ValidTo": "2024-03-02T09:00:00.000Z",
          "ScheduleState": "Defined", "PlanEstimate": 3},
         {"ObjectID": 1, "_ValidFrom": "2024-03-02T09:00:00.000Z", "_ValidTo": "9999-01-01T00:00:00.000Z",
          "ScheduleState": "Accepted", "PlanEstimate": 3}]


def _png_size(path: Path) -> tuple[int, int]:
    image = importlib.import_module("PIL.Image")  # setup.sh installs every extra: fail, not skip
    with image.open(path) as img:
        img.verify()
    with image.open(path) as img:
        assert img.format == "PNG"
        return img.size


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_charts_are_images_of_the_documented_size(tmp_path: Path, suffix: str) -> None:
    importlib.import_module("matplotlib")  # setup.sh installs every extra: fail, not skip
    first, last = date(2024, 3, 1), date(2024, 3, 3)
    figures = [charts.cfd_figure(cumulative_flow(SNAPS, first, last), "cfd"),
               charts.burnup_figure(burnup(SNAPS, first, last), "burnup", "points"),
               charts.cycletime_figure([CycleTime(1, parse_time("2024-03-01T09:00:00Z"),
                                                  parse_time("2024-03-02T09:00:00Z"))], "cycle"),
               charts.cycletime_figure([], "empty"),
               charts.cfd_figure(DailySeries([first], {"Defined": [0.0]}), "nothing")]
    for index, fig in enumerate(figures):
        path = tmp_path / f"chart{index}{suffix}"
        charts.save(fig, str(path))
        if suffix == ".png":
            assert _png_size(path) == (800, 450)
        else:
            root = ET.parse(path).getroot()
            assert root.tag.endswith("svg")
            assert (root.get("width"), root.get("height")) == ("576pt", "324pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"chart{i}{suffix}" for i in range(5)]
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / f"chart0{suffix}").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_save_leaves_nothing(tmp_path: Path) -> None:
    importlib.import_module("matplotlib")  # setup.sh installs every extra: fail, not skip
    target = tmp_path / "old.png"
    target.write_bytes(b"previous")

    class Broken:
        def savefig(self, *args: object, **kwargs: object) -> None:
            Path(str(args[0])).write_bytes(b"half")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        charts.save(Broken(), str(target))
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["old.png"]
