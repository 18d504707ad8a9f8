"""Shared helpers for driver scripts.  Runs under the *upstream* pyral 1.7.0 interpreter only.

A driver calls :func:`setup` (reads the JSON config from stdin and, for plain HTTP, sets
``pyral.restapi.PROTOCOL``), records named checks with :class:`Checks` and finishes with
``checks.emit()``, which prints one marker-prefixed JSON line on stdout.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

RESULT_MARKER = "@@UPSTREAM-RESULT@@ "


def setup() -> dict[str, Any]:
    config = json.load(sys.stdin)
    if config["protocol"] == "http":
        import pyral.restapi

        pyral.restapi.PROTOCOL = "http"  # upstream is HTTPS-only; this module global builds its URLs
    return config


def connect(config: dict[str, Any], *, auth: str = "basic", **kwargs: Any) -> Any:
    """A Rally connection using the config's credentials (``auth`` = basic | apikey)."""
    from pyral import Rally

    if config["protocol"] == "https":
        kwargs.setdefault("verify_ssl_cert", False)
    if auth == "apikey":
        return Rally(config["server"], apikey=config["apikey"], **kwargs)
    return Rally(config["server"], config["user"], config["password"], **kwargs)


def error_of(exc: BaseException) -> dict[str, str]:
    kind = type(exc)
    return {"error_type": f"{kind.__module__}.{kind.__qualname__}", "error_message": str(exc)}


class Checks:
    """Record named checks; a check's return value (or the exception it raised) is reported."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

    def __call__(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Decorator: run ``fn`` now and record it under its own name."""
        self.run(fn.__name__, fn)
        return fn

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        try:
            value = fn()
        except BaseException as exc:  # noqa: BLE001 - every outcome is data for the test
            if isinstance(exc, KeyboardInterrupt):
                raise
            self.results[name] = {"ok": False, **error_of(exc),
                                  "error": f"{error_of(exc)['error_type']}: {exc}",
                                  "trace": traceback.format_exc()[-4000:]}
            return None
        self.results[name] = {"ok": True, "value": value}
        return value

    def emit(self) -> None:
        import pyral
        import pyral.restapi

        meta = {"version": list(pyral.__version__), "file": pyral.__file__,
                "protocol": pyral.restapi.PROTOCOL}
        sys.stdout.write("\n" + RESULT_MARKER + json.dumps({"meta": meta, "checks": self.results}, default=repr)
                         + "\n")
        sys.stdout.flush()


def names(items: Any) -> list[str]:
    return [item.Name for item in items]


def fids(items: Any) -> list[str]:
    return [item.FormattedID for item in items]
