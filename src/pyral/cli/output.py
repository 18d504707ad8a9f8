"""Rendering: flat cell text, JSON values, table/csv/json/jsonl writers and safe output files.

Values are read from an entity's ``__dict__``; the only lazy load is an explicit ``expand`` of
a collection.  A reference renders as the referenced object's FormattedID, else (users) its
UserName, else its name; a collection as the list of those; ``None`` as an empty cell.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pyral.model import state
from pyral.model.entities import CustomField, Persistable

from .errors import usage

FORMATS = ("table", "csv", "json", "jsonl")


class Lazy:
    """A collection the query did not load (rendered as its ref)."""

    def __init__(self, ref: str) -> None:
        self.ref = ref


def short_ref(ref: str) -> str:
    """``http://h/slm/webservice/v2.0/defect/12`` → ``defect/12``."""
    marker = "/v2.0/"
    return ref.split(marker, 1)[1] if marker in ref else ref


def value_of(item: Persistable, name: str, *, expand: bool = False) -> Any:
    """The value of attribute ``name`` as fetched; a collection not yet loaded is loaded
    (one request) only with ``expand``, otherwise it comes back as :class:`Lazy`."""
    d = item.__dict__
    if name in d:
        return d[name]
    lazy = state.pending(item)
    if name in lazy:
        return getattr(item, name) if expand else Lazy(short_ref(lazy[name]))
    if name == "ObjectID":
        return item.oid
    return None


def ref_label(obj: Persistable) -> str:
    """How a reference is shown: FormattedID, UserName, Name, or the ref."""
    d = obj.__dict__
    for key in ("FormattedID", "UserName"):
        if d.get(key):
            return str(d[key])
    name = d.get("Name") or d.get("_refObjectName")
    if name and name != "Unknown":
        return str(name)
    return obj.ref


def cell(value: Any) -> str:
    """Flat text for a table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Persistable):
        return ref_label(value)
    if isinstance(value, Lazy):
        return value.ref
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, CustomField | dict):
        return json.dumps(jsonable(value), ensure_ascii=False, sort_keys=True)
    return str(value)


def jsonable(value: Any) -> Any:
    """A JSON-compatible rendering (references become small ``{_ref, ...}`` objects)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Persistable):
        d = value.__dict__
        out: dict[str, Any] = {"_ref": value.ref, "_type": d.get("_type") or type(value).__name__}
        name = d.get("Name") or d.get("_refObjectName")
        if name and name != "Unknown":
            out["_refObjectName"] = name
        for key in ("FormattedID", "UserName"):
            if d.get(key):
                out[key] = d[key]
        return out
    if isinstance(value, Lazy):
        return {"_ref": value.ref}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, CustomField):
        return {k: jsonable(v) for k, v in vars(value).items() if v is not None}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def full_record(item: Persistable, *, expand: bool = False) -> dict[str, Any]:
    """Every fetched attribute of ``item`` (bookkeeping dropped) as JSON values; ``expand``
    loads the collections that are not loaded yet."""
    skip = {"oid", *state.BOOKKEEPING, "_CreatedAt",
            "_refObjectUUID", "_objectVersion"}
    d = item.__dict__
    out: dict[str, Any] = {"_ref": item.ref, "_type": d.get("_type")}
    for key in sorted(k for k in list(d) + list(state.pending(item)) if k not in skip):
        if key in ("_ref", "_type"):
            continue
        out[key] = jsonable(value_of(item, key, expand=expand))
    return out


def is_terminal(stream: IO[Any]) -> bool:
    """True when ``stream`` is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class RowWriter:
    """Streams rows (lists of values) in one format; ``table`` collects rows for rich."""

    def __init__(self, out: IO[str], fmt: str, columns: Sequence[str], *, rich_table: bool,
                 title: str | None = None) -> None:
        self.out, self.fmt, self.columns = out, fmt, list(columns)
        self.rich = fmt == "table" and rich_table
        self.title = title
        self.count = 0
        self._rows: list[list[str]] = []
        self._csv = csv.writer(out) if fmt == "csv" else None

    def __enter__(self) -> RowWriter:
        if self._csv is not None:
            self._csv.writerow(self.columns)
        elif self.fmt == "table" and not self.rich:
            self.out.write("\t".join(self.columns) + "\n")
        elif self.fmt == "json":
            self.out.write("[")
        return self

    def write(self, values: Sequence[Any]) -> None:
        """Write one row (raw values, in column order)."""
        if self._csv is not None:
            self._csv.writerow([cell(v) for v in values])
        elif self.fmt == "table":
            texts = [cell(v) for v in values]
            if self.rich:
                self._rows.append(texts)
            else:
                self.out.write("\t".join(" ".join(t.split()) for t in texts) + "\n")
        else:
            record = {c: jsonable(v) for c, v in zip(self.columns, values)}
            text = json.dumps(record, ensure_ascii=False)
            if self.fmt == "json":
                self.out.write(("\n " if self.count == 0 else ",\n ") + text)
            else:
                self.out.write(text + "\n")
        self.count += 1

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            return
        if self.fmt == "json":
            self.out.write("\n]\n" if self.count else "]\n")
        elif self.rich:
            print_table(self.columns, self._rows, title=self.title, out=self.out)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, title: str | None = None,
                out: IO[str] | None = None) -> None:
    """A rich table on ``out`` (a terminal)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(file=out or sys.stdout, soft_wrap=False).print(table)


def write_rows(out: IO[str], fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
               title: str | None = None) -> int:
    """Write all ``rows``; tables use rich on a terminal and tab-separated text otherwise."""
    with RowWriter(out, fmt, columns, rich_table=is_terminal(out), title=title) as writer:
        for row in rows:
            writer.write(row)
    return writer.count


def check_writable(path: str) -> None:
    """Fail fast (usage error) if ``path`` cannot be created or replaced."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise usage(f"cannot write output file {path}: it is a directory")
    if not parent.is_dir():
        raise usage(f"cannot write output file {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise usage(f"cannot write output file {path}: permission denied")


@contextmanager
def replaced(path: str) -> Iterator[Path]:
    """A fresh temp file beside ``path`` (created under the umask, as any new file), renamed over it on success."""
    target = Path(path)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.part"
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise usage(f"cannot write output file {path}: {exc.strerror or exc}") from exc
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@contextmanager
def output_file(path: str | None, *, newline: str | None = None) -> Iterator[IO[str]]:
    """stdout for None/``-``; otherwise a temp file renamed over ``path`` only on success."""
    if path in (None, "-"):
        yield sys.stdout
        return
    assert path is not None
    check_writable(path)
    with replaced(path) as tmp, open(tmp, "w", encoding="utf-8", newline=newline) as fh:
        yield fh
