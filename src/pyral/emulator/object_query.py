"""A WSAPI query evaluated over rendered objects, for computed collections with no stored rows.

A type's ``Attributes`` (the catalog's AttributeDefinitions) are built per request, so
``typedefinition/<oid>/Attributes?query=(Name = "Schedule State")`` is answered by parsing the
query as usual and testing each rendered object: attribute names are case-insensitive, dotted
paths go through nested objects, strings compare as text (``contains`` case-insensitively),
numbers and booleans by value, ``null`` matches null.
"""

from __future__ import annotations

from typing import Any

from .query_parser import BoolOp, Condition, Node, QueryError, Value, parse_query

_PREFIX = "Could not parse: "


def filter_objects(objects: list[dict[str, Any]], query: str | None, type_name: str) -> list[dict[str, Any]]:
    """The objects ``query`` matches (all of them for an empty query); QueryError on bad input."""
    node = parse_query(query or "")
    if node is None:
        return objects
    return [o for o in objects if _matches(o, node, type_name)]


def _matches(obj: dict[str, Any], node: Node, type_name: str) -> bool:
    if isinstance(node, BoolOp):
        left = _matches(obj, node.left, type_name)
        if node.op.upper() == "AND":
            return left and _matches(obj, node.right, type_name)
        return left or _matches(obj, node.right, type_name)
    return _condition(obj, node, type_name)


def _lookup(obj: dict[str, Any], cond: Condition, type_name: str) -> Any:
    current: Any = obj
    for seg in cond.path:
        if not isinstance(current, dict):
            return None
        keys = {k.lower(): k for k in current}
        if seg.lower() not in keys:
            raise QueryError(f'{_PREFIX}Could not find attribute "{seg}" on type {type_name}'
                             f' in the query segment "{cond.path_text}"')
        current = current[keys[seg.lower()]]
    if isinstance(current, dict):
        return current.get("_ref")
    return current


def _typed(value: Value, like: Any) -> Any:
    if value.is_null:
        return None
    raw = value.raw
    if isinstance(like, bool):
        if raw.lower() not in ("true", "false"):
            raise QueryError(f'{_PREFIX}Cannot convert "{raw}" into a boolean (use true or false).')
        return raw.lower() == "true"
    if isinstance(like, int | float) and not value.quoted:
        try:
            return float(raw)
        except ValueError:
            raise QueryError(f'{_PREFIX}Cannot convert "{raw}" into a number.') from None
    return raw


def _condition(obj: dict[str, Any], cond: Condition, type_name: str) -> bool:
    actual = _lookup(obj, cond, type_name)
    op = cond.op
    if op in ("in", "!in"):
        found = any(_equal(actual, _typed(v, actual)) for v in cond.value.items)
        return found if op == "in" else not found
    if op in ("contains", "!contains"):
        text = str(cond.value.raw).lower()
        hit = actual is not None and text in str(actual).lower()
        return hit if op == "contains" else not hit
    if op in ("between", "!between") and cond.value.pair is not None:
        low, high = (_typed(v, actual) for v in cond.value.pair)
        inside = _compare(actual, low, ">=") and _compare(actual, high, "<=")
        return inside if op == "between" else not inside
    wanted = _typed(cond.value, actual)
    if op == "=":
        return _equal(actual, wanted)
    if op == "!=":
        return not _equal(actual, wanted)
    return _compare(actual, wanted, op)


def _compare(actual: Any, wanted: Any, op: str) -> bool:
    if actual is None or wanted is None:
        return False
    if isinstance(wanted, float):
        return _ordered(float(actual), float(wanted), op)
    return _ordered(str(actual), str(wanted), op)


def _ordered(left: Any, right: Any, op: str) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}.get(op, False)


def _equal(actual: Any, wanted: Any) -> bool:
    if wanted is None or actual is None:
        return actual is None and wanted is None
    if isinstance(wanted, float) and not isinstance(actual, bool):
        return float(actual) == wanted
    return bool(actual == wanted) if isinstance(wanted, bool) else str(actual) == str(wanted)
