"""DragAndDropRank keys stay ordered and short under appends, prepends and repeated inserts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyral.emulator import ranking


def test_appends_stay_short_for_a_hundred_thousand_items() -> None:
    key = ranking.initial()
    keys = [key]
    for _ in range(100_000):
        key = ranking.between(key, None)
        keys.append(key)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert max(len(k) for k in keys) <= 8


def test_prepends_and_inserts_between_neighbours() -> None:
    top = ranking.initial()
    keys = [top]
    for _ in range(1000):
        keys.insert(0, ranking.between(None, keys[0]))
    lo, hi = keys[10], keys[11]
    for _ in range(200):  # always insert just above the same item
        hi = ranking.between(lo, hi)
        assert lo < hi < keys[11]
    assert len(hi) <= 64


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), st.sampled_from(["above", "top", "bottom"])),
                min_size=1, max_size=300))
def test_random_moves_keep_a_strict_order(moves: list[tuple[int, str]]) -> None:
    keys = [ranking.initial()]
    for _ in range(20):
        keys.append(ranking.between(keys[-1], None))
    for index, kind in moves:
        i = index % len(keys)
        if kind == "top":
            new = ranking.between(None, keys[0])
        elif kind == "bottom":
            new = ranking.between(keys[-1], None)
        else:
            new = ranking.between(keys[i - 1] if i else None, keys[i])
        keys.append(new)
        keys.sort()
        assert len(set(keys)) == len(keys)
    assert all(a < b for a, b in zip(keys, keys[1:]))
