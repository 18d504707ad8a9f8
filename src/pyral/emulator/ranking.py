"""DragAndDropRank keys: order-preserving strings (fractional indexing, no renumbering).

Keys are strings over the printable ASCII range ``!``..``~``; lexicographic order is rank
order.  :func:`between` returns a key strictly between two keys (either may be None for the
open ends), so moving an item touches only that item.
"""

from __future__ import annotations

LOW, HIGH = 33, 126  # '!' .. '~'
BASE = HIGH - LOW + 1
WIDTH = 64  # Rally's DragAndDropRank is a 64-character string


def _digits(key: str | None, default: int) -> list[int]:
    return [ord(c) - LOW for c in key] if key else [default]


def between(lo: str | None, hi: str | None) -> str:
    """A key strictly between ``lo`` and ``hi`` (``lo < result < hi``)."""
    if lo is not None and hi is not None and lo >= hi:
        raise ValueError(f"rank keys out of order: {lo!r} >= {hi!r}")
    a = _digits(lo, 0)
    out: list[int] = []
    i = 0
    while True:
        da = a[i] if i < len(a) else 0
        if hi is None:
            db = BASE
        else:
            b = _digits(hi, 0)
            db = b[i] if i < len(b) else 0
            # Once we are strictly below hi at an earlier position, hi no longer bounds us.
            if out and out != b[:len(out)]:
                db = BASE
        if db - da > 1:
            out.append((da + db) // 2)
            break
        out.append(da)
        i += 1
        if i > 4 * WIDTH:
            raise ValueError("rank keys too close")
    return "".join(chr(d + LOW) for d in out)


def initial() -> str:
    return between(None, None)
