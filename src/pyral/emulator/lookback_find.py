"""The Lookback API's ``find`` language (a MongoDB subset) compiled to SQL over ``snapshots``.

Kept apart from the WSAPI query compiler: a different language over a different table.

* ``{F: v}`` is equality; on an array field (``Tags``, ``Children`` ...) it matches any element;
  ``{F: null}`` matches a missing or null field.  Several keys are ANDed.
* Operators: ``$eq $ne $gt $gte $lt $lte $in $nin $exists``, and ``$and $or $nor`` over lists of
  clauses.  Others (``$all $mod $size $elemMatch $not $where $type $regex`` ...) are refused.
* ``__At``: ``"current"`` or a date: the snapshots valid at that instant.
* System fields map to indexed columns (``ObjectID``, ``_ValidFrom``, ``_ValidTo``,
  ``_SnapshotNumber``, ``Project``, ``_User`` ...); ``_TypeHierarchy`` (names, type paths or
  type OIDs), ``_ProjectHierarchy`` (a project and everything under it) and ``_ItemHierarchy``
  (an item and everything under it) become index lookups; ``_PreviousValues.F`` reads the
  snapshot's previous values; any other field is read from the snapshot document.
* Dates are normalised to Rally's stored form, so string comparison is time comparison; on
  drop-downs (ScheduleState, State, Priority ...), ``$lt``/``$gt``... compare by the allowed-value
  order, as Rally does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from .clock import iso_ms
from .history import FOREVER

COLUMNS = {"ObjectID": "s.oid", "_ValidFrom": "s.valid_from", "_ValidTo": "s.valid_to",
           "_SnapshotNumber": "s.number", "_SnapshotType": "s.kind", "_User": "s.user",
           "_Revision": "s.revision", "_RevisionNumber": "s.revnum", "Project": "s.project"}
ARRAYS = {"Tags", "Children", "Milestones", "Predecessors", "Successors", "Tasks", "Defects", "TestCases"}
COMPARE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
UNSUPPORTED = {"$all", "$mod", "$size", "$elemMatch", "$not", "$where", "$type", "$regex", "$options", "$text",
               "$expr", "$jsonSchema", "$near", "$geoWithin", "$slice"}
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class FindError(ValueError):
    """A ``find`` the emulator cannot run; the message is the Errors text."""


def parse_date(value: Any, field: str) -> str:
    """A Lookback date (``2024-03-01``, ``2024-03-01TZ``, full ISO 8601) in stored form."""
    if not isinstance(value, str):
        raise FindError(f"Could not parse date for {field}: {value!r}")
    text = value.strip()
    if text.endswith("TZ"):
        text = text[:-2]
    try:
        if len(text) == 10:
            when = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
    except ValueError:
        raise FindError(f"Could not parse date for {field}: {value!r}") from None
    return iso_ms(when)


def is_date_field(field: str) -> bool:
    return field in ("_ValidFrom", "_ValidTo", "_SnapshotDate") or field.rsplit(".", 1)[-1].endswith("Date")


class FindCompiler:
    """Compiles one request's ``find`` into a WHERE clause over ``snapshots s``.

    ``types(value)`` gives the type paths a ``_TypeHierarchy`` value covers (None: unknown);
    ``projects(oid)`` a project and its descendants; ``ordered(field)`` a drop-down's allowed
    values in order (None when the field is not ordered).
    """

    def __init__(self, *, types: Callable[[Any], list[str] | None], projects: Callable[[int], list[int]],
                 ordered: Callable[[str], Sequence[str] | None]) -> None:
        self.types = types
        self.projects = projects
        self.ordered = ordered

    def where(self, find: Any) -> tuple[str, list[Any]]:
        if not isinstance(find, dict):
            raise FindError("find must be a JSON object, e.g. {\"ObjectID\": 12345}")
        return self._document(find)

    # -- documents and logical operators ---------------------------------------------------
    def _document(self, doc: dict[str, Any]) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for key, value in doc.items():
            sql, args = self._clause(str(key), value)
            parts.append(sql)
            params.extend(args)
        return (" AND ".join(f"({p})" for p in parts) if parts else "1"), params

    def _clause(self, key: str, value: Any) -> tuple[str, list[Any]]:
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
                raise FindError(f"{key} needs a non-empty array of objects")
            subs = [self._document(v) for v in value]
            joined = (" AND " if key == "$and" else " OR ").join(f"({s})" for s, _ in subs)
            params = [p for _, args in subs for p in args]
            return (f"NOT ({joined})" if key == "$nor" else joined), params
        if key.startswith("$"):
            raise FindError(f"Unsupported operator: {key}")
        if key == "__At":
            if value == "current":
                return "s.valid_to = ?", [FOREVER]
            at = parse_date(value, "__At")
            return "s.valid_from <= ? AND s.valid_to > ?", [at, at]
        if not _FIELD.match(key):
            raise FindError(f"Invalid field name: {key}")
        if isinstance(value, dict) and value and all(str(k).startswith("$") for k in value):
            tests: list[str] = []
            values: list[Any] = []
            for op, operand in value.items():
                sql, args = self._operator(key, str(op), operand)
                tests.append(sql)
                values.extend(args)
            return " AND ".join(f"({t})" for t in tests), values
        if isinstance(value, dict):
            raise FindError(f"Unsupported query on {key}: give a value or operators such as $in, $gt")
        return self._operator(key, "$eq", value)

    # -- one field, one operator -----------------------------------------------------------
    def _operator(self, field: str, op: str, value: Any) -> tuple[str, list[Any]]:
        if op in UNSUPPORTED:
            raise FindError(f"Unsupported operator: {op}")
        if op not in ("$eq", "$ne", "$in", "$nin", "$exists", *COMPARE):
            raise FindError(f"Unknown operator: {op}")
        if op == "$exists":
            return self._exists(field, value)
        if field in ("_TypeHierarchy", "_ProjectHierarchy", "_ItemHierarchy"):
            return self._hierarchy(field, op, value)
        if op in ("$in", "$nin"):
            if not isinstance(value, list):
                raise FindError(f"{op} needs an array (on {field})")
            values = [self._value(field, v) for v in value]
            return self._membership(field, values, negate=op == "$nin")
        if isinstance(value, dict | list):
            raise FindError(f"Unsupported value for {field}: {value!r}")
        operand = self._value(field, value)
        if op in COMPARE:
            return self._compare(field, op, operand)
        return self._membership(field, [operand], negate=op == "$ne")

    def _value(self, field: str, value: Any) -> Any:
        if isinstance(value, dict | list):
            raise FindError(f"Unsupported value for {field}: {value!r}")
        if value is not None and is_date_field(field):
            return parse_date(value, field)
        return value

    def _expr(self, field: str) -> str:
        if field in COLUMNS:
            return COLUMNS[field]
        if field.startswith("_PreviousValues."):
            return f"json_extract(s.prev, '$.\"{field.split('.', 1)[1]}\"')"
        path = ".".join(f'"{p}"' for p in field.split("."))
        return f"json_extract(s.data, '$.{path}')"

    def _exists(self, field: str, value: Any) -> tuple[str, list[Any]]:
        if field in COLUMNS:
            test = f"{COLUMNS[field]} IS NOT NULL"
        elif field == "_PreviousValues":
            test = "s.prev != '{}'"
        elif field.startswith("_PreviousValues."):
            test = f"json_type(s.prev, '$.\"{field.split('.', 1)[1]}\"') IS NOT NULL"
        else:
            path = ".".join(f'"{p}"' for p in field.split("."))
            test = f"json_type(s.data, '$.{path}') IS NOT NULL"
        return (test if value else f"NOT ({test})"), []

    def _membership(self, field: str, values: list[Any], *, negate: bool) -> tuple[str, list[Any]]:
        expr = self._expr(field)
        present = [v for v in values if v is not None]
        with_null = len(present) != len(values)
        if field in ARRAYS:
            marks = ",".join("?" * len(present))
            hit = (f"EXISTS (SELECT 1 FROM json_each(s.data, '$.\"{field}\"') e WHERE e.value IN ({marks}))"
                   if present else "0")
            if with_null:
                hit = f"({hit} OR {expr} IS NULL)"
        else:
            hit = (f"{expr} = ?" if len(present) == 1 else  # "=" lets partial indexes serve it
                   f"{expr} IN ({','.join('?' * len(present))})" if present else "0")
            if with_null:
                hit = f"({hit} OR {expr} IS NULL)"
        if negate:
            missing_ok = "" if with_null else f"{expr} IS NULL OR "
            return f"{missing_ok}NOT ({hit})", present
        return hit, present

    def _compare(self, field: str, op: str, value: Any) -> tuple[str, list[Any]]:
        expr = self._expr(field)
        order = self.ordered(field.split(".")[-1]) if isinstance(value, str) else None
        if order is not None:
            if value not in order:
                raise FindError(f'"{value}" is not an allowed value of {field.split(".")[-1]}')
            index = order.index(value)
            keep = [v for i, v in enumerate(order) if {"$gt": i > index, "$gte": i >= index,
                                                      "$lt": i < index, "$lte": i <= index}[op]]
            if not keep:
                return "0", []
            return f"{expr} IN ({','.join('?' * len(keep))})", keep
        if value is None:
            return "0", []
        return f"{expr} {COMPARE[op]} ?", [value]

    def _hierarchy(self, field: str, op: str, value: Any) -> tuple[str, list[Any]]:
        if op in COMPARE:
            raise FindError(f"{op} is not supported on {field}")
        if op in ("$in", "$nin"):
            if not isinstance(value, list):
                raise FindError(f"{op} needs an array (on {field})")
            items = list(value)
        else:
            if isinstance(value, dict | list):
                raise FindError(f"Unsupported value for {field}: {value!r}")
            items = [value]
        negate = op in ("$ne", "$nin")
        if field == "_TypeHierarchy":
            paths: set[str] = set()
            for item in items:
                covered = self.types(item)
                if covered is None:
                    raise FindError(f"Unknown type in _TypeHierarchy: {item!r}")
                paths.update(covered)
            if not paths:
                return ("1" if negate else "0"), []
            ordered_paths = sorted(paths)
            sql = f"s.type IN ({','.join('?' * len(ordered_paths))})"
            return (f"NOT ({sql})" if negate else sql), ordered_paths
        oids: list[int] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int):
                raise FindError(f"{field} takes ObjectIDs (integers), not {item!r}")
            oids.append(item)
        if field == "_ProjectHierarchy":
            projects = sorted({p for oid in oids for p in self.projects(oid)})
            if not projects:
                return ("1" if negate else "0"), []
            sql = f"s.project IN ({','.join('?' * len(projects))})"
            return (f"(s.project IS NULL OR NOT ({sql}))" if negate else sql), projects
        sql = f"s.id IN (SELECT i.snap FROM snapshot_items i WHERE i.item IN ({','.join('?' * len(oids))}))"
        return (f"NOT ({sql})" if negate else sql), oids
