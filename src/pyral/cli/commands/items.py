"""Item commands: query, show, create, update, delete, attach, attachments."""

from __future__ import annotations

import mimetypes
import os
import sys
from pathlib import Path
from typing import Any

import click

from pyral.errors import RallyRESTAPIError

from .. import connect
from ..connect import connection_options, session
from ..errors import CliError, usage
from ..output import (
    cell,
    check_writable,
    full_record,
    is_terminal,
    output_file,
    print_table,
    value_of,
    write_rows,
)
from ..resolve import FieldConverter, find, item_type, parse_assignments, type_name, typedef
from .common import (
    SCOPE_HELP,
    SCOPES,
    check_response,
    format_option,
    load_json_payload,
    output_option,
    query_kwargs,
    resolve_fields,
)


@click.command("query")
@click.argument("type_", metavar="TYPE")
@click.option("--where", metavar="EXPR", help='Query, e.g. \'State = "Open"\' or \'(A = 1) AND (B < 2)\'.')
@click.option("--fetch", metavar="F,..", help="Fields to show (default: a short list for the type).")
@click.option("--order", metavar="O", help="Sort order, e.g. 'Rank' or 'CreationDate desc'.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N items.")
@click.option("--scope", type=SCOPES, default="down", show_default=True, help=SCOPE_HELP)
@format_option()
@output_option
@connection_options
@click.pass_context
def query(ctx: click.Context, type_: str, where: str | None, fetch: str | None, order: str | None,
          limit: int | None, scope: str | None, fmt: str, output: str | None) -> None:
    """List the items of TYPE (Defect, HierarchicalRequirement, PortfolioItem/Feature, ...)."""
    if output and output != "-":
        check_writable(output)
    rally = session(ctx).rally
    schema = typedef(rally, type_)
    fields = resolve_fields(schema, fetch)
    resp = rally.get(type_name(schema), **query_kwargs(rally, schema, fields, where, order, scope, limit))
    check_response(resp)
    with output_file(output, newline="" if fmt == "csv" else None) as out:
        write_rows(out, fmt, fields, ([value_of(item, f, expand=True) for f in fields] for item in resp),
                   title=f"{type_name(schema)} ({resp.resultCount})")


@click.command("show")
@click.argument("ident", metavar="ID")
@format_option(("details", "json"), default="details")
@connection_options
@click.pass_context
def show(ctx: click.Context, ident: str, fmt: str) -> None:
    """Show every field of one item (ID: a FormattedID like US12, DE7, F3, or TYPE/OID)."""
    item = find(session(ctx).rally, ident)
    record = full_record(item, expand=True)
    if fmt == "json":
        import json

        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    first = [k for k in ("FormattedID", "Name", "_type", "_ref") if k in record]
    keys = first + [k for k in record if k not in first]
    rows = [[k.removeprefix("c_") if k.startswith("c_") else k, cell(_plain(record[k]))] for k in keys]
    if is_terminal(sys.stdout):
        print_table(["Field", "Value"], rows, title=f"{item_type(item)} {record.get('FormattedID', '')}")
    else:
        width = max(len(r[0]) for r in rows)
        for name, value in rows:
            click.echo(f"{name:<{width}}  {' '.join(value.split())}")


def _plain(value: Any) -> Any:
    """Labels for JSON reference objects in the details view."""
    if isinstance(value, dict) and "_ref" in value:
        return value.get("FormattedID") or value.get("UserName") or value.get("_refObjectName") or value["_ref"]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _payload(ctx: click.Context, type_: str, pairs: tuple[str, ...], json_file: str | None
             ) -> tuple[Any, FieldConverter, dict[str, Any], dict[str, Any]]:
    raw: dict[str, Any] = load_json_payload(json_file)
    raw.update(parse_assignments(pairs))
    if not raw:
        raise usage("nothing to write: give Field=Value pairs or --json FILE")
    rally = session(ctx).rally
    conv = FieldConverter(rally, typedef(rally, type_))
    ident, data = conv.payload(raw)
    return rally, conv, ident, data


@click.command("create")
@click.argument("type_", metavar="TYPE")
@click.argument("pairs", nargs=-1, metavar="Field=Value...")
@click.option("--json", "json_file", metavar="FILE", help="Read the fields from a JSON object ('-': stdin).")
@format_option(("text", "json"), default="text")
@connection_options
@click.pass_context
def create(ctx: click.Context, type_: str, pairs: tuple[str, ...], json_file: str | None, fmt: str) -> None:
    """Create an item of TYPE. References take a name, FormattedID, username or ref."""
    rally, conv, ident, data = _payload(ctx, type_, pairs, json_file)
    if ident:
        raise usage("create does not take ObjectID or FormattedID (use 'pyral update')")
    item = rally.create(type_name(conv.schema), data)
    _report(item, "Created", fmt)


@click.command("update")
@click.argument("ident", metavar="ID")
@click.argument("pairs", nargs=-1, metavar="Field=Value...")
@click.option("--json", "json_file", metavar="FILE", help="Read the fields from a JSON object ('-': stdin).")
@format_option(("text", "json"), default="text")
@connection_options
@click.pass_context
def update(ctx: click.Context, ident: str, pairs: tuple[str, ...], json_file: str | None, fmt: str) -> None:
    """Update fields of the item ID (FormattedID or TYPE/OID)."""
    rally = session(ctx).rally
    target = find(rally, ident, fetch="ObjectID,FormattedID,Name")
    _rally, conv, _ident, data = _payload(ctx, item_type(target), pairs, json_file)
    item = rally.update(item_type(target), {"ObjectID": target.oid, **data})
    _report(item, "Updated", fmt)


def _report(item: Any, verb: str, fmt: str) -> None:
    if fmt == "json":
        import json

        click.echo(json.dumps(full_record(item), indent=2, ensure_ascii=False))
        return
    label = item.__dict__.get("FormattedID") or ""
    click.echo(f"{verb} {item_type(item)} {label + ' ' if label else ''}({item.ref})")


@click.command("delete")
@click.argument("ident", metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@connection_options
@click.pass_context
def delete(ctx: click.Context, ident: str, yes: bool) -> None:
    """Delete the item ID (asks first unless --yes)."""
    rally = session(ctx).rally
    target = find(rally, ident, fetch="ObjectID,FormattedID,Name")
    label = f"{item_type(target)} {target.__dict__.get('FormattedID') or target.ref} {target.Name!r}"
    if not yes:
        if not connect.can_prompt():
            raise usage(f"refusing to delete {label} without confirmation: add --yes")
        click.confirm(f"Delete {label}?", abort=True, err=True)
    try:
        rally.delete(item_type(target), target.oid, raise_on_error=True)
    except RallyRESTAPIError as exc:
        raise CliError(f"Rally did not delete {label}: {'; '.join(exc.errors) or exc}") from exc
    click.echo(f"Deleted {label}")


@click.command("attach")
@click.argument("ident", metavar="ID")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@connection_options
@click.pass_context
def attach(ctx: click.Context, ident: str, files: tuple[str, ...]) -> None:
    """Attach FILEs to the item ID."""
    rally = session(ctx).rally
    target = find(rally, ident)
    existing = set(rally.getAttachmentNames(target))
    failed = 0
    for path in files:
        name = os.path.basename(path)
        if name in existing:
            click.echo(f"Error: {name} is already attached to {ident}; not attached again", err=True)
            failed += 1
            continue
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        att = rally.addAttachment(target, path, mime)
        if not att:
            raise CliError(f"Rally did not attach {path} to {ident}")
        existing.add(name)
        click.echo(f"Attached {name} ({os.path.getsize(path)} bytes, {mime}) to {ident}")
    if failed:
        ctx.exit(1)


@click.command("attachments")
@click.argument("ident", metavar="ID")
@click.option("--download", metavar="DIR", type=click.Path(file_okay=False),
              help="Save the attachments into DIR (created if needed).")
@format_option()
@connection_options
@click.pass_context
def attachments(ctx: click.Context, ident: str, download: str | None, fmt: str) -> None:
    """List (or download) the attachments of the item ID."""
    rally = session(ctx).rally
    target = find(rally, ident)
    if download:
        folder = Path(download)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise usage(f"cannot create directory {download}: {exc.strerror or exc}") from exc
        if not os.access(folder, os.W_OK):
            raise usage(f"cannot write to directory {download}: permission denied")
        used: set[str] = set()
        for att in rally.getAttachments(target):
            name = os.path.basename(str(att.Name)) or str(att.oid)
            if name in used:
                name = f"{att.oid}-{name}"
            used.add(name)
            (folder / name).write_bytes(att.Content)
            click.echo(f"Saved {folder / name} ({len(att.Content)} bytes)")
        return
    cols = ["Name", "Size", "ContentType", "ObjectID"]
    rows = ([a.__dict__.get("Name"), a.__dict__.get("Size"), a.__dict__.get("ContentType"), a.oid]
            for a in (target.Attachments or []))
    write_rows(sys.stdout, fmt, cols, rows, title=f"Attachments of {ident}")


COMMANDS = [query, show, create, update, delete, attach, attachments]
