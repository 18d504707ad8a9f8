"""Client-side WSAPI query language: parsing, a composable builder, and upstream's compat API.

Everything renders to ONE fully parenthesised, binary expression such as
``((State = Submitted) AND (PlanEstimate > 2))``.  Strings returned by :func:`format_query` are
*not* URL-encoded; the transport encodes request parameters.  (The compat
:meth:`RallyQueryFormatter.parenGroups` and :meth:`RallyUrlBuilder.build` produce URL text and
therefore do percent-encode.)

Accepted criteria (see :func:`parse_query`):

* a string, with or without parentheses, including flat hand-typed forms like
  ``State = Open AND Name contains "x" OR Owner = null``.  Conjunctions are case-insensitive;
  a chain of one conjunction is left-nested; a mixed chain is nested to the right as upstream
  did (``A AND B OR C`` means ``A AND (B OR C)``): parenthesise to group otherwise.  ``and``/``or`` inside quoted values,
  or inside unquoted multi-word values that are not followed by another condition, are values.
* a list/tuple: each element parsed on its own, then all AND-ed;
* a dict: ``key = value`` per item, AND-ed; values are rendered like builder values (so
  ``"High Attention"`` is quoted, ``None`` is ``null``, a list becomes an ``in`` list);
* a :class:`Q` built with :func:`where`.

Operators: ``= != < > <= >= contains !contains in`` are sent as is (``in`` keeps its comma list);
``!in``, ``between X and Y`` and ``!between X and Y`` are expanded client-side exactly like
upstream: ``((F != "a") AND (F != "b"))``, ``((F >= X) AND (F <= Y))``, ``((F < X) OR (F > Y))``.

Quoting: a value is left bare when it is a plain token (letters, digits and ``_ . : / @ + -``),
otherwise it is wrapped in double quotes.  WSAPI documents no escape for ``"`` inside a quoted
value, so a value containing ``"`` raises :class:`~pyral.errors.RallyQuerySyntaxError` instead
of sending something the server would misread.  Characters such as ``& # + % ( )`` are kept
verbatim; the transport's percent-encoding keeps them intact on the wire.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeAlias
from urllib.parse import quote

from pyral.errors import RallyQuerySyntaxError

Criteria: TypeAlias = Any
"""Anything :func:`parse_query` accepts: str, list/tuple, dict, :class:`Q`, or None."""

_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PLAIN_RE = re.compile(r"^[A-Za-z0-9_.:/@+\-]+$")
_COMPARISONS = frozenset({"=", "!=", "<", ">", "<=", ">="})
_WORD_OPERATORS = frozenset({"contains", "!contains", "in", "!in", "between", "!between"})
_CONJUNCTIONS = frozenset({"and", "or"})
# Bare words a server could read as syntax; such string values are always quoted.  (``null``,
# ``true``/``false`` and ``today`` are NOT quoted, matching upstream's dict handling, e.g.
# ``{"Ready": "False"}`` -> ``Ready = False``; pass ``None`` for null.)
_BUILDER_KEYWORDS = frozenset({"and", "or", "in", "!in", "contains", "!contains", "between", "!between"})


def _syntax_error(source: str, detail: str) -> RallyQuerySyntaxError:
    return RallyQuerySyntaxError(f"Invalid query expression syntax in: {source} -- {detail}")


# ----------------------------------------------------------------------------------------------
# Expression tree


class Q:
    """A query expression node; combine with ``&`` and ``|``; ``str(q)`` renders it."""

    __slots__ = ()

    def render(self) -> str:
        """Return the fully parenthesised WSAPI text (not URL-encoded)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.render()}>"

    def __and__(self, other: Criteria) -> Q:
        return Junction("AND", self, _require(other))

    def __rand__(self, other: Criteria) -> Q:
        return Junction("AND", _require(other), self)

    def __or__(self, other: Criteria) -> Q:
        return Junction("OR", self, _require(other))

    def __ror__(self, other: Criteria) -> Q:
        return Junction("OR", _require(other), self)

    @staticmethod
    def and_(*parts: Criteria) -> Q:
        """AND together one or more criteria, left-nested: ``(((a) AND (b)) AND (c))``."""
        return _fold("AND", parts)

    @staticmethod
    def or_(*parts: Criteria) -> Q:
        """OR together one or more criteria, left-nested."""
        return _fold("OR", parts)


@dataclass(frozen=True, eq=False, repr=False)
class Condition(Q):
    """One ``(field op value)`` comparison; *value* is already rendered WSAPI text."""

    field: str
    op: str
    value: str

    def render(self) -> str:
        return f"({self.field} {self.op} {self.value})"


@dataclass(frozen=True, eq=False, repr=False)
class Junction(Q):
    """A binary ``(left AND right)`` or ``(left OR right)``."""

    op: str
    left: Q
    right: Q

    def render(self) -> str:
        return f"({self.left.render()} {self.op} {self.right.render()})"


def _require(criteria: Criteria) -> Q:
    expr = parse_query(criteria)
    if expr is None:
        raise RallyQuerySyntaxError("Invalid query expression syntax in: (empty criteria)")
    return expr


def _fold(op: str, parts: Iterable[Criteria]) -> Q:
    exprs = [e for e in (parse_query(p) for p in parts) if e is not None]
    if not exprs:
        raise RallyQuerySyntaxError(f"Q.{op.lower()}_() needs at least one non-empty criterion")
    result = exprs[0]
    for expr in exprs[1:]:
        result = Junction(op, result, expr)
    return result


# ----------------------------------------------------------------------------------------------
# Value rendering


def _check_field(name: str) -> str:
    if not isinstance(name, str) or not _FIELD_RE.match(name):
        raise RallyQuerySyntaxError(f"Invalid query expression syntax in: {name!r} -- not an attribute name")
    return name


def _quote_if_needed(text: str, *, keywords: frozenset[str] = _BUILDER_KEYWORDS) -> str:
    if '"' in text:
        raise RallyQuerySyntaxError(
            f"Query value {text!r} contains a double quote (\"); Rally WSAPI has no escape for a quote "
            "inside a quoted value, so this value cannot be queried exactly (use 'contains' on a part "
            "without the quote)")
    if _PLAIN_RE.match(text) and text.lower() not in keywords:
        return text
    return f'"{text}"'


def _format_datetime(moment: datetime) -> str:
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond // 1000:03d}"
    return text + "Z"


def _ref_of(value: Any) -> str | None:
    if isinstance(value, Mapping):
        ref = value.get("_ref")
        return ref if isinstance(ref, str) else None
    for attr in ("_ref", "ref"):
        try:
            ref = getattr(value, attr, None)
        except Exception:  # a lazily-loading entity may fail; then it is not a usable ref
            ref = None
        if isinstance(ref, str) and ref:
            return ref
    return None


def _scalar_text(value: Any) -> tuple[str, bool]:
    """Return (text, is_string) for a scalar; *is_string* means quoting rules apply."""
    if value is None:
        return "null", False
    if isinstance(value, Q | Field):
        raise RallyQuerySyntaxError("A query expression cannot be used as a comparison value")
    if isinstance(value, Enum):
        return _scalar_text(value.value)
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, int):
        return str(value), False
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RallyQuerySyntaxError(f"Query value {value!r} is not a finite number")
        text = repr(value)
        return (format(Decimal(text), "f") if "e" in text.lower() else text), False
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise RallyQuerySyntaxError(f"Query value {value!r} is not a finite number")
        return format(value, "f"), False
    if isinstance(value, datetime):
        return _format_datetime(value), False
    if isinstance(value, date):
        return value.isoformat(), False
    if isinstance(value, str):
        return value, True
    if isinstance(value, bytes):
        return value.decode("utf-8"), True
    ref = _ref_of(value)
    if ref is not None:
        return ref, True
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        raise RallyQuerySyntaxError(
            f"Query value {value!r} is a collection; use in_()/not_in() for membership tests")
    return str(value), True


def render_value(value: Any) -> str:
    """Render a Python value as a WSAPI query value.

    ``None`` -> ``null``; bools -> ``true``/``false``; numbers bare; datetimes -> ISO 8601 UTC with
    ``Z`` (naive ones are taken as UTC); dates -> ``YYYY-MM-DD``; entities / ``{"_ref": ...}`` -> their
    ref; strings bare when plain tokens, else double-quoted.  Raises
    :class:`RallyQuerySyntaxError` for a string containing ``"``.
    """
    text, is_string = _scalar_text(value)
    return _quote_if_needed(text) if is_string else text


def _in_list(values: Iterable[Any]) -> str:
    items: list[str] = []
    for value in values:
        text, _ = _scalar_text(value)
        if "," in text or '"' in text:
            raise RallyQuerySyntaxError(
                f"'in' list item {text!r} contains a comma or double quote, which WSAPI cannot express")
        if not text.strip():
            raise RallyQuerySyntaxError("'in' list items must not be empty")
        items.append(text)
    if not items:
        raise RallyQuerySyntaxError("'in' needs at least one value")
    joined = ",".join(items)
    if all(_PLAIN_RE.match(item) for item in items):
        return joined
    return f'"{joined}"'


# ----------------------------------------------------------------------------------------------
# Builder


class Field:
    """An attribute reference returned by :func:`where`; comparisons produce :class:`Q` nodes."""

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        self.name = _check_field(name)

    def __repr__(self) -> str:
        return f"where({self.name!r})"

    def _cond(self, op: str, value: Any) -> Condition:
        return Condition(self.name, op, render_value(value))

    def __eq__(self, value: object) -> Q:  # type: ignore[override]
        return self._cond("=", value)

    def __ne__(self, value: object) -> Q:  # type: ignore[override]
        return self._cond("!=", value)

    def __lt__(self, value: Any) -> Q:
        return self._cond("<", value)

    def __le__(self, value: Any) -> Q:
        return self._cond("<=", value)

    def __gt__(self, value: Any) -> Q:
        return self._cond(">", value)

    def __ge__(self, value: Any) -> Q:
        return self._cond(">=", value)

    def contains(self, value: Any) -> Q:
        """``(F contains value)``."""
        return self._cond("contains", value)

    def not_contains(self, value: Any) -> Q:
        """``(F !contains value)``."""
        return self._cond("!contains", value)

    def in_(self, values: Iterable[Any]) -> Q:
        """``(F in a,b,c)`` (the list is quoted as a whole when an item is not a plain token)."""
        if isinstance(values, str | bytes):
            raise RallyQuerySyntaxError("in_() takes an iterable of values, not a single string")
        return Condition(self.name, "in", _in_list(values))

    def not_in(self, values: Iterable[Any]) -> Q:
        """``((F != a) AND (F != b) ...)`` — the same client-side expansion upstream uses."""
        if isinstance(values, str | bytes):
            raise RallyQuerySyntaxError("not_in() takes an iterable of values, not a single string")
        conds = [self._cond("!=", v) for v in values]
        if not conds:
            raise RallyQuerySyntaxError("not_in() needs at least one value")
        return Q.and_(*conds)

    def between(self, low: Any, high: Any) -> Q:
        """``((F >= low) AND (F <= high))``."""
        return Junction("AND", self._cond(">=", low), self._cond("<=", high))

    def not_between(self, low: Any, high: Any) -> Q:
        """``((F < low) OR (F > high))``."""
        return Junction("OR", self._cond("<", low), self._cond(">", high))

    def is_null(self) -> Q:
        """``(F = null)``."""
        return self._cond("=", None)

    def is_not_null(self) -> Q:
        """``(F != null)``."""
        return self._cond("!=", None)


def where(field: str) -> Field:
    """Start a condition on *field* (a name or dotted path): ``where("State") == "Open"``."""
    return Field(field)


# ----------------------------------------------------------------------------------------------
# String parsing


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(", ")" or "w"
    text: str
    start: int
    end: int


def _tokenize(source: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Tok(ch, ch, i, i + 1))
            i += 1
        else:
            start = i
            while i < n and not source[i].isspace() and source[i] not in "()":
                if source[i] == '"':
                    close = source.find('"', i + 1)
                    if close < 0:
                        raise _syntax_error(source, "unbalanced double quote")
                    i = close + 1
                else:
                    i += 1
            text = source[start:i]
            glued = _GLUED.match(text)
            prev = tokens[-1] if tokens else None
            at_field = prev is None or prev.kind == "(" or prev.text.lower() in ("and", "or")
            if glued and at_field:
                # ``Name="x"`` / ``PlanEstimate>=3``: upstream sent these as typed and Rally
                # refused them (no spaces); split them into field, operator and value.
                field, op, rest = glued.group(1), glued.group(2), glued.group(3)
                op_start = start + len(field)
                tokens.append(_Tok("w", field, start, op_start))
                tokens.append(_Tok("w", op, op_start, op_start + len(op)))
                if rest:
                    tokens.append(_Tok("w", rest, op_start + len(op), i))
            elif (op_glued := _OP_GLUED.match(text)) and prev is not None and prev.kind == "w" and (
                    len(tokens) < 2 or tokens[-2].kind == "(" or tokens[-2].text.lower() in ("and", "or")):
                op = op_glued.group(1)  # ``Name ="x"``: operator glued to its value
                tokens.append(_Tok("w", op, start, start + len(op)))
                tokens.append(_Tok("w", op_glued.group(2), start + len(op), i))
            else:
                tokens.append(_Tok("w", text, start, i))
    return tokens


_OP_GLUED = re.compile(r"^(!=|>=|<=|=|<|>)([^=<>!].*)$", re.DOTALL)


_GLUED = re.compile(r"^([A-Za-z_][\w.]*?)(!=|>=|<=|=|<|>)((?:[^=<>!].*)?)$", re.DOTALL)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = _tokenize(source)
        self.pos = 0

    def error(self, detail: str) -> RallyQuerySyntaxError:
        return _syntax_error(self.source, detail)

    def peek(self, offset: int = 0) -> _Tok | None:
        index = self.pos + offset
        return self.toks[index] if index < len(self.toks) else None

    def parse(self) -> Q:
        if not self.toks:
            raise self.error("empty expression")
        expr = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected {extra.text!r} at offset {extra.start}")
        return expr

    def _is_conj(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "w" and tok.text.lower() == word

    def parse_or(self) -> Q:
        """A chain of conditions joined by AND/OR, grouped as upstream pyral groups it.

        A chain of one conjunction is left-nested (``((A AND B) AND C)``); a mixed chain is
        nested to the right without precedence, exactly as upstream did, so a script's
        ``A AND B OR C`` still means ``A AND (B OR C)``.  Parenthesise to say otherwise.
        """
        parts = [self.parse_primary()]
        conjs: list[str] = []
        while self._is_conj("and") or self._is_conj("or"):
            tok = self.peek()
            assert tok is not None
            conjs.append(tok.text.upper())
            self.pos += 1
            parts.append(self.parse_primary())
        if len(set(conjs)) <= 1:
            return _fold(conjs[0] if conjs else "AND", parts)
        acc = parts[-1]
        for conj, part in zip(reversed(conjs), reversed(parts[:-1])):
            acc = Junction(conj, part, acc)
        return acc

    def parse_primary(self) -> Q:
        tok = self.peek()
        if tok is None:
            raise self.error("expression ends where a condition was expected")
        if tok.kind == "(":
            self.pos += 1
            expr = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise self.error("missing ')'")
            self.pos += 1
            return expr
        if tok.kind == ")":
            raise self.error(f"unexpected ')' at offset {tok.start}")
        return self.parse_condition()

    def _starts_condition(self, index: int) -> bool:
        while index < len(self.toks) and self.toks[index].kind == "(":
            index += 1
        if index + 1 >= len(self.toks):
            return False
        field, op = self.toks[index], self.toks[index + 1]
        return (field.kind == "w" and op.kind == "w" and bool(_FIELD_RE.match(field.text))
                and (op.text in _COMPARISONS or op.text.lower() in _WORD_OPERATORS))

    def collect_value(self, *, stop_at_and: bool) -> tuple[str, bool]:
        """Return (raw text, single_quoted_token) for the value starting at the cursor."""
        first = self.pos
        depth = 0
        while (tok := self.peek()) is not None:
            if tok.kind == ")" and depth == 0:
                break
            if tok.kind == "w" and depth == 0 and self.pos > first:
                word = tok.text.lower()
                if stop_at_and and word == "and":
                    break
                if word in _CONJUNCTIONS and self._starts_condition(self.pos + 1):
                    break
                if self._starts_condition(self.pos):
                    raise self.error(f"missing AND/OR before {tok.text!r} (quote values that contain "
                                     "an operator)")
            if tok.kind == "(":
                depth += 1
            elif tok.kind == ")":
                depth -= 1
            self.pos += 1
        if self.pos == first:
            raise self.error("missing value")
        if depth:
            raise self.error("unbalanced parentheses in value")
        toks = self.toks[first:self.pos]
        if len(toks) > 1 and toks[-1].kind == "w" and toks[-1].text.lower() in _CONJUNCTIONS:
            raise self.error(f"dangling {toks[-1].text!r} (quote the value if it is part of it)")
        text = self.source[toks[0].start:toks[-1].end]
        single_quoted = (len(toks) == 1 and len(text) >= 2 and text[0] == '"' and text[-1] == '"'
                         and text.count('"') == 2)
        return text, single_quoted

    def scalar(self, *, stop_at_and: bool = False) -> str:
        text, quoted = self.collect_value(stop_at_and=stop_at_and)
        if quoted:
            return text
        if '"' in text:
            raise self.error(f"stray double quote in value {text!r}")
        return _quote_if_needed(text, keywords=_CONJUNCTIONS)

    def in_items(self) -> list[str]:
        text, quoted = self.collect_value(stop_at_and=False)
        if quoted or (text.startswith("(") and text.endswith(")")):
            text = text[1:-1]
        items = []
        for raw in text.split(","):
            item = raw.strip()
            if len(item) >= 2 and item[0] == item[-1] == '"':
                item = item[1:-1]
            if not item or '"' in item:
                raise self.error(f"bad 'in' list {text!r}")
            items.append(item)
        return items

    def parse_condition(self) -> Q:
        field_tok, op_tok = self.peek(), self.peek(1)
        assert field_tok is not None
        if field_tok.kind != "w" or not _FIELD_RE.match(field_tok.text):
            raise self.error(f"{field_tok.text!r} is not an attribute name")
        if op_tok is None or op_tok.kind != "w":
            raise self.error(f"missing operator after {field_tok.text!r}")
        op = op_tok.text if op_tok.text in _COMPARISONS else op_tok.text.lower()
        if op not in _COMPARISONS and op not in _WORD_OPERATORS:
            raise self.error(f"unknown operator {op_tok.text!r}")
        self.pos += 2
        field = field_tok.text
        if op in ("between", "!between"):
            low = self.scalar(stop_at_and=True)
            if not self._is_conj("and"):
                raise self.error(f"'{op}' needs 'and' between its two values")
            self.pos += 1
            high = self.scalar()
            if op == "between":
                return Junction("AND", Condition(field, ">=", low), Condition(field, "<=", high))
            return Junction("OR", Condition(field, "<", low), Condition(field, ">", high))
        if op == "in":
            return Condition(field, "in", _in_list(self.in_items()))
        if op == "!in":
            # upstream quotes every excluded value; keep that exact rendering
            return _fold("AND", [Condition(field, "!=", f'"{item}"') for item in self.in_items()])
        return Condition(field, op, self.scalar())


def _parse_string(text: str) -> Q | None:
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return _Parser(stripped).parse()
    except RecursionError:
        raise _syntax_error(stripped[:80] + "...", "parentheses nested too deeply") from None


def _dict_condition(key: Any, value: Any) -> Q:
    field = where(str(key))
    if isinstance(value, list | tuple | set | frozenset):
        return field.in_(value)
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' \
            and value.count('"') == 2:
        return Condition(field.name, "=", value)
    condition: Q = field == value
    return condition


def parse_query(criteria: Criteria) -> Q | None:
    """Turn any accepted criteria form into an expression tree (``None`` when empty)."""
    if criteria is None:
        return None
    if isinstance(criteria, Q):
        return criteria
    if isinstance(criteria, Field):
        raise RallyQuerySyntaxError(f"Incomplete condition {criteria!r}: compare it with a value")
    if isinstance(criteria, bytes):
        criteria = criteria.decode("utf-8")
    if isinstance(criteria, str):
        return _parse_string(criteria)
    if isinstance(criteria, Mapping):
        conds = [_dict_condition(k, v) for k, v in criteria.items()]
        return _fold("AND", conds) if conds else None
    if isinstance(criteria, list | tuple):
        exprs = [e for e in (parse_query(c) for c in criteria) if e is not None]
        return _fold("AND", exprs) if exprs else None
    raise RallyQuerySyntaxError(f"Unsupported query criteria type: {type(criteria).__name__}")


def format_query(criteria: Criteria) -> str:
    """Render criteria as one fully parenthesised WSAPI expression; ``""`` when empty.

    The result is plain text (not URL-encoded).  Raises :class:`RallyQuerySyntaxError` for
    malformed criteria, e.g. ``"State == Open"``.
    """
    expr = parse_query(criteria)
    return "" if expr is None else expr.render()


# ----------------------------------------------------------------------------------------------
# fetch and order


def _strip_quotes(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def format_fetch(fetch: Any) -> str:
    """Render a ``fetch`` argument: True/'true' -> ``true``; False/None/'false'/'' -> ``false``;
    a list/tuple -> comma-joined names; a string -> stripped of surrounding quotes and spaces."""
    if fetch is None or fetch is False:
        return "false"
    if fetch is True:
        return "true"
    if isinstance(fetch, list | tuple):
        names = [_strip_quotes(str(item)) for item in fetch]
        text = ",".join(n for n in names if n)
    else:
        text = _strip_quotes(str(fetch))
    parts = [p.strip() for p in text.split(",")]
    text = ",".join(p for p in parts if p)
    if not text or text.lower() == "false":
        return "false"
    if text.lower() == "true":
        return "true"
    return text


_ORDER_KEY_RE = re.compile(r"^[A-Za-z_][\w.]*(?: (?:asc|desc))?$", re.IGNORECASE)


def format_order(order: Any) -> str:
    """Render an ``order`` argument: ``"Rank ASC"``, ``"A,B desc"``, ``["A", ("B", "desc")]``.

    Whitespace is normalised; every key must be an attribute path optionally followed by
    ASC/DESC, else :class:`RallyQuerySyntaxError`.  ``None``/empty -> ``""``.
    """
    if order is None:
        return ""
    if isinstance(order, str):
        keys = order.split(",")
    elif isinstance(order, list | tuple):
        keys = []
        for item in order:
            if isinstance(item, list | tuple):
                keys.append(" ".join(str(x) for x in item))
            else:
                keys.extend(str(item).split(","))
    else:
        raise RallyQuerySyntaxError(f"Unsupported order type: {type(order).__name__}")
    rendered = []
    for key in keys:
        normal = " ".join(_strip_quotes(key).split())
        if not normal:
            continue
        if not _ORDER_KEY_RE.match(normal):
            raise RallyQuerySyntaxError(f"Invalid order specification: {key.strip()!r}")
        rendered.append(normal)
    return ",".join(rendered)


# ----------------------------------------------------------------------------------------------
# Upstream compatibility API


def _url_quote_query(expression: str) -> str:
    return quote(expression, safe="/()")


class RallyQueryFormatter:
    """Upstream's formatter API, backed by :func:`format_query`."""

    CONJUNCTIONS = ["and", "AND", "or", "OR"]
    CONJUNCTION_PATT = re.compile(r"\s+(AND|OR)\s+", re.IGNORECASE)
    ATTR_IDENTIFIER = r"[\w\.]+[a-zA-Z0-9]"
    RELATIONSHIP = r"=|!=|>|<|>=|<=|contains|!contains"
    ATTR_VALUE = r'"[^"]+"|[^ ]+'
    QUERY_CRITERIA_PATTERN = re.compile(rf"^({ATTR_IDENTIFIER}) ({RELATIONSHIP}) ({ATTR_VALUE})$")

    @staticmethod
    def parenGroups(criteria: Criteria) -> str:
        """Return the percent-encoded text that goes inside ``query=(...)``.

        Unlike upstream this is always the canonical expression (outer parentheses removed) encoded
        with ``quote(..., safe="/()")``, so ``unquote(result)`` is exact and ``& # + %`` survive.
        """
        expression = format_query(criteria)
        return _url_quote_query(expression[1:-1]) if expression else ""

    @staticmethod
    def validatePartsSyntax(parts: list[str]) -> list[str]:
        """Validate conditions split on conjunctions; re-glue fragments; quote multi-word values.

        Returns the conditions (without parentheses) and conjunctions, in order.
        """
        valid: list[str] = []
        front = ""
        for part in parts:
            if not front and part.strip().lower() in _CONJUNCTIONS:
                valid.append(part.strip())
                continue
            candidate = f"{front}{part}"
            try:
                expr = _Parser(candidate.strip()).parse()
            except RallyQuerySyntaxError:
                front = candidate + " "
                continue
            front = ""
            valid.append(expr.render()[1:-1] if isinstance(expr, Condition) else expr.render())
        if front or not valid:
            raise RallyQuerySyntaxError(f"Invalid query expression syntax in: {' '.join(parts)}")
        return valid


class RallyUrlBuilder:
    """Upstream's resource-URL builder: ``qualify(...)``, optional augments, then ``build()``."""

    parts = ["fetch", "query", "order", "workspace", "project", "projectScopeUp", "projectScopeDown",
             "pagesize", "start", "pretty"]

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.fetch: Any = False
        self.query: Criteria = None
        self.order: Any = None
        self.pagesize: Any = 1000
        self.startIndex: Any = 1
        self.workspace: str | None = None
        self.project: str | None = None
        self.scopeUp: str | None = None
        self.scopeDown: str | None = None
        self.pretty = False

    def qualify(self, fetch: Any, query: Criteria, order: Any, pagesize: Any, startIndex: Any) -> None:
        """Set the main qualifiers and reset workspace/project/scoping/pretty."""
        self.fetch = fetch
        self.query = query
        self.order = order
        self.pagesize = pagesize
        self.startIndex = startIndex
        self.workspace = None
        self.project = None
        self.scopeUp = None
        self.scopeDown = None
        self.pretty = False

    def augmentWorkspace(self, augments: Iterable[str], workspace_ref: str) -> None:
        """Use a ``workspace=...`` augment if one is given, else ``workspace=<workspace_ref>``."""
        found = [a for a in augments if a.startswith("workspace=")]
        self.workspace = found[0] if found else f"workspace={workspace_ref}"

    def augmentProject(self, augments: Iterable[str], project_ref: str) -> None:
        """Use a ``project=...`` augment if one is given, else ``project=<project_ref>``."""
        found = [a for a in augments if a.startswith("project=")]
        self.project = found[0] if found else f"project={project_ref}"

    def augmentScoping(self, augments: Iterable[str]) -> None:
        """Pick up ``projectScopeUp=``/``projectScopeDown=`` augments."""
        augments = list(augments)
        up = [a for a in augments if a.startswith("projectScopeUp=")]
        down = [a for a in augments if a.startswith("projectScopeDown=")]
        if up:
            self.scopeUp = up[0]
        if down:
            self.scopeDown = down[0]

    def beautifyResponse(self) -> None:
        """Ask for ``pretty=true``."""
        self.pretty = True

    def params(self) -> dict[str, str]:
        """The decoded query parameters, in upstream's order (for a transport that encodes)."""
        result = {"fetch": format_fetch(self.fetch)}
        query = format_query(self.query) if self.query else ""
        if query:
            result["query"] = query
        order = format_order(self.order) if self.order else ""
        if order:
            result["order"] = order
        for augment in (self.workspace, self.project, self.scopeUp, self.scopeDown):
            if augment:
                key, _, value = augment.partition("=")
                result[key] = value
        result["pagesize"] = str(self.pagesize)
        result["start"] = str(self.startIndex)
        if self.pretty:
            result["pretty"] = "true"
        return result

    def build(self, pretty: bool | None = None) -> str:
        """Return ``<entity>?fetch=...&query=(...)&order=...&...&pagesize=N&start=N``."""
        if pretty:
            self.pretty = True
        qualifiers = [f"fetch={quote(format_fetch(self.fetch), safe=',')}"]
        query = RallyQueryFormatter.parenGroups(self.query) if self.query else ""
        if query:
            qualifiers.append(f"query=({query})")
        order = format_order(self.order) if self.order else ""
        if order:
            qualifiers.append(f"order={quote(order)}")
        for augment in (self.workspace, self.project, self.scopeUp, self.scopeDown):
            if augment:
                qualifiers.append(augment)
        qualifiers.append(f"pagesize={self.pagesize}")
        qualifiers.append(f"start={self.startIndex}")
        if self.pretty:
            qualifiers.append("pretty=true")
        return f"{self.entity}?" + "&".join(qualifiers)


__all__ = [
    "Condition",
    "Criteria",
    "Field",
    "Junction",
    "Q",
    "RallyQueryFormatter",
    "RallyUrlBuilder",
    "format_fetch",
    "format_order",
    "format_query",
    "parse_query",
    "render_value",
    "where",
]
