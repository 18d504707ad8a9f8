"""The paging plan: which further pages a query needs, and how many to fetch at once.

Decided from the first page's envelope alone, so the sync client (a thread pool) and the async
client (tasks) fetch exactly the same pages with the same bound on concurrency.
"""

from __future__ import annotations

import math

from .envelope import Envelope
from .requests import MAX_PAGESIZE

MAX_THREADS = 12  # Rally's per-user limit of concurrent requests
AUTO_THREADS = 4  # pages fetched at once when the caller did not say (and more than two are needed)


def default_pagesize(limit: int) -> int:
    """The page size of a query whose caller gave none: Rally's largest (2,000; upstream sent
    1,000), or ``limit`` when that is smaller, so the fewest pages carry what will be served."""
    return max(1, min(MAX_PAGESIZE, limit))


def servable(env: Envelope, limit: int) -> int:
    """How many items the caller will get: the whole result (from ``start`` on), capped by ``limit``."""
    if env.kind != "Query":
        return len(env.results)
    total = env.total
    if env.start > 1:
        total = total - env.start + 1
    return max(0, min(total, limit))


def further_starts(env: Envelope, first_page_len: int, wanted: int) -> list[int]:
    """``start`` of every page after the first needed to serve ``wanted`` items (in order)."""
    if env.kind != "Query" or not first_page_len or wanted <= first_page_len:
        return []
    size = env.page_size or first_page_len
    origin = env.start if env.start > 0 else 1
    return [origin + k * size for k in range(1, math.ceil(wanted / size))]


def concurrency(threads: int | None, pages: int) -> int:
    """Pages in flight at once: ``threads`` (auto when None/0), never above 12 nor above ``pages``."""
    if pages <= 0:
        return 1
    wanted = (AUTO_THREADS if pages > 2 else 1) if not threads else int(threads)
    return max(1, min(wanted, MAX_THREADS, pages))
