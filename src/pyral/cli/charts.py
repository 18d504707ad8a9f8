"""Drawing flow charts with matplotlib (the optional ``charts`` extra), headless.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, so no global backend state) and
saved as PNG (Agg) or SVG at a fixed size: 8 x 4.5 inches, 100 dpi (800 x 450 pixels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyral.model.lookback_metrics import CycleTime, DailySeries

from .errors import CliError
from .output import replaced

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100
FORMATS = {".png": "png", ".svg": "svg"}
MISSING = "charts need matplotlib, an optional extra: pip install 'pyral[charts]'"
_COLOURS = ["#9aa5b1", "#f0b429", "#3ebd93", "#2680c2", "#7b61ff", "#e12d39", "#8d6e63"]


def require_matplotlib() -> None:
    """Fail early, with the install hint, when the charts extra is missing."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError as exc:
        raise CliError(MISSING) from exc


def _figure(title: str) -> tuple[Any, Any]:
    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig, ax


def cfd_figure(flow: DailySeries, title: str) -> Any:
    """A stacked area per state, the first state at the bottom of the legend order."""
    fig, ax = _figure(title)
    names = [n for n, values in flow.series.items() if any(values)] or list(flow.series)[:1]
    ax.stackplot(flow.days, *[flow.series[n] for n in reversed(names)], labels=list(reversed(names)),
                 colors=[_COLOURS[i % len(_COLOURS)] for i in reversed(range(len(names)))], alpha=0.9)
    ax.set_ylabel("items")
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return fig


def burnup_figure(up: DailySeries, title: str, unit: str) -> Any:
    """Scope and done lines."""
    fig, ax = _figure(title)
    ax.plot(up.days, up.series["scope"], label="scope", color=_COLOURS[3], linewidth=2)
    ax.plot(up.days, up.series["done"], label="done", color=_COLOURS[2], linewidth=2)
    ax.fill_between(up.days, up.series["done"], color=_COLOURS[2], alpha=0.2)
    ax.set_ylabel(unit)
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return fig


def cycletime_figure(times: list[CycleTime], title: str) -> Any:
    """One dot per finished item (finish date, days taken) and the median as a line."""
    fig, ax = _figure(title)
    if times:
        days = [c.days for c in times]
        ax.scatter([c.finished for c in times], days, color=_COLOURS[3], label="items")
        median = sorted(days)[len(days) // 2] if len(days) % 2 else \
            (sorted(days)[len(days) // 2 - 1] + sorted(days)[len(days) // 2]) / 2
        ax.axhline(median, color=_COLOURS[5], linestyle="--", label=f"median {median:.1f} days")
        ax.legend(loc="upper left", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no item finished in this range", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("cycle time (days)")
    fig.autofmt_xdate()
    return fig


def save(fig: Any, path: str) -> None:
    """Write ``fig`` to ``path`` (format from the suffix) through a temp file renamed on success."""
    fmt = FORMATS[Path(path).suffix.lower()]
    with replaced(path) as tmp:
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
        fig.savefig(tmp, format=fmt, dpi=DPI, metadata=metadata)
