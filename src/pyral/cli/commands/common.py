"""Helpers shared by the commands: field lists, query arguments, option decorators."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from pyral.client import Rally
from pyral.model.schema import SchemaItem

from ..errors import CliError, usage
from ..output import FORMATS

F = TypeVar("F", bound=Callable[..., Any])

_PREFERRED = ("FormattedID", "Name", "ScheduleState", "State", "Severity", "Priority", "PlanEstimate",
              "Owner", "UserName", "DisplayName", "EmailAddress")
_NESTED = ("FormattedID", "UserName", "Name")


def default_fields(schema: SchemaItem) -> list[str]:
    """A short, useful column list for a type."""
    names = {a.ElementName for a in schema.Attributes}
    fields = [f for f in _PREFERRED if f in names]
    if "FormattedID" not in names:
        fields.insert(0, "ObjectID")
    return fields or ["ObjectID", "Name"]


def resolve_fields(schema: SchemaItem, fetch: str | None) -> list[str]:
    """Canonical attribute names for ``--fetch a,b`` (unknown names are usage errors)."""
    if not fetch:
        return default_fields(schema)
    fields: list[str] = []
    bad: list[str] = []
    for name in (n.strip() for n in fetch.split(",")):
        if not name:
            continue
        attr = schema.attribute(name)
        if attr is None:
            bad.append(name)
        elif attr.ElementName not in fields:
            fields.append(attr.ElementName)
    if bad:
        raise usage(f"unknown field(s) for {schema.TypePath or schema.ElementName}: {', '.join(bad)} "
                    f"(see 'pyral typedef {schema.ElementName}')")
    return fields


def fetch_text(schema: SchemaItem, fields: list[str]) -> str:
    """The fetch sent to Rally: the fields plus the names used to label references."""
    extra = []
    refs = any((schema.attribute(f) or _NoAttr).AttributeType in ("OBJECT", "COLLECTION") for f in fields)
    if refs:
        extra = [n for n in _NESTED if n not in fields]
    return ",".join(fields + extra)


class _NoAttr:
    AttributeType = ""


SCOPES = click.Choice(["none", "up", "down", "both"])
SCOPE_HELP = ("Project scoping around the current project: down (the default, as Rally's own: the project "
              "and its sub-projects), up, both, or none (the project alone).")


def scope_kwargs(scope: str | None) -> dict[str, bool]:
    """``--scope none|up|down|both`` → the client's projectScopeUp/Down keywords."""
    if not scope:
        return {}
    return {"projectScopeUp": scope in ("up", "both"), "projectScopeDown": scope in ("down", "both")}


def query_kwargs(rally: Rally, schema: SchemaItem, fields: list[str], where: str | None,
                 order: str | None, scope: str | None, limit: int | None) -> dict[str, Any]:
    """Keyword arguments for ``Rally.get``."""
    kwargs: dict[str, Any] = {"fetch": fetch_text(schema, fields), "pagesize": 2000}
    if where:
        kwargs["query"] = where
    if order:
        kwargs["order"] = order
    if limit is not None:
        kwargs["limit"] = limit
        kwargs["pagesize"] = max(1, min(limit, 2000))
    kwargs.update(scope_kwargs(scope))
    return kwargs


def format_option(choices: tuple[str, ...] = FORMATS, default: str = "table") -> Callable[[F], F]:
    """``--format`` with the given choices."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


def output_option(func: F) -> F:
    """``-o/--output FILE`` (``-`` or absent: stdout)."""
    return click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")(func)


def load_json_payload(path: str | None) -> dict[str, Any]:
    """The object in ``--json FILE`` (``-`` reads stdin)."""
    if not path:
        return {}
    try:
        if path == "-":
            import sys

            data = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
    except OSError as exc:
        raise usage(f"cannot read --json file {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise usage(f"--json file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise usage(f"--json file {path} must hold a JSON object of Field: value pairs")
    return data


def check_response(resp: Any) -> None:
    """Raise the errors a query response carries."""
    errors = getattr(resp, "errors", None)
    if errors:
        from pyral.errors import RallyRESTAPIError

        from ..errors import translate

        raise translate(RallyRESTAPIError(errors[0], errors=list(errors)))


def fail(message: str) -> CliError:
    """A Rally-level failure (exit 1)."""
    return CliError(message)
