"""Upstream-compatible interaction logging (``enableLogging``) on top of :mod:`logging`.

Each ``Rally`` instance owns one :class:`RallyLog`.  Every interaction line is

* emitted as a ``DEBUG`` record on ``logging.getLogger("pyral")`` (only when that logger is
  enabled for DEBUG, so nothing happens unless the application configured logging), and
* when ``enableLogging`` is on, written with upstream's ``<timestamp> <text>`` format to the
  instance's own destination through a per-instance handler that is never attached to a global
  logger (so instances never see each other's lines and no global logging config changes).

All text passes through :func:`redact` first: API keys, passwords, ``Authorization`` headers and
``key=<token>`` security tokens never reach a log.

Differences from upstream: ``disableLogging`` closes only files this object opened, never a
caller-supplied stream; an unopenable path also prints the "cannot be written to" warning.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from pyral.support.settings import timestamp

LOGGER_NAME = "pyral"
INTERACTION_LEVEL = logging.DEBUG
BAD_DEST_WARNING = "WARNING: Logging dest arg cannot be written to, proceeding with logging disabled."
CONTINUATION_INDENT = " " * 27
REDACTED = "***"

# ----------------------------------------------------------------------------------------------
# Redaction

_SECRET_NAMES = r"(?:zsessionid|password|passwd|pswd|rallypassword|apikey|api_key|api-key|x-api-key|secret)"
_QUOTED_PAIR = re.compile(
    r"""(?P<k>(?P<q>["'])""" + _SECRET_NAMES + r"""(?P=q)\s*:\s*)(?P<v>"[^"]*"|'[^']*'|[^\s,}]+)""",
    re.IGNORECASE)
_PLAIN_PAIR = re.compile(r"(?P<k>\b" + _SECRET_NAMES + r"\b\s*[:=]\s*)(?P<v>\"[^\"]*\"|'[^']*'|[^\s&,;}]+)",
                         re.IGNORECASE)
_AUTH_QUOTED = re.compile(r"""(?P<k>(?P<q>["'])authorization(?P=q)\s*:\s*)(?P<v>"[^"]*"|'[^']*')""",
                          re.IGNORECASE)
_AUTH_HEADER = re.compile(r"(?P<k>\bauthorization\s*[:=]\s*)(?P<v>(?:basic|bearer|digest|token)\s+\S+|\S+)",
                          re.IGNORECASE)
_SECURITY_KEY = re.compile(r"(?P<k>(?:^|(?<=[?&;\s]))key=)(?P<v>[^&\s#\"']+)")
_URL_USERINFO = re.compile(r"(?P<k>\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:)(?P<v>[^@/\s]+)(?=@)", re.IGNORECASE)
_API_KEY_TOKEN = re.compile(r"(?<![\w])_[A-Za-z0-9]{30,}(?![\w])")


def _mask(match: re.Match[str]) -> str:
    value = match.group("v")
    if value and value[0] in "\"'" and value[-1] == value[0] and len(value) >= 2:
        return f"{match.group('k')}{value[0]}{REDACTED}{value[0]}"
    return f"{match.group('k')}{REDACTED}"


def _mask_security_key(match: re.Match[str]) -> str:
    return match.group(0) if match.group("v") == "None" else f"{match.group('k')}{REDACTED}"


def redact(text: str) -> str:
    """Return *text* with credentials masked as ``***``.

    Masks ``ZSESSIONID``/password/API-key values in ``name: value``, ``name=value`` and quoted
    dict/JSON forms, ``Authorization`` header values, URL ``user:password@`` parts, ``key=<token>``
    security tokens (``key=None`` is kept), and bare Rally API keys (``_`` + 30 or more letters/digits).
    """
    text = _AUTH_QUOTED.sub(_mask, text)
    text = _AUTH_HEADER.sub(_mask, text)
    text = _QUOTED_PAIR.sub(_mask, text)
    text = _PLAIN_PAIR.sub(_mask, text)
    text = _SECURITY_KEY.sub(_mask_security_key, text)
    text = _URL_USERINFO.sub(_mask, text)
    return _API_KEY_TOKEN.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A :class:`logging.Filter` that applies :func:`redact` to every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        return True


class _TimestampFormatter(logging.Formatter):
    """Formats records as upstream did: ``YYYY-MM-DD HH:MM:SS.mmm <message>`` (local time)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{timestamp(datetime.fromtimestamp(record.created))} {record.getMessage()}"


# ----------------------------------------------------------------------------------------------
# Per-instance interaction log


class _Stdout:
    """Sentinel default for ``dest``: whatever ``sys.stdout`` is at call time."""

    def __repr__(self) -> str:
        return "sys.stdout"


_STDOUT: Any = _Stdout()


class RallyLog:
    """The interaction log of one ``Rally`` instance (upstream's enableLogging/disableLogging)."""

    def __init__(self, service_url: str = "", user: str | None = None, *,
                 logger_name: str = LOGGER_NAME) -> None:
        self.service_url = service_url
        self.user = user
        self._logger = logging.getLogger(logger_name)
        self._handler: logging.Handler | None = None
        self._attrget = False
        self._lock = threading.RLock()  # guards handler swaps against concurrent writes

    # -- state ---------------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        """True while ``enableLogging`` is in effect."""
        return self._handler is not None

    @property
    def attrget(self) -> bool:
        """True when lazy attribute GETs should be logged too."""
        return self.enabled and self._attrget

    @property
    def logger(self) -> logging.Logger:
        """The shared ``pyral`` logger that also receives every line."""
        return self._logger

    def enableLogging(self, dest: Any = _STDOUT, attrget: bool = False, append: bool = False) -> None:
        """Start logging to *dest*: a writable stream, or a file path (appended to or overwritten).

        An unusable *dest* prints upstream's warning to stderr and leaves logging disabled.
        """
        self.disableLogging()
        if dest is _STDOUT:
            dest = sys.stdout
        handler: logging.Handler
        if hasattr(dest, "write"):
            handler = logging.StreamHandler(dest)
        elif isinstance(dest, str | os.PathLike):
            try:
                handler = logging.FileHandler(os.fspath(dest), mode="a" if append else "w", encoding="utf-8")
            except OSError:
                print(BAD_DEST_WARNING, file=sys.stderr)
                return
        else:
            print(BAD_DEST_WARNING, file=sys.stderr)
            return
        handler.setLevel(logging.NOTSET)
        handler.setFormatter(_TimestampFormatter())
        handler.addFilter(RedactingFilter())
        with self._lock:
            self._handler = handler
            self._attrget = bool(attrget)
        self.write(f"Following entries record Rally REST API interaction via {self.service_url} "
                   f"for user {self.user}")

    def disableLogging(self) -> None:
        """Stop logging; close the file if this object opened it (caller streams stay open)."""
        with self._lock:
            handler, self._handler = self._handler, None
            self._attrget = False
        if handler is None:
            return
        try:
            handler.flush()
        finally:
            handler.close()  # FileHandler closes its own file; StreamHandler leaves the stream open

    close = disableLogging

    # -- emission ------------------------------------------------------------------------------

    def write(self, message: str) -> None:
        """Record one (possibly multi-line) interaction entry."""
        to_logger = self._logger.isEnabledFor(INTERACTION_LEVEL)
        if self._handler is None and not to_logger:
            return
        record = self._logger.makeRecord(self._logger.name, INTERACTION_LEVEL, __file__, 0,
                                         redact(message), (), None, func="write")
        with self._lock:
            if self._handler is not None:
                self._handler.handle(record)
        if to_logger:
            self._logger.handle(record)

    def request(self, method: str, resource: str, payload: Any = None) -> None:
        """``GET <resource, URL-unquoted>``; ``PUT``/``POST`` with the payload on a second line
        (JSON for PUT, Python repr for POST, as upstream); ``DELETE <resource>``."""
        verb = method.upper()
        if verb == "GET":
            self.write(f"GET {unquote(resource)}")
            return
        line = f"{verb} {resource}"
        if payload is not None:
            body = payload if isinstance(payload, str) and verb == "PUT" else (
                _json(payload) if verb == "PUT" else repr(payload))
            line += f"\n{CONTINUATION_INDENT} {body}"
        self.write(line)

    def attribute_get(self, resource: str) -> None:
        """Log a lazy-load GET, only when ``attrget=True`` was requested."""
        if self.attrget:
            self.write(f"GET {unquote(resource)}")

    def query_result(self, status_code: int, target: str, total_result_count: int | None = None,
                     errors: Sequence[str] = (), body: bytes | str | None = None) -> None:
        """``200 <target> TotalResultCount <n>``, ``<status> <errors[0]>``, or for a non-JSON
        failure ``<status> <first 56 bytes of body> ...``."""
        if errors:
            self.write(f"{status_code} {errors[0]}")
        elif status_code == 200:
            self.write(f"{status_code} {target} TotalResultCount {total_result_count}")
        elif body is not None:
            raw = body if isinstance(body, bytes) else body.encode("utf-8", "replace")
            self.write(f"{status_code} {raw[:56].decode('utf-8', 'replace')} ...")
        else:
            self.write(f"{status_code} {target}")

    def status(self, status_code: int, resource: str) -> None:
        """``<status> <resource>`` (the follow-up line of a single-object GET)."""
        self.write(f"{status_code} {unquote(resource)}")

    def created(self, entity: str, oid: Any, status_code: int = 200) -> None:
        """``200 created <Entity> OID: <oid>``."""
        self.write(f"{status_code} created {entity} OID: {oid}")

    def deleted(self, status_code: int, entity: str, errors: Sequence[str] = ()) -> None:
        """``<status> <Entity> deleted`` or ``<status> <first error>``."""
        self.write(f"{status_code} {errors[0]}" if errors else f"{status_code} {entity} deleted")

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"<RallyLog {state} via {self.service_url!r}>"


def target_of(resource: str, service_prefix: str = "/slm/webservice/v2.0/") -> str:
    """Upstream's log target for a URL: the part after the service prefix, up to its last ``/``."""
    tail = resource.split(service_prefix, 1)[-1]
    tail = tail.split("?", 1)[0]
    return tail.rsplit("/", 1)[0] if "/" in tail else tail


def _json(payload: Any) -> str:
    try:
        return json.dumps(payload)
    except (TypeError, ValueError):
        return repr(payload)


__all__ = [
    "BAD_DEST_WARNING",
    "INTERACTION_LEVEL",
    "LOGGER_NAME",
    "RallyLog",
    "RedactingFilter",
    "redact",
    "target_of",
]


def warning(message: str) -> None:
    """Write ``WARNING: <message>`` to stderr (upstream ``pyral.restapi.warning``)."""
    sys.stderr.write(f"WARNING: {message}\n")
