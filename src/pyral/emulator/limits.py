"""Rally's per-user limit: at most N simultaneous requests per user; the rest wait for a slot.

Rally slows a user's extra requests down rather than refusing them, so a request over the
limit waits (in the event loop, holding no worker thread) until one of that user's requests
finishes.  Counters (``waited``, ``peak``) let tests check the limit by counting, not timing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

DEFAULT_PER_USER = 12
REQUEST_CUTOFF = 300.0  # Rally cuts every request at 5 minutes (answered 502 by its proxy)


class UserSlots:
    """Per-user semaphores, created on first use; one instance per emulator front."""

    def __init__(self, per_user: int = DEFAULT_PER_USER) -> None:
        if per_user < 1:
            raise ValueError("the per-user concurrency limit must be at least 1")
        self.per_user = per_user
        self._slots: dict[int, anyio.Semaphore] = {}
        self._busy: dict[int, int] = {}
        self.waited = 0
        self.peak = 0

    @asynccontextmanager
    async def hold(self, user: int) -> AsyncIterator[None]:
        """Hold one of ``user``'s slots for the body of the ``async with``."""
        slot = self._slots.get(user)
        if slot is None:
            slot = self._slots[user] = anyio.Semaphore(self.per_user)
        if slot.value == 0:
            self.waited += 1
        async with slot:
            busy = self._busy[user] = self._busy.get(user, 0) + 1
            self.peak = max(self.peak, busy)
            try:
                yield
            finally:
                self._busy[user] -= 1
