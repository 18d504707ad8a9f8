"""DragAndDropRank keys: order-preserving strings (fractional indexing, no renumbering).

A key is a fixed-width integer part (``DIGITS`` base-94 digits over ``!``..``~``) optionally
followed by a fraction.  Lexicographic order is rank order.  Appending or prepending steps the
integer part by ``STEP`` (so 100,000s of items stay short); inserting between two keys takes
the integer midpoint while there is room, then a fractional midpoint.  Moving an item touches
only that item.
"""

from __future__ import annotations

LOW = 33  # '!'
BASE = 94  # '!' .. '~'
DIGITS = 6
SPACE = BASE ** DIGITS
STEP = BASE ** 3
MIDDLE = SPACE // 2


def _encode(number: int) -> str:
    out = []
    for _ in range(DIGITS):
        number, digit = divmod(number, BASE)
        out.append(chr(LOW + digit))
    return "".join(reversed(out))


def _decode(text: str) -> int:
    number = 0
    for ch in text:
        number = number * BASE + (ord(ch) - LOW)
    return number


def _split(key: str) -> tuple[int, str]:
    return _decode(key[:DIGITS].ljust(DIGITS, "!")), key[DIGITS:]


def _fraction_between(lo: str, hi: str | None) -> str:
    """A fraction strictly between ``lo`` ('' = start) and ``hi`` (None = end)."""
    a = [ord(c) - LOW for c in lo]
    b = [ord(c) - LOW for c in hi] if hi is not None else None
    out: list[int] = []
    i = 0
    bounded = b is not None
    while True:
        da = a[i] if i < len(a) else 0
        db = (b[i] if b is not None and i < len(b) else 0) if bounded else BASE
        if db - da > 1:
            out.append((da + db) // 2)
            return "".join(chr(d + LOW) for d in out)
        out.append(da)
        if bounded and b is not None and out != b[:len(out)]:
            bounded = False
        i += 1


def between(lo: str | None, hi: str | None) -> str:
    """A key strictly between ``lo`` and ``hi`` (either may be None for an open end)."""
    if lo is not None and hi is not None and lo >= hi:
        raise ValueError(f"rank keys out of order: {lo!r} >= {hi!r}")
    if lo is None and hi is None:
        return _encode(MIDDLE)
    if hi is None:
        assert lo is not None
        lo_int, lo_frac = _split(lo)
        if lo_int + STEP < SPACE:
            return _encode(lo_int + STEP)
        if lo_int + 1 < SPACE:
            return _encode(lo_int + 1)
        return _encode(lo_int) + _fraction_between(lo_frac, None)
    if lo is None:
        hi_int, hi_frac = _split(hi)
        if hi_int - STEP >= 0:
            return _encode(hi_int - STEP)
        if hi_int >= 1:
            return _encode(hi_int - 1)
        return _encode(0) + _fraction_between("", hi_frac)
    lo_int, lo_frac = _split(lo)
    hi_int, hi_frac = _split(hi)
    if hi_int - lo_int >= 2:
        return _encode((lo_int + hi_int) // 2)
    if hi_int == lo_int:
        return _encode(lo_int) + _fraction_between(lo_frac, hi_frac)
    return _encode(lo_int) + _fraction_between(lo_frac, None)


def initial() -> str:
    return between(None, None)
