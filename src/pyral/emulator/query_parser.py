"""Parser for the WSAPI query language (the ``query=`` parameter, already URL-decoded).

Grammar accepted (whitespace between tokens is free-form; none is needed around parentheses)::

    query     := <blank> | expr
    expr      := group (CONJ group)*        -- left-associative: (A) AND (B) OR (C) == ((A) AND (B)) OR (C)
               | condition                 -- a lone condition, only as a whole query or a whole group
    group     := "(" expr ")"
    CONJ      := AND | OR                   -- any case
    condition := path op value
    path      := name ("." name)*           -- name: ASCII letters, digits, "_"
    op        := = | != | < | <= | > | >= | contains | !contains   -- word operators any case
               | in list | !in list | between value and value | !between value and value
    list      := value ("," value)*         -- spaces allowed around commas; a single quoted
                                            -- string holding commas ("a,b") is split into items
    value     := '"' any character but '"' '"' | bare

Choices:

* A quoted string runs to the next double quote; there is no escape for ``"`` (Rally documents
  none).  Inside quotes anything goes: parentheses, ``and``/``or``, ``&``, ``#``, ``%``, commas.
* A bare value runs to the next whitespace, parenthesis or double quote (inside ``in`` lists also
  to the next comma).  ``null``/``true``/``false``/``today+N`` are kept verbatim in :class:`Value`;
  their meaning is decided by the compiler from the attribute type.
* Conditions must be parenthesised when combined: ``(A = 1 AND B = 2)`` fails with Rally's
  ``expected ")" but saw "AND" instead.``
* Limits keep compilation and SQLite safe: at most :data:`MAX_DEPTH` nested parentheses and
  :data:`MAX_CONDITIONS` conditions.

Every failure raises :class:`QueryError` whose message is the full Rally error text
(``Could not parse: ...``); no other exception escapes :func:`parse_query` for any input string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

MAX_DEPTH = 64
MAX_CONDITIONS = 500

SYMBOL_OPS = ("=", "!=", "<", "<=", ">", ">=")
WORD_OPS = ("contains", "!contains", "in", "!in", "between", "!between")
_SYMBOL_CHARS = frozenset("!=<>")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PREFIX = "Could not parse: "


class QueryError(Exception):
    """A query (or order) Rally would reject; ``message`` is Rally's full error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Value:
    """The right-hand side of a condition, as written.

    ``raw`` is the token without its quotes (for ``in`` / ``between`` the whole source text);
    ``items`` holds the members of an ``in``/``!in`` list, ``pair`` the bounds of a ``between``.
    """

    raw: str
    quoted: bool = False
    items: tuple[Value, ...] = ()
    pair: tuple[Value, Value] | None = None

    @property
    def is_null(self) -> bool:
        """True for the bare token ``null`` (any case); a quoted "null" is a string."""
        return not self.quoted and self.raw.lower() == "null"


@dataclass(frozen=True)
class Condition:
    """``path op value``; ``op`` is canonical lower case (``=``, ``!contains``, ``in`` ...)."""

    path: tuple[str, ...]
    op: str
    value: Value

    @property
    def path_text(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class BoolOp:
    """``(left) AND|OR (right)``."""

    op: str
    left: Node
    right: Node


Node: TypeAlias = Condition | BoolOp


def parse_query(text: str) -> Node | None:
    """Parse a decoded WSAPI query; ``None`` for an empty or blank query."""
    if not isinstance(text, str):
        raise QueryError(_PREFIX + "Error parsing expression -- the query is not text.")
    return _Parser(text).parse()


def expected_error(what: str, seen: str) -> QueryError:
    return QueryError(f"{_PREFIX}Error parsing expression -- expected {what} but saw {seen} instead.")


class _Parser:
    """A hand-written recursive-descent parser over the raw characters."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.conditions = 0

    # -- helpers ---------------------------------------------------------------------------
    def ws(self) -> None:
        while self.i < self.n and self.s[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        return self.s[self.i] if self.i < self.n else ""

    def seen(self) -> str:
        """Describe the upcoming token for an error message."""
        self.ws()
        if self.i >= self.n:
            return "end of query"
        c = self.s[self.i]
        if c in "()":
            return f'"{c}"'
        if c == '"':
            end = self.s.find('"', self.i + 1)
            tok = self.s[self.i:] if end < 0 else self.s[self.i:end + 1]
        else:
            j = self.i
            while j < self.n and not self.s[j].isspace() and self.s[j] not in '()"':
                j += 1
            tok = self.s[self.i:j]
        if len(tok) > 60:
            tok = tok[:57] + "..."
        return f'"{tok}"'

    def fail(self, what: str) -> QueryError:
        return expected_error(what, self.seen())

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> Node | None:
        self.ws()
        if self.i >= self.n:
            return None
        node = self.expr(0)
        self.ws()
        if self.i < self.n:
            raise self.fail("end of query")
        return node

    def expr(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise QueryError(_PREFIX + f"Error parsing expression -- more than {MAX_DEPTH} nested parentheses.")
        self.ws()
        if self.peek() != "(":
            return self.condition()
        left = self.group(depth)
        while True:
            self.ws()
            conj = self.conjunction()
            if conj is None:
                return left
            self.ws()
            if self.peek() != "(":
                raise self.fail('"("')
            left = BoolOp(conj, left, self.group(depth))

    def group(self, depth: int) -> Node:
        self.i += 1  # "("
        node = self.expr(depth + 1)
        self.ws()
        if self.peek() != ")":
            raise self.fail('")"')
        self.i += 1
        return node

    def conjunction(self) -> str | None:
        j = self.i
        while j < self.n and self.s[j] in _LETTERS:
            j += 1
        word = self.s[self.i:j].upper()
        if word in ("AND", "OR") and (j >= self.n or self.s[j].isspace() or self.s[j] == "("):
            self.i = j
            return word
        return None

    def condition(self) -> Condition:
        start = self.i
        while self.i < self.n and (self.s[self.i] in _NAME_CHARS or self.s[self.i] == "."):
            self.i += 1
        path_text = self.s[start:self.i]
        if not path_text:
            raise self.fail("an attribute name")
        path = tuple(path_text.split("."))
        if any(not seg for seg in path):
            raise QueryError(f'{_PREFIX}Error parsing expression -- invalid attribute path "{path_text}".')
        self.ws()
        op = self.operator()
        self.ws()
        if op in ("in", "!in"):
            value = self.value_list()
        elif op in ("between", "!between"):
            value = self.range()
        else:
            value = self.value()
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise QueryError(_PREFIX + f"Error parsing expression -- more than {MAX_CONDITIONS} conditions.")
        return Condition(path, op, value)

    def operator(self) -> str:
        start = self.i
        c = self.peek()
        if (c == "!" and self.i + 1 < self.n and self.s[self.i + 1] in _LETTERS) or (c and c in _LETTERS):
            self.i += 1
            while self.i < self.n and self.s[self.i] in _NAME_CHARS:
                self.i += 1
            if self.i < self.n and not self.s[self.i].isspace() and self.s[self.i] != '"':
                # "In-Progress", "contains(x" ...: report the whole token.
                while self.i < self.n and not self.s[self.i].isspace() and self.s[self.i] not in '()"':
                    self.i += 1
                raise QueryError(f'{_PREFIX}Unknown operator "{self.s[start:self.i]}"')
            word = self.s[start:self.i]
            if word.lower() not in WORD_OPS:
                raise QueryError(f'{_PREFIX}Unknown operator "{word}"')
            return word.lower()
        if c and c in _SYMBOL_CHARS:
            while self.i < self.n and self.s[self.i] in _SYMBOL_CHARS:
                self.i += 1
            sym = self.s[start:self.i]
            if sym not in SYMBOL_OPS:
                raise QueryError(f'{_PREFIX}Unknown operator "{sym}"')
            return sym
        raise self.fail("an operator")

    def value(self, in_list: bool = False) -> Value:
        self.ws()
        c = self.peek()
        if c == '"':
            end = self.s.find('"', self.i + 1)
            if end < 0:
                self.i = self.n
                raise expected_error("a closing '\"'", "end of query")
            raw = self.s[self.i + 1:end]
            self.i = end + 1
            return Value(raw, True)
        start = self.i
        stops = '()",' if in_list else '()"'
        while self.i < self.n and not self.s[self.i].isspace() and self.s[self.i] not in stops:
            self.i += 1
        if self.i == start:
            raise self.fail("a value")
        return Value(self.s[start:self.i], False)

    def value_list(self) -> Value:
        start = self.i
        items = [self.value(in_list=True)]
        while True:
            save = self.i
            self.ws()
            if self.peek() != ",":
                self.i = save
                break
            self.i += 1
            items.append(self.value(in_list=True))
        if len(items) == 1 and items[0].quoted and "," in items[0].raw:
            items = [Value(part.strip(), True) for part in items[0].raw.split(",")]
        return Value(self.s[start:self.i], all(v.quoted for v in items), items=tuple(items))

    def range(self) -> Value:
        start = self.i
        low = self.value()
        had_space = self.i < self.n and self.s[self.i].isspace()
        self.ws()
        j = self.i
        while j < self.n and self.s[j] in _LETTERS:
            j += 1
        if not had_space or self.s[self.i:j].lower() != "and" or (j < self.n and not self.s[j].isspace() and self.s[j] != '"'):
            raise self.fail('"and"')
        self.i = j
        high = self.value()
        return Value(self.s[start:self.i], False, pair=(low, high))
