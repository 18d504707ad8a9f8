"""Bulk commands: ``export`` (streamed, concurrent paging) and ``import`` (batch create/update)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from pyral.errors import RallyAuthError, RallyConnectionError, RallyError

from ..connect import connection_options, session
from ..errors import CliError, translate, usage
from ..output import RowWriter, check_writable, output_file, value_of
from ..progress import progress
from ..resolve import FieldConverter, find, type_name, typedef
from .common import SCOPE_HELP, SCOPES, check_response, query_kwargs, resolve_fields


@click.command("export")
@click.argument("type_", metavar="TYPE")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), required=True, help="File format.")
@click.option("-o", "--output", required=True, metavar="FILE", help="File to write (replaced on success).")
@click.option("--where", metavar="EXPR", help="Query expression.")
@click.option("--fetch", metavar="F,..", help="Fields (columns) to export.")
@click.option("--order", metavar="O", default="ObjectID", show_default=True, help="Sort order.")
@click.option("--scope", type=SCOPES, default="down", show_default=True, help=SCOPE_HELP)
@connection_options
@click.pass_context
def export(ctx: click.Context, type_: str, fmt: str, output: str, where: str | None, fetch: str | None,
           order: str, scope: str | None) -> None:
    """Stream every item of TYPE to a CSV or JSON-lines file (constant memory)."""
    check_writable(output)
    rally = session(ctx).rally
    schema = typedef(rally, type_)
    fields = resolve_fields(schema, fetch)
    resp = rally.get(type_name(schema), **query_kwargs(rally, schema, fields, where, order, scope, None))
    check_response(resp)
    with output_file(output, newline="" if fmt == "csv" else None) as fh, \
            progress(f"export {type_name(schema)}", resp.resultCount) as advance, \
            RowWriter(fh, fmt, fields, rich_table=False) as writer:
        for item in resp:
            writer.write([value_of(item, f, expand=True) for f in fields])
            advance(1)
    click.echo(f"Exported {writer.count} {type_name(schema)} items to {output}", err=True)


def _detect(path: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise usage(f"cannot tell the format of {path}: use a .csv or .jsonl name, or --format")


Row = tuple[int, Any, str | None]


def _rows(fh: IO[str], fmt: str) -> tuple[list[str] | None, Iterator[Row]]:
    """(CSV header or None, iterator of (row number, record, problem or None))."""
    if fmt == "csv":
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise usage("the CSV file is empty (no header row)")

        def gen_csv() -> Iterator[Row]:
            for number, values in enumerate(reader, start=1):
                if not any(v.strip() for v in values):
                    yield number, values, "empty row"
                elif len(values) != len(header):
                    yield number, values, f"expected {len(header)} columns, found {len(values)}"
                else:
                    yield number, dict(zip(header, values)), None
        return header, gen_csv()

    def gen_jsonl() -> Iterator[Row]:
        for number, line in enumerate(fh, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                yield number, text, "empty line"
                continue
            try:
                record = json.loads(text)
            except ValueError as exc:
                yield number, text, f"not valid JSON: {exc}"
                continue
            if isinstance(record, dict):
                yield number, record, None
            else:
                yield number, text, "not a JSON object"
    return None, gen_jsonl()


def _count(path: str, fmt: str) -> int:
    with open(path, encoding="utf-8-sig", newline="" if fmt == "csv" else None) as fh:
        if fmt == "csv":
            return max(0, sum(1 for _ in csv.reader(fh)) - 1)
        return sum(1 for _ in fh)


class ErrorReport:
    """The per-row error file (CSV: row, error, record), created at the first error."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self._fh: IO[str] | None = None
        self._csv: Any = None

    def add(self, row: int, error: str, record: Any) -> None:
        """Record one failed row (``record``: the row as read)."""
        if self._fh is None:
            self._fh = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by close()
            self._csv = csv.writer(self._fh)
            self._csv.writerow(["row", "error", "record"])
        text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
        self._csv.writerow([row, " ".join(str(error).split()), text])
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


@click.command("import")
@click.argument("type_", metavar="TYPE")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="File format (default: by extension).")
@click.option("--errors", "errors_path", metavar="FILE",
              help="Per-row error report (default: FILE.errors.csv, written only if a row fails).")
@click.option("--batch-size", type=click.IntRange(1, 2000), default=500, show_default=True,
              help="Rows sent per round of batch requests.")
@connection_options
@click.pass_context
def import_(ctx: click.Context, type_: str, file: str, fmt: str | None, errors_path: str | None,
            batch_size: int) -> None:
    """Create or update items of TYPE from a CSV or JSON-lines FILE.

    Rows with an ObjectID or FormattedID update that item; other rows create one. Values are
    typed by the schema; references take a name, FormattedID, username or ref. Every row that
    fails is listed in the error report and the command exits 1.
    """
    fmt = _detect(file, fmt)
    report_path = errors_path or f"{file}.errors.csv"
    check_writable(report_path)
    rally = session(ctx).rally
    schema = typedef(rally, type_)
    conv = FieldConverter(rally, schema)
    total = _count(file, fmt)
    report = ErrorReport(report_path)
    stats = {"created": 0, "updated": 0}
    try:
        with open(file, encoding="utf-8-sig", newline="" if fmt == "csv" else None) as fh, \
                progress(f"import {type_name(schema)}", total) as advance:
            header, rows = _rows(fh, fmt)
            if header is not None:
                conv.check_columns(header)
            chunk: list[Row] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch_size:
                    _send(rally, conv, chunk, report, stats, advance)
                    chunk = []
            if chunk:
                _send(rally, conv, chunk, report, stats, advance)
    finally:
        report.close()
    done = stats["created"] + stats["updated"]
    click.echo(f"Imported {done} of {done + report.count} rows into {type_name(schema)}: "
               f"{stats['created']} created, {stats['updated']} updated, {report.count} failed", err=True)
    if report.count:
        raise CliError(f"{report.count} row(s) failed; see {report_path}")


def _send(rally: Any, conv: FieldConverter, chunk: list[Row], report: ErrorReport,
          stats: dict[str, int], advance: Any) -> None:
    """Type one chunk of rows and send its creates and updates through the batch endpoint."""
    creates: list[tuple[int, Any, dict[str, Any]]] = []
    updates: list[tuple[int, Any, dict[str, Any]]] = []
    failed: list[tuple[int, str, Any]] = []
    for number, record, problem in chunk:
        if problem is not None:
            failed.append((number, problem, record))
            continue
        try:
            ident, data = conv.payload(record)
            if ident:
                oid = ident.get("ObjectID")
                if oid in (None, ""):
                    oid = find(rally, str(ident["FormattedID"]), fetch="ObjectID").oid
                elif not str(oid).strip().isdigit():
                    raise usage(f"ObjectID must be a number, got {oid!r}")
                updates.append((number, record, {"ObjectID": int(str(oid).strip()), **data}))
            else:  # an empty cell of a create row means "not given": Rally's default applies
                creates.append((number, record, {k: v for k, v in data.items() if v is not None}))
        except CliError as exc:
            failed.append((number, exc.format_message(), record))
        except RallyError as exc:
            failed.append((number, translate(exc).format_message(), record))
    name = type_name(conv.schema)
    for batch, method, key in ((creates, rally.createMultiple, "created"),
                               (updates, rally.updateMultiple, "updated")):
        if not batch:
            continue
        try:
            result = method(name, [data for _n, _r, data in batch])
        except (RallyAuthError, RallyConnectionError):
            raise
        except RallyError as exc:
            message = translate(exc).format_message()
            failed.extend((number, message, record) for number, record, _data in batch)
            continue
        for index, _item, errs in result.failures:
            number, record, _data = batch[index]
            failed.append((number, "; ".join(errs) or "rejected", record))
        stats[key] += len(batch) - len(result.failures)
    for number, message, record in sorted(failed, key=lambda f: f[0]):
        report.add(number, message, record)
    advance(len(chunk))


COMMANDS = [export, import_]
