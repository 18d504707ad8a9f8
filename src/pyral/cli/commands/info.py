"""Browsing commands: workspaces, projects, users, types, typedef, allowed."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..connect import connection_options, session
from ..errors import usage
from ..output import is_terminal, write_rows
from ..resolve import type_name, typedef
from .common import check_response, format_option


@click.command("workspaces")
@format_option()
@connection_options
@click.pass_context
def workspaces(ctx: click.Context, fmt: str) -> None:
    """List the open workspaces you can see."""
    rally = session(ctx).rally
    current = rally.getWorkspace().ref
    rows = ([w.Name, w.oid, "*" if w.ref == current else ""] for w in rally.getWorkspaces())
    write_rows(sys.stdout, fmt, ["Name", "ObjectID", "Current"], rows, title="Workspaces")


@click.command("projects")
@click.option("--tree", is_flag=True, help="Show the project hierarchy.")
@format_option()
@connection_options
@click.pass_context
def projects(ctx: click.Context, tree: bool, fmt: str) -> None:
    """List the projects of the workspace."""
    rally = session(ctx).rally
    resp = rally.get("Project", fetch="ObjectID,Name,State,Parent", project=None, order="Name", pagesize=2000)
    check_response(resp)
    items = [(p.oid, p.__dict__.get("Name"), p.__dict__.get("State"),
              getattr(p.__dict__.get("Parent"), "oid", None)) for p in resp]
    if not tree:
        flat = ([name, oid, state, _name(items, parent)] for oid, name, state, parent in items)
        write_rows(sys.stdout, fmt, ["Name", "ObjectID", "State", "Parent"], flat, title="Projects")
        return
    known = {oid for oid, *_ in items}
    children: dict[Any, list[tuple[Any, str, str]]] = {}
    for oid, name, state, parent in items:
        children.setdefault(parent if parent in known else None, []).append((oid, name, state))
    if fmt == "table" and is_terminal(sys.stdout):
        from rich.console import Console
        from rich.tree import Tree

        root = Tree(f"[bold]{rally.getWorkspace().Name}[/bold]")
        _grow(root, children, None)
        Console().print(root)
        return
    rows = []
    for depth, (oid, name, state) in _walk(children, None, 0):
        rows.append([name, oid, state, depth])
    write_rows(sys.stdout, fmt, ["Name", "ObjectID", "State", "Depth"], rows)


def _name(items: list[tuple[Any, Any, Any, Any]], oid: Any) -> str:
    return next((str(n) for o, n, _s, _p in items if o == oid), "" if oid is None else str(oid))


def _walk(children: dict[Any, list[tuple[Any, str, str]]], parent: Any, depth: int) -> Any:
    for oid, name, state in children.get(parent, []):
        yield depth, (oid, name, state)
        yield from _walk(children, oid, depth + 1)


def _grow(node: Any, children: dict[Any, list[tuple[Any, str, str]]], parent: Any) -> None:
    for oid, name, state in children.get(parent, []):
        label = f"{name} [dim]({oid}{', ' + state if state and state != 'Open' else ''})[/dim]"
        _grow(node.add(label), children, oid)


@click.command("users")
@format_option()
@connection_options
@click.pass_context
def users(ctx: click.Context, fmt: str) -> None:
    """List the users of the subscription."""
    rally = session(ctx).rally
    cols = ["UserName", "DisplayName", "EmailAddress", "Disabled", "SubscriptionAdmin", "ObjectID"]
    rows = ([u.__dict__.get(c) if c != "ObjectID" else u.oid for c in cols] for u in rally.getAllUsers())
    write_rows(sys.stdout, fmt, cols, rows, title="Users")


@click.command("types")
@format_option()
@connection_options
@click.pass_context
def types(ctx: click.Context, fmt: str) -> None:
    """List the types of the workspace schema."""
    rally = session(ctx).rally
    cols = ["TypePath", "Name", "IDPrefix", "Creatable", "Queryable", "Abstract"]
    raw = sorted(rally.getSchemaInfo(), key=lambda t: str(t.get("TypePath") or t.get("ElementName")))
    rows = ([t.get("TypePath") or t.get("ElementName"), t.get("Name"), t.get("IDPrefix"),
             bool(t.get("Creatable")), bool(t.get("Queryable")), bool(t.get("Abstract"))] for t in raw)
    write_rows(sys.stdout, fmt, cols, rows, title="Types")


@click.command("typedef")
@click.argument("type_", metavar="TYPE")
@click.option("--all", "show_hidden", is_flag=True, help="Include hidden attributes.")
@format_option()
@connection_options
@click.pass_context
def typedef_cmd(ctx: click.Context, type_: str, show_hidden: bool, fmt: str) -> None:
    """Show the attributes of TYPE: type, required, read-only, allowed values."""
    rally = session(ctx).rally
    schema = typedef(rally, type_)
    rows = []
    for attr in sorted(schema.Attributes, key=lambda a: a.ElementName.lower()):
        if attr.Hidden and not show_hidden:
            continue
        kind = attr.AttributeType
        if kind in ("OBJECT", "COLLECTION") and attr.SchemaType:
            kind = f"{kind} {attr.SchemaType}"
        allowed: list[Any] = []
        if attr.AttributeType in ("RATING", "STATE") or (attr.Constrained and attr.AttributeType == "STRING"):
            allowed = [v for v in (rally.getAllowedValues(type_name(schema), attr.ElementName) or [])
                       if v is not True]
        rows.append([attr.ElementName, kind, attr.Required, attr.ReadOnly, attr.Custom,
                     ", ".join("(none)" if v == "" else str(v) for v in allowed)])
    cols = ["Attribute", "Type", "Required", "ReadOnly", "Custom", "AllowedValues"]
    write_rows(sys.stdout, fmt, cols, rows, title=type_name(schema))


@click.command("allowed")
@click.argument("type_", metavar="TYPE")
@click.argument("attribute")
@format_option()
@connection_options
@click.pass_context
def allowed(ctx: click.Context, type_: str, attribute: str, fmt: str) -> None:
    """List the allowed values of TYPE's ATTRIBUTE."""
    rally = session(ctx).rally
    schema = typedef(rally, type_)
    attr = schema.attribute(attribute)
    if attr is None:
        raise usage(f"unknown field {attribute!r} for {type_name(schema)} (see 'pyral typedef {type_}')")
    values = rally.getAllowedValues(type_name(schema), attr.ElementName) or []
    if values == [True]:
        click.echo(f"{attr.ElementName} takes references to {attr.SchemaType or 'objects'}, "
                   "not a list of values", err=True)
        values = []
    write_rows(sys.stdout, fmt, ["Value"], ([v] for v in values), title=f"{type_name(schema)}.{attr.ElementName}")


COMMANDS = [workspaces, projects, users, types, typedef_cmd, allowed]
