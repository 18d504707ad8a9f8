"""Compile parsed WSAPI queries and ``order=`` strings to SQLite over the store's layout.

Everything runs in SQL (no Python-side scans); attribute expressions come from
:func:`pyral.emulator.store.value_sql` so they match the store's expression indexes.

Semantics (Rally's where documented, otherwise the choice noted):

* Attribute names resolve with :meth:`TypeDef.attr` (case-insensitive; custom fields with or
  without ``c_``).  Unknown → ``Could not parse: Could not find attribute "X" on type T in the
  query segment "<path>"``.
* ``= null`` / ``!= null`` work on every attribute.  ``!=``, ``!contains`` and ``!in`` are
  NULL-aware: rows whose value is null match them (``(State != Open)`` includes unset State).
  ``!between`` means strictly outside the range and never matches null.
* STRING: ``=``/``!=``/``<``... compare text case-sensitively (binary); ``contains``/``!contains``
  are case-insensitive substring tests (SQLite ``lower()``: ASCII letters only).  TEXT allows only
  ``contains``/``!contains``.
* INTEGER/QUANTITY/DECIMAL compare numerically; a non-number is an error.  BOOLEAN takes
  ``true``/``false`` (any case, quoted or not).
* DATE takes ISO 8601 dates or date-times (``T`` separator, optional fraction and ``Z``/offset),
  normalised to the stored UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (date-only = midnight UTC, finer than
  milliseconds is truncated), and ``today``/``today+N``/``today-N`` (midnight UTC of the compiler's
  ``today`` ± N days).  Anything else → Rally's ``Cannot convert ... into a date.`` text.
* RATING/STATE (``AttrDef.ordered``) order comparisons, ``between`` and ``!between`` use the
  position in ``AttrDef.allowed`` and compile to ``IN (...)`` lists; an ordering value that is
  not in the list is an error, while ``=``/``!=``/``in`` with unknown values simply don't match.
* FormattedID compares numerically on its number part (``US12``, ``12``, ``"DE3"``; the prefix is
  not checked).  OBJECT attributes take a ref in any form (trailing numeric ObjectID) or ``null``.
* Dotted paths through OBJECT attributes are correlated ``IN (SELECT ...)`` subqueries; a null or
  dangling reference gives a null leaf value (so ``Release.ObjectID = null`` finds unscheduled
  work).  Paths through COLLECTION attributes are existential per condition (``EXISTS``), except
  ``Coll.Attr = null`` which means "no live member has a non-null Attr".  ``Coll contains <ref>``
  tests membership, ``Coll = null``/``!= null`` emptiness.  Deleted members never count; virtual
  collections cannot be queried.
* ``order_by``: comma-separated keys, ``ASC``/``DESC`` any case, dotted paths through OBJECT
  attributes, ``Rank`` = DragAndDropRank, FormattedID numeric, RATING/STATE by position, an OBJECT
  attribute by the referenced ObjectID; always ends with ObjectID as the tie-breaker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from pyral.emulator.catalog import AttrDef, TypeDef, WorkspaceSchema
from pyral.emulator.query_parser import BoolOp, Condition, Node, QueryError, Value
from pyral.emulator.store import value_sql

Frag = tuple[str, list[Any]]

_PREFIX = "Could not parse: "
MAX_BOOL_NESTING = 100
MAX_PARAMS = 30_000
MAX_ORDER_KEYS = 50  # SQLite refuses ORDER BY lists past 2000 terms; no real sort needs 50
_ORDERING = ("<", "<=", ">", ">=")
_RANGE_OPS = ("=", "!=", *_ORDERING, "in", "!in", "between", "!between")
ALLOWED_OPS: dict[str, tuple[str, ...]] = {
    "fid": _RANGE_OPS,
    "num": _RANGE_OPS,
    "date": _RANGE_OPS,
    "rating": _RANGE_OPS,
    "str": (*_RANGE_OPS, "contains", "!contains"),
    "text": ("contains", "!contains"),
    "bool": ("=", "!=", "in", "!in"),
    "ref": ("=", "!=", "in", "!in"),
    "coll": ("contains", "!contains"),
    "none": (),
}

_NUM_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)
_FID_RE = re.compile(r"[A-Za-z]*(\d+)", re.ASCII)
_REF_RE = re.compile(r"(?:.*/)?(\d+)(?:\.js)?/?", re.ASCII | re.DOTALL)
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
                      r"([Zz]|[+-]\d{2}:?\d{2})?)?", re.ASCII)
_TODAY_RE = re.compile(r"today\s*(?:([+-])\s*(\d{1,7}))?", re.IGNORECASE | re.ASCII)
_INT64 = 2**63 - 1


def _int_or_inf(digits: str, sign: int = 1) -> int | float:
    """An int SQLite can bind; out-of-range magnitudes become ±inf (same comparison result)."""
    stripped = digits.lstrip("0") or "0"
    if len(stripped) > 19 or int(stripped) > _INT64:
        return sign * float("inf")
    return sign * int(stripped)


def _lit(text: str) -> str:
    """A SQL string literal (only catalog values ever reach this)."""
    return "'" + text.replace("'", "''") + "'"


def iso_ms(dt: datetime) -> str:
    """The stored date form: UTC, milliseconds, ``Z``."""
    dt = dt.astimezone(UTC)
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
            f".{dt.microsecond // 1000:03d}Z")


def _balanced(parts: list[str], op: str) -> str:
    """Join ``parts`` with ``op`` as a balanced tree (keeps SQLite's expression depth small)."""
    while len(parts) > 1:
        parts = [f"({parts[k]} {op} {parts[k + 1]})" if k + 1 < len(parts) else parts[k]
                 for k in range(0, len(parts), 2)]
    return parts[0]


class _Aliases:
    """Fresh table aliases for one compilation."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.prefix}{self.n}"


RESOLVE_LIMIT = 500  # larger target sets stay subqueries


def _or_leaves(node: Node) -> list[Node]:
    if isinstance(node, BoolOp) and node.op == "OR":
        return _or_leaves(node.left) + _or_leaves(node.right)
    return [node]


def _merge_equalities(node: Node) -> Node:
    """Rewrite ``(A = x) OR (A = y) OR ...`` as ``A in x,y`` (same meaning, one indexable test).

    Clients spell "one of these" as OR chains (Rally documents no ``in`` for every type); a
    long chain of ``=`` on one attribute otherwise costs one JSON read per term per row.
    """
    if not isinstance(node, BoolOp):
        return node
    if node.op == "AND":
        return BoolOp("AND", _merge_equalities(node.left), _merge_equalities(node.right))
    leaves = [_merge_equalities(leaf) for leaf in _or_leaves(node)]
    groups: dict[tuple[str, ...], list[Condition]] = {}
    for leaf in leaves:
        if isinstance(leaf, Condition) and leaf.op == "=" and not leaf.value.items and not leaf.value.is_null:
            groups.setdefault(tuple(p.lower() for p in leaf.path), []).append(leaf)
    merged: list[Node] = []
    done: set[tuple[str, ...]] = set()
    for leaf in leaves:
        key = tuple(p.lower() for p in leaf.path) if isinstance(leaf, Condition) else None
        if key is not None and len(groups.get(key, [])) > 1 and leaf in groups[key]:
            if key not in done:
                done.add(key)
                conds = groups[key]
                raw = ",".join(c.value.raw for c in conds)
                merged.append(Condition(conds[0].path, "in", Value(raw, items=tuple(c.value for c in conds))))
            continue
        merged.append(leaf)
    out = merged[0]
    for leaf in merged[1:]:
        out = BoolOp("OR", out, leaf)
    return out


class QueryCompiler:
    """Turns query ASTs and order strings into SQL for ``Store.select`` (alias ``o``)."""

    def __init__(self, schema: WorkspaceSchema, today: date | None = None,
                 resolve: Callable[[str, list[Any]], list[int]] | None = None,
                 visible: Callable[[TypeDef, str], Frag] | None = None) -> None:
        self.schema = schema
        self.today = today
        # SQL limiting rows of a type (at an alias) to what the caller may read: every object a
        # dotted path, a collection condition or a sort key passes through is filtered by it, so
        # a query cannot test or order by values of objects the caller cannot see.
        self.visible = visible
        # Runs an uncorrelated subquery early so a path like ``Owner.UserName = "x"`` becomes
        # ``Owner IN (<oids>)``: SQLite uses an index for a literal list, not for a subquery.
        self.resolve = resolve

    # -- public API ------------------------------------------------------------------------
    def where(self, node: Node | None, tdef: TypeDef, alias: str = "o") -> tuple[str, list[Any]]:
        """A SQL boolean expression (plus params) selecting rows of ``alias`` matching ``node``."""
        if node is None:
            return "1", []
        sql, params = self._node(_merge_equalities(node), tdef, alias, _Aliases("q"), 0)
        if len(params) > MAX_PARAMS:
            raise QueryError(_PREFIX + "Error parsing expression -- the query has too many values.")
        return sql, params

    def order_by(self, order: str | None, tdef: TypeDef, alias: str = "o") -> str:
        """SQL ORDER BY terms for a WSAPI ``order`` string, ending with ObjectID."""
        terms: list[str] = []
        has_oid = False
        aliases = _Aliases("s")
        keys = (order or "").split(",")
        if len(keys) > MAX_ORDER_KEYS:
            raise QueryError(f"Cannot sort using more than {MAX_ORDER_KEYS} attributes")
        for key in keys:
            words = key.split()
            if not words:
                continue
            path = words[0]
            expr, attr = self._sort_expr(path, tdef, alias, aliases)
            direction = words[1].upper() if len(words) > 1 else "ASC"
            if len(words) > 2 or direction not in ("ASC", "DESC"):
                raise QueryError(f"Cannot sort using unknown sort direction {' '.join(words[1:])}")
            if attr is not None and attr.name == "ObjectID" and "." not in path:
                has_oid = True
            terms.append(f"{expr} {direction}")
        if not has_oid:
            terms.append(f"{alias}.oid ASC")
        return ", ".join(terms)

    # -- boolean structure -----------------------------------------------------------------
    def _node(self, node: Node, tdef: TypeDef, alias: str, aliases: _Aliases, nesting: int) -> Frag:
        if isinstance(node, Condition):
            sql, cond_params, _ = self._path(node, 0, node.op, node.value, tdef, alias, aliases)
            return sql, cond_params
        if nesting > MAX_BOOL_NESTING:
            raise QueryError(_PREFIX + "Error parsing expression -- the query is nested too deeply.")
        operands: list[Node] = []
        stack: list[Node] = [node]
        while stack:  # flatten a run of the same conjunction, left to right
            cur = stack.pop()
            if isinstance(cur, BoolOp) and cur.op == node.op:
                stack.append(cur.right)
                stack.append(cur.left)
            else:
                operands.append(cur)
        parts: list[str] = []
        params: list[Any] = []
        for operand in operands:
            sql, more = self._node(operand, tdef, alias, aliases, nesting + 1)
            parts.append(f"({sql})")
            params.extend(more)
        return _balanced(parts, node.op), params

    # -- paths -----------------------------------------------------------------------------
    def _attr(self, cond: Condition, index: int, tdef: TypeDef) -> AttrDef:
        seg = cond.path[index]
        attr = tdef.attr(seg)
        if attr is None:
            raise QueryError(f'{_PREFIX}Could not find attribute "{seg}" on type {tdef.name}'
                             f' in the query segment "{cond.path_text}"')
        return attr

    def _type(self, name: str | None, cond: Condition, attr: AttrDef) -> TypeDef:
        target = self.schema.get(name) if name else None
        if target is None:
            raise QueryError(f'{_PREFIX}Cannot query through attribute "{attr.name}"'
                             f' in the query segment "{cond.path_text}"')
        return target

    def _path(self, cond: Condition, index: int, op: str, value: Value, tdef: TypeDef, alias: str,
              aliases: _Aliases) -> tuple[str, list[Any], bool]:
        """SQL for ``path[index:] op value`` on row ``alias``; the flag says whether a null
        (or dangling) value at this point satisfies the condition."""
        attr = self._attr(cond, index, tdef)
        if index == len(cond.path) - 1:
            return self._leaf(cond, attr, op, value, tdef, alias, aliases)
        if attr.type == "OBJECT":
            target = self._type(attr.target, cond, attr)
            sub = aliases()
            inner, params, null_ok = self._path(cond, index + 1, op, value, target, sub, aliases)
            ref = value_sql(alias, attr.name)
            vis, vis_params = self._visible(target, sub)
            subquery = f"SELECT {sub}.oid FROM objects {sub} WHERE {sub}.deleted = 0 AND {vis} AND ({inner})"
            params = [*vis_params, *params]
            sql = f"{ref} IN ({subquery})"
            if self.resolve is not None:
                found = self.resolve(subquery + f" LIMIT {RESOLVE_LIMIT + 1}", params)
                if len(found) <= RESOLVE_LIMIT:
                    sql = f"{ref} IN ({','.join('?' * len(found))})" if found else "0"
                    params = list(found)
            if null_ok:  # a hidden target reads as null, like a missing one
                chk = aliases()
                vis, vis_params = self._visible(target, chk)
                sql = (f"({ref} IS NULL OR NOT EXISTS (SELECT 1 FROM objects {chk} WHERE {chk}.oid = {ref}"
                       f" AND {chk}.deleted = 0 AND {vis}) OR {sql})")
                params = [*vis_params, *params]
            return sql, params, null_ok
        if attr.type == "COLLECTION":
            none_having = op == "=" and value.is_null and not value.items
            inner_op = "!=" if none_having else op
            member_type, member, from_sql, from_params = self._members(cond, attr, tdef, alias, aliases)
            inner, params, _ = self._path(cond, index + 1, inner_op, value, member_type, member, aliases)
            sql = f"EXISTS (SELECT 1 {from_sql} AND ({inner}))"
            return (f"NOT {sql}" if none_having else sql), from_params + params, none_having
        raise QueryError(f'{_PREFIX}Could not find attribute "{cond.path[index + 1]}" on type {attr.name}'
                         f' in the query segment "{cond.path_text}"')

    def _members(self, cond: Condition, attr: AttrDef, tdef: TypeDef, alias: str,
                 aliases: _Aliases) -> tuple[TypeDef, str, str, list[Any]]:
        """(member type, member alias, ``FROM ... WHERE <membership>`` text, its params)."""
        spec = attr.collection
        if spec is None or spec.kind not in ("inverse", "link", "reverse"):
            raise QueryError(f'{_PREFIX}Cannot query on the collection attribute "{attr.name}"'
                             f' of type {tdef.name} in the query segment "{cond.path_text}"')
        member_type = self._type(spec.child, cond, attr)
        m = aliases()
        vis, vis_params = self._visible(member_type, m)
        if spec.kind == "inverse":
            paths = [t.type_path for t in self.schema.catalog.concrete(member_type)] or [member_type.type_path]
            marks = ",".join("?" * len(paths))
            return (member_type, m, f"FROM objects {m} WHERE {m}.type IN ({marks})"
                    f" AND {value_sql(m, spec.via)} = {alias}.oid AND {m}.deleted = 0 AND {vis}",
                    [*paths, *vis_params])
        k = aliases()
        if spec.kind == "link":
            return (member_type, m, f"FROM links {k} JOIN objects {m} ON {m}.oid = {k}.target"
                    f" WHERE {k}.owner = {alias}.oid AND {k}.attr = ? AND {m}.deleted = 0 AND {vis}",
                    [attr.name, *vis_params])
        return (member_type, m, f"FROM links {k} JOIN objects {m} ON {m}.oid = {k}.owner"
                f" WHERE {k}.target = {alias}.oid AND {k}.attr = ? AND {m}.deleted = 0 AND {vis}",
                [spec.via, *vis_params])

    def _visible(self, tdef: TypeDef, alias: str) -> Frag:
        if self.visible is None:
            return "1", []
        sql, params = self.visible(tdef, alias)
        return f"({sql})", list(params)

    # -- leaf conditions -------------------------------------------------------------------
    @staticmethod
    def _kind(attr: AttrDef) -> str:
        if attr.name == "FormattedID":
            return "fid"
        if attr.type in ("INTEGER", "QUANTITY", "DECIMAL"):
            return "num"
        if attr.ordered:
            return "rating"
        return {"BOOLEAN": "bool", "DATE": "date", "OBJECT": "ref", "COLLECTION": "coll", "TEXT": "text",
                "STRING": "str", "RAW": "str", "RATING": "str", "STATE": "str"}.get(attr.type, "none")

    def _leaf(self, cond: Condition, attr: AttrDef, op: str, value: Value, tdef: TypeDef, alias: str,
              aliases: _Aliases) -> tuple[str, list[Any], bool]:
        kind = self._kind(attr)
        if kind == "ref" and op in ALLOWED_OPS["ref"]:
            hidden = self._hidden_ref(attr, op, value, alias, aliases)
            if hidden is not None:
                return hidden
        if op in ("=", "!=") and value.is_null:
            if kind == "coll":
                _, _, from_sql, params = self._members(cond, attr, tdef, alias, aliases)
                exists = f"EXISTS (SELECT 1 {from_sql})"
                return (f"NOT {exists}", params, True) if op == "=" else (exists, params, False)
            e = value_sql(alias, attr.name)
            return (f"{e} IS NULL", [], True) if op == "=" else (f"{e} IS NOT NULL", [], False)
        if op not in ALLOWED_OPS[kind]:
            raise QueryError(f'{_PREFIX}Operator "{op}" cannot be used with attribute "{attr.name}"'
                             f" of type {attr.type} in the query segment \"{cond.path_text}\"")
        if kind == "coll":
            _, member, from_sql, params = self._members(cond, attr, tdef, alias, aliases)
            exists = f"EXISTS (SELECT 1 {from_sql} AND {member}.oid = ?)"
            params = [*params, self._convert("ref", attr, value, op)]
            return (exists, params, False) if op == "contains" else (f"NOT {exists}", params, True)
        e = value_sql(alias, attr.name)
        if op in ("contains", "!contains"):
            text = self._convert(kind, attr, value, op)
            if op == "contains":
                return f"instr(lower({e}), lower(?)) > 0", [text], False
            return f"({e} IS NULL OR instr(lower({e}), lower(?)) = 0)", [text], True
        if op in ("in", "!in"):
            return self._in(kind, attr, op, value, e)
        if op in ("between", "!between"):
            return self._between(kind, attr, op, value, e)
        x = self._convert(kind, attr, value, op)
        if op == "=":
            return f"{e} = ?", [x], False
        if op == "!=":
            return f"{e} IS NOT ?", [x], True
        if kind == "rating":
            pos = self._position(attr, str(x))
            keep = [v for k, v in enumerate(attr.allowed or ()) if _cmp(op, k, pos)]
            return self._value_list(e, keep), keep, False
        return f"{e} {op} ?", [x], False

    def _hidden_ref(self, attr: AttrDef, op: str, value: Value, alias: str, aliases: _Aliases
                    ) -> tuple[str, list[Any], bool] | None:
        """A reference condition where the target may be hidden from the caller, who must see a
        hidden target as null: ``= null`` matches it, ``= <hidden ref>`` matches nothing, and
        ``!= <hidden ref>`` everything.  None: nothing is hidden from this caller (plain SQL)."""
        target = self.schema.get(attr.target) if attr.target else None
        if self.visible is None or target is None:
            return None
        chk = aliases()
        vis, vis_params = self._visible(target, chk)
        if vis == "(1)":
            return None
        e = value_sql(alias, attr.name)
        shown = f"EXISTS (SELECT 1 FROM objects {chk} WHERE {chk}.oid = {e} AND {vis})"
        items = list(value.items) if op in ("in", "!in") else [value]
        has_null = any(item.is_null for item in items)
        oids = [x for x in (self._convert("ref", attr, item, op) for item in items if not item.is_null)
                if isinstance(x, int)]
        if oids and self.resolve is not None:
            check = aliases()
            cvis, cparams = self._visible(target, check)
            oids = self.resolve(f"SELECT {check}.oid FROM objects {check} WHERE {check}.oid IN"
                                f" ({','.join('?' * len(oids))}) AND {cvis}", [*oids, *cparams])
        marks = ",".join("?" * len(oids))
        listed = f"{e} IN ({marks})" if oids else "0"
        if op in ("=", "in"):
            parts = [listed] + ([f"({e} IS NULL OR NOT {shown})"] if has_null else [])
            return "(" + " OR ".join(parts) + ")", [*oids, *(vis_params if has_null else [])], has_null
        if has_null:  # != null, !in (null, ...): a shown, non-null reference not in the list
            return f"({e} IS NOT NULL AND {shown} AND NOT {listed})", [*vis_params, *oids], False
        return f"({e} IS NULL OR NOT {listed})", list(oids), True

    def _in(self, kind: str, attr: AttrDef, op: str, value: Value, e: str) -> tuple[str, list[Any], bool]:
        has_null = any(item.is_null for item in value.items)
        values = [self._convert(kind, attr, item, op) for item in value.items if not item.is_null]
        marks = ",".join("?" * len(values))
        if op == "in":
            parts = ([f"{e} IN ({marks})"] if values else []) + ([f"{e} IS NULL"] if has_null else [])
            return "(" + " OR ".join(parts) + ")", values, has_null
        if not values:
            return f"{e} IS NOT NULL", [], False
        if has_null:
            return f"({e} IS NOT NULL AND {e} NOT IN ({marks}))", values, False
        return f"({e} IS NULL OR {e} NOT IN ({marks}))", values, True

    def _between(self, kind: str, attr: AttrDef, op: str, value: Value, e: str) -> tuple[str, list[Any], bool]:
        assert value.pair is not None
        low = self._convert(kind, attr, value.pair[0], op)
        high = self._convert(kind, attr, value.pair[1], op)
        if kind == "rating":
            lo, hi = self._position(attr, str(low)), self._position(attr, str(high))
            inside = op == "between"
            keep = [v for k, v in enumerate(attr.allowed or ()) if (lo <= k <= hi) == inside]
            return self._value_list(e, keep), keep, False
        if op == "between":
            return f"{e} BETWEEN ? AND ?", [low, high], False
        return f"({e} < ? OR {e} > ?)", [low, high], False

    @staticmethod
    def _value_list(e: str, values: list[str]) -> str:
        return f"{e} IN ({','.join('?' * len(values))})" if values else "0"

    @staticmethod
    def _position(attr: AttrDef, text: str) -> int:
        allowed = attr.allowed or ()
        if text in allowed:
            return allowed.index(text)
        folded = [k for k, v in enumerate(allowed) if v.lower() == text.lower()]
        if len(folded) == 1:
            return folded[0]
        raise QueryError(f'{_PREFIX}"{text}" is not a valid value for {attr.name}.'
                         f"  Valid values are: {', '.join(allowed)}")

    # -- values ----------------------------------------------------------------------------
    def _convert(self, kind: str, attr: AttrDef, value: Value, op: str) -> Any:
        """The SQL parameter for one (non-list) value of an attribute of ``kind``."""
        raw = value.raw
        if value.is_null:
            raise QueryError(f'{_PREFIX}Operator "{op}" cannot be used with null'
                             f' for attribute "{attr.name}"')
        if kind in ("str", "text", "rating"):
            return raw
        text = raw.strip()
        if kind == "num":
            if not _NUM_RE.fullmatch(text):
                raise QueryError(f'{_PREFIX}Cannot convert "{raw}" into a number for attribute {attr.name}.')
            if _INT_RE.fullmatch(text):
                return _int_or_inf(text.lstrip("+-"), -1 if text.startswith("-") else 1)
            return float(text)
        if kind == "fid":
            m = _FID_RE.fullmatch(text)
            if m is None:
                raise QueryError(f'{_PREFIX}Cannot convert "{raw}" into a FormattedID.')
            return _int_or_inf(m.group(1))
        if kind in ("ref", "coll"):
            m = _REF_RE.fullmatch(text)
            if m is None:
                raise QueryError(f'{_PREFIX}Cannot parse object reference from "{raw}"')
            return _int_or_inf(m.group(1))
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise QueryError(f'{_PREFIX}Cannot convert "{raw}" into a boolean (use true or false).')
            return 1 if text.lower() == "true" else 0
        if kind == "date":
            return self._date(raw)
        raise QueryError(f'{_PREFIX}Attribute "{attr.name}" of type {attr.type} cannot be queried')

    def _date(self, raw: str) -> str:
        text = raw.strip()
        try:
            rel = _TODAY_RE.fullmatch(text)
            if rel is not None:
                day = self.today or datetime.now(UTC).date()
                if rel.group(2):
                    delta = timedelta(days=int(rel.group(2)))
                    day = day + delta if rel.group(1) == "+" else day - delta
                return iso_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))
            m = _DATE_RE.fullmatch(text)
            if m is not None:
                year, month, dom, hh, mi, ss, frac, zone = m.groups()
                micro = int((frac or "0")[:6].ljust(6, "0"))
                tz = UTC
                if zone and zone not in "Zz":
                    sign = -1 if zone[0] == "-" else 1
                    digits = zone[1:].replace(":", "")
                    tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
                dt = datetime(int(year), int(month), int(dom), int(hh or 0), int(mi or 0), int(ss or 0),
                              micro, tzinfo=tz)
                return iso_ms(dt)
        except (ValueError, OverflowError):
            pass
        raise QueryError(f'{_PREFIX}Cannot convert "{raw}" into a date.  You must use the ISO8601'
                         " date+time format.")

    # -- ordering --------------------------------------------------------------------------
    def _sort_expr(self, path: str, tdef: TypeDef, alias: str,
                   aliases: _Aliases) -> tuple[str, AttrDef | None]:
        segs = path.split(".")
        hops: list[tuple[str, str, str]] = []
        cur_alias, cur_type = alias, tdef
        expr = ""
        attr: AttrDef | None = None
        for k, seg in enumerate(segs):
            last = k == len(segs) - 1
            attr = None if seg.lower() == "rank" else cur_type.attr(seg) if seg else None
            if last and seg.lower() == "rank":
                expr = f"{cur_alias}.rank"
                break
            if attr is None or attr.type == "COLLECTION" or (not last and attr.type != "OBJECT"):
                raise QueryError(f"Cannot sort using unknown attribute {path}")
            if last:
                expr = self._sort_value(cur_alias, attr)
                break
            target = self.schema.get(attr.target) if attr.target else None
            if target is None:
                raise QueryError(f"Cannot sort using unknown attribute {path}")
            sub = aliases()
            hops.append((value_sql(cur_alias, attr.name), sub, self._inline(*self._visible(target, sub))))
            cur_alias, cur_type = sub, target
        for ref, sub, vis in reversed(hops):
            expr = f"(SELECT {expr} FROM objects {sub} WHERE {sub}.oid = {ref} AND {sub}.deleted = 0 AND {vis})"
        return expr, attr

    @staticmethod
    def _inline(sql: str, params: list[Any]) -> str:
        """A visibility filter as plain SQL (ORDER BY terms take no parameters): its values are
        ObjectIDs, written as integer literals."""
        parts = sql.split("?")
        if len(parts) != len(params) + 1:
            raise QueryError("Cannot sort: unexpected visibility filter")
        return "".join(p + (str(int(v)) if i < len(params) else "") for i, (p, v) in
                       enumerate(zip(parts, [*params, None], strict=True)))

    @staticmethod
    def _sort_value(alias: str, attr: AttrDef) -> str:
        e = value_sql(alias, attr.name)
        if attr.ordered and attr.allowed:
            whens = " ".join(f"WHEN {_lit(v)} THEN {k}" for k, v in enumerate(attr.allowed))
            return f"(CASE {e} {whens} END)"
        return e


def _cmp(op: str, left: int, right: int) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
