"""Faults and latency on demand: what a test injects to see how a script copes with a bad day.

A :class:`FaultBook` holds injected faults in order; each request takes the first one whose
method and path regex match, and that fault's count goes down by one (spent faults vanish).
Kinds: ``429`` (with ``Retry-After``), ``503``, ``reset`` (the connection is dropped, no
answer) and ``slow`` (the answer is delayed by ``delay`` seconds).  :class:`Latency` adds a
base delay with jitter to every WSAPI request.  Both belong to one emulator instance.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("429", "503", "reset", "slow")
METHODS = ("GET", "POST", "PUT", "DELETE", "*")


class FaultError(ValueError):
    """A fault description that cannot be used (answered with 400 by the control plane)."""


@dataclass
class Fault:
    """One injected fault; ``count`` is what is left."""

    method: str
    path: str
    kind: str
    count: int = 1
    retry_after: float = 1.0
    delay: float = 0.0

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self._regex.search(path) is not None

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "kind": self.kind, "count": self.count,
                "retry_after": self.retry_after, "delay": self.delay}


def _number(spec: dict[str, Any], key: str, default: float, *, lower: float = 0.0) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lower <= value <= 3600:
        raise FaultError(f"{key} must be a number of seconds between {lower:g} and 3600")
    return float(value)


def parse_fault(spec: Any) -> Fault:
    """Validate one fault description (the JSON of ``POST /emulator/faults``)."""
    if not isinstance(spec, dict):
        raise FaultError('Give {"method": "GET", "path": "<regex>", "kind": "429|503|reset|slow", "count": N}')
    unknown = set(spec) - {"method", "path", "kind", "count", "retry_after", "delay"}
    if unknown:
        raise FaultError(f"Unknown fault field(s): {', '.join(sorted(unknown))}")
    method = str(spec.get("method", "*")).upper()
    if method not in METHODS:
        raise FaultError(f"method must be one of {', '.join(METHODS)}")
    kind = str(spec.get("kind", ""))
    if kind not in KINDS:
        raise FaultError(f"kind must be one of {', '.join(KINDS)}")
    path = spec.get("path", "")
    if not isinstance(path, str):
        raise FaultError("path must be a regular expression (a string)")
    try:
        re.compile(path)
    except re.error as exc:
        raise FaultError(f"path is not a valid regular expression: {exc}") from None
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1_000_000:
        raise FaultError("count must be an integer between 1 and 1000000")
    retry_after = _number(spec, "retry_after", 1.0)
    delay = _number(spec, "delay", 0.0)
    if kind == "slow" and "delay" not in spec:
        raise FaultError('a "slow" fault needs "delay" (seconds)')
    return Fault(method, path, kind, count, retry_after, delay)


class FaultBook:
    """The injected faults of one emulator, in injection order (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: dict[str, int] = {kind: 0 for kind in KINDS}

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, its count spent by one (None: no fault)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    self.fired[fault.kind] += 1
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._faults)
            self._faults.clear()
            return cleared


class Latency:
    """A delay before every WSAPI answer: ``base`` seconds plus a uniform ``±jitter`` (never below 0)."""

    def __init__(self, base: float = 0.0, jitter: float = 0.0, rng: random.Random | None = None) -> None:
        if not (0 <= base <= 3600 and 0 <= jitter <= 3600):
            raise ValueError("latency and jitter must be between 0 and 3600 seconds")
        self.base = base
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    @classmethod
    def of(cls, value: float | tuple[float, float] | Latency | None) -> Latency:
        """From ``Emulator(latency=...)``: seconds, a ``(base, jitter)`` pair, or None."""
        if isinstance(value, Latency):
            return value
        if value is None:
            return cls()
        if isinstance(value, tuple):
            base, jitter = value
            return cls(float(base), float(jitter))
        return cls(float(value))

    @classmethod
    def parse_ms(cls, text: str) -> Latency:
        """From ``--latency MS[:JITTER]`` (milliseconds)."""
        base, _, jitter = text.partition(":")
        try:
            return cls(float(base) / 1000, float(jitter or 0) / 1000)
        except ValueError:
            raise ValueError(f"--latency takes MS or MS:JITTER in milliseconds, not {text!r}") from None

    def next(self) -> float:
        if not self.jitter:
            return self.base
        with self._lock:
            offset = self._rng.uniform(-self.jitter, self.jitter)
        return max(0.0, self.base + offset)
