"""Lookback commands: ``lookback`` (snapshots as rows) and ``chart`` (CFD, burn-up, cycle time)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from pyral.client import Rally
from pyral.client.lookback import LookbackResult
from pyral.errors import RallyLookbackError
from pyral.model.lookback_metrics import SCHEDULE_STATES, burnup, cumulative_flow, cycle_times
from pyral.protocol import oid_from_ref
from pyral.protocol.lookback import end_of_day, iso

from .. import charts
from ..connect import connection_options, session
from ..errors import CliError, not_found, usage
from ..output import check_writable, output_file, write_rows
from .common import format_option, output_option

ARTIFACT_TYPES = ["HierarchicalRequirement", "Defect"]


def _json_option(text: str | None, option: str, kind: type) -> Any:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise usage(f"{option} is not valid JSON: {exc}") from exc
    if not isinstance(value, kind):
        raise usage(f"{option} must be a JSON {'object' if kind is dict else kind.__name__}, "
                    f"not {type(value).__name__}")
    return value


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def run_lookback(rally: Rally, find: Any, **kwargs: Any) -> LookbackResult:
    """``rally.lookback`` with Rally's refusals of the query turned into usage errors."""
    try:
        return rally.lookback(find, **kwargs)
    except ValueError as exc:
        raise usage(str(exc)) from exc
    except RallyLookbackError as exc:
        detail = "; ".join(exc.errors) or str(exc)
        if exc.status_code == 400:
            raise usage(f"bad query: {detail}") from exc
        raise CliError(f"Lookback API: {detail}") from exc


@click.command("lookback")
@click.option("--find", "find_text", required=True, metavar="JSON",
              help='The snapshot query, e.g. \'{"ObjectID": 123}\' or \'{"_TypeHierarchy": "Defect", '
                   '"__At": "current"}\'.')
@click.option("--fields", metavar="F,..", help="Fields to return (default: every field Rally returns).")
@click.option("--hydrate", metavar="F,..", help="Fields to return as names instead of OIDs (ScheduleState, ...).")
@click.option("--sort", "sort_text", metavar="JSON", help='Sort order, e.g. \'{"_ValidFrom": 1}\'.')
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N snapshots.")
@click.option("--compress", is_flag=True, help="Merge snapshots that differ only in fields not asked for.")
@format_option()
@output_option
@connection_options
@click.pass_context
def lookback(ctx: click.Context, find_text: str, fields: str | None, hydrate: str | None,
             sort_text: str | None, limit: int | None, compress: bool, fmt: str, output: str | None) -> None:
    """Query the Lookback API: the history of artifacts as snapshots, one row each."""
    find = _json_option(find_text, "--find", dict)
    sort = _json_option(sort_text, "--sort", dict)
    columns = _names(fields)
    if output and output != "-":
        check_writable(output)
    result = run_lookback(session(ctx).rally, find, fields=columns, hydrate=_names(hydrate), sort=sort,
                          limit=limit, compress=compress)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    snapshots: Any = result
    if columns is None:  # the columns are the union of the fields met, in order
        snapshots = result.all()
        seen: dict[str, None] = {}
        for snap in snapshots:
            seen.update(dict.fromkeys(snap.data))
        columns = list(seen) or ["ObjectID", "_ValidFrom", "_ValidTo"]
    names = columns
    with output_file(output, newline="" if fmt == "csv" else None) as out:
        write_rows(out, fmt, names, ([snap.get(n) for n in names] for snap in snapshots),
                   title=f"Snapshots ({result.resultCount})")


def _day(value: datetime) -> date:
    return value.date()


def _project_oid(rally: Rally) -> int | str:
    ref = rally.contextHelper.currentProjectRef()
    if not ref:
        raise usage("chart needs a project: give --project NAME")
    return oid_from_ref(ref)


def _timebox_oids(rally: Rally, kind: str, name: str) -> list[int]:
    """OIDs of the iterations or releases called ``name`` in the current project and below."""
    resp = rally.get(kind, fetch="ObjectID,Name", query=f'Name = "{name}"', projectScopeDown=True,
                     pagesize=200)
    oids = [int(item.oid) for item in resp]
    if not oids:
        raise not_found(f"no {kind.lower()} named {name!r} in the current project or below")
    return oids


def _states(rally: Rally) -> list[str]:
    values = rally.getAllowedValues("HierarchicalRequirement", "ScheduleState") or []
    states = [str(v) for v in values if isinstance(v, str) and v]
    return states or list(SCHEDULE_STATES)


@click.command("chart")
@click.argument("kind", type=click.Choice(["cfd", "burnup", "cycletime"]))
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="First day of the chart.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Last day of the chart (included).")
@click.option("--measure", type=click.Choice(["points", "count"]), default="points", show_default=True,
              help="burnup: sum PlanEstimate (points) or count items.")
@click.option("--iteration", metavar="NAME", help="Only the items scheduled in the iterations called NAME.")
@click.option("--release", metavar="NAME", help="Only the items scheduled in the releases called NAME.")
@output_option
@connection_options
@click.pass_context
def chart(ctx: click.Context, kind: str, start: datetime, end: datetime, measure: str, iteration: str | None,
          release: str | None, output: str | None) -> None:
    """Draw a cumulative flow diagram, a burn-up or a cycle-time chart of the current project
    (leaf stories and defects, sub-projects included) as PNG or SVG (needs the charts extra)."""
    first, last = _day(start), _day(end)
    if last < first:
        raise usage(f"--to {last} is before --from {first}")
    path = output or f"{kind}.png"
    if Path(path).suffix.lower() not in charts.FORMATS:
        raise usage(f"--output must end in .png or .svg, not {path!r}")
    check_writable(path)
    charts.require_matplotlib()
    rally = session(ctx).rally
    window: dict[str, Any] = {"$lt": end_of_day(last)}
    find: dict[str, Any] = {"_ProjectHierarchy": _project_oid(rally),
                            "_TypeHierarchy": {"$in": ARTIFACT_TYPES}, "Children": None, "_ValidFrom": window}
    if iteration:
        find["Iteration"] = {"$in": _timebox_oids(rally, "Iteration", iteration)}
    if release:
        find["Release"] = {"$in": _timebox_oids(rally, "Release", release)}
    if kind != "cycletime":  # cycle time needs each item's history from before the range too
        find["_ValidTo"] = {"$gt": iso(first)}
    states = _states(rally)
    result = run_lookback(rally, find, fields=["ObjectID", "ScheduleState", "PlanEstimate", "_ValidFrom",
                                               "_ValidTo"],
                          hydrate=["ScheduleState"], sort={"_ValidFrom": 1}, compress=True, pagesize=20000)
    snapshots = result.all()
    project = rally.contextHelper.currentProject()[1] or "project"
    project += "".join(f", {name}" for name in (iteration, release) if name)
    span = f"{first} to {last}"
    if kind == "cfd":
        fig = charts.cfd_figure(cumulative_flow(snapshots, first, last, states=states),
                                f"Cumulative flow: {project}, {span}")
    elif kind == "burnup":
        unit = "points" if measure == "points" else "items"
        up = burnup(snapshots, first, last, measure="PlanEstimate" if measure == "points" else None,
                    done=[s for s in states if s in ("Accepted", "Released")] or ["Accepted"])
        fig = charts.burnup_figure(up, f"Burn-up: {project}, {span}", unit)
    else:
        times = cycle_times(snapshots, states=states, since=first, until=last)
        fig = charts.cycletime_figure(times, f"Cycle time (In-Progress to Accepted): {project}, {span}")
    charts.save(fig, path)
    click.echo(f"{path}: {kind} of {len(snapshots)} snapshots, {(last - first + timedelta(days=1)).days} days")


COMMANDS = [lookback, chart]
