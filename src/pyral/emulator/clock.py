"""The emulator's notion of "now": the real clock, or an emulated time that tests set and advance.

One :class:`Clock` belongs to one backend (its store stamps every write with it), so two
emulators in one process keep separate times.  An emulated clock is frozen: it moves only when
told to (``advance``), which makes a history built with it exact to the millisecond.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def iso_ms(when: datetime) -> str:
    """``when`` as Rally writes times: ISO 8601 UTC with milliseconds and a ``Z``."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """An ISO 8601 date or date-time (``Z`` or an offset; a bare date is midnight UTC)."""
    value = text.strip()
    if len(value) == 10:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return when.astimezone(UTC)


class Clock:
    """Real time, or a frozen emulated time (``set``/``advance``)."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None
        self._lock = threading.Lock()

    @property
    def emulated(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        with self._lock:
            fixed = self._fixed
        return fixed if fixed is not None else datetime.now(UTC)

    def iso(self) -> str:
        """Now, as Rally writes it."""
        return iso_ms(self.now())

    def today(self) -> datetime:
        """Midnight UTC of the current day (emulated or real)."""
        now = self.now()
        return datetime(now.year, now.month, now.day, tzinfo=UTC)

    def set(self, when: datetime | None) -> None:
        """Freeze at ``when`` (an aware datetime); None returns to the real clock."""
        if when is not None and when.tzinfo is None:
            raise ValueError("the clock needs an aware datetime (with a time zone)")
        with self._lock:
            self._fixed = when.astimezone(UTC).replace(microsecond=when.microsecond // 1000 * 1000) \
                if when is not None else None

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` (from the emulated time, or from real now); returns the new now."""
        if seconds < 0:
            raise ValueError("the clock only advances (seconds must be >= 0)")
        with self._lock:
            base = self._fixed if self._fixed is not None else datetime.now(UTC)
            moved = base + timedelta(seconds=seconds)
            self._fixed = moved.replace(microsecond=moved.microsecond // 1000 * 1000)
            return self._fixed
