"""Configuration constants and upstream-compatible settings resolution.

``rallyWorkset(args)`` and the deprecated ``rallySettings(args)`` resolve the server, credentials,
workspace and project with upstream pyral's priority chain (each later step overrides the earlier):

1. defaults (server ``rally1.rallydev.com``, empty credentials, workspace/project ``"default"``);
2. environment variables ``RALLY_SERVER``, ``RALLY_USER``, ``RALLY_PASSWORD``, ``APIKEY``,
   ``RALLY_WORKSPACE``, ``RALLY_PROJECT`` (empty values are ignored);
3. ``rally-v2.0.cfg`` in the current directory (other ``rally-*.cfg`` files produce a note);
4. the file named by the ``RALLY_CONFIG`` environment variable;
5. ``--config=``/``--conf=``/``--cfg=``/``--rallyConfig=`` arguments (name tried as given, then
   with ``.cfg`` appended);
6. ``--rallyServer=`` ... ``--rallyProject=`` and ``--server=`` ... ``--project=``/``--apikey=``.

Intended differences from upstream 1.7.0: there are no hard-coded default credentials, config
files accept ``API_KEY`` as well as ``APIKEY``, trailing whitespace/CR is stripped from values, and
a config file that exists but cannot be read raises :class:`~pyral.errors.RallyError` instead of
silently breaking the chain.  A named file that does not exist is ignored, as upstream does.

Everything here is a pure function of its inputs; there is no module-level mutable state.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TextIO

from pyral._version import VERSION_STRING
from pyral.errors import RallyError

PROTOCOL = "https"
SERVER = "rally1.rallydev.com"
WEB_SERVICE = "slm/webservice"
SCHEMA_SERVICE = "slm/schema"
AUTH_ENDPOINT = "security/authorize"
WS_API_VERSION = "v2.0"

#: Upstream shipped real-looking default credentials here; ours are deliberately empty.
USER_NAME = ""
PASSWORD = ""
APIKEY = ""
DEFAULT_WORKSPACE = "default"
DEFAULT_PROJECT = "default"

START_INDEX = 1
KILO_PAGESIZE = 1000
MAX_PAGESIZE = 2000
MAX_ITEMS = 1_000_000
DEFAULT_TIMEOUT = 120.0
SLM_WS_VER = f"/{WEB_SERVICE}/{WS_API_VERSION}/"
INTEGRATION_HEADER_PREFIX = "X-RallyIntegration"
HTTP_REQUEST_SUCCESS_CODE = 200
PAGE_NOT_FOUND_CODE = 404
SERVICE_REQUEST_TIMEOUT = 120  # upstream's timeout for get(); here every request has DEFAULT_TIMEOUT
SERVICE_REQUEST_TIME_LIMIT = 120
INITIAL_REQUEST_TIME_LIMIT = 5
IPV4_ADDRESS_PATT = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
SCHEME_PREFIX_PATT = re.compile(r"^https?://")
FORMATTED_ID_PATT = re.compile(r"^[A-Za-z]+\d+$")  # any prefix (upstream: one or two capitals)
PROJECT_PATH_ELEMENT_SEPARATOR = " // "
DEFAULT_SESSION_TIMEOUT = 10  # upstream's session timeout, which requests ignored; DEFAULT_TIMEOUT applies
TRUTHY_VALUES = ("t", "true", "y", "yes", "1")
FALSEY_VALUES = ("f", "false", "n", "no", "0")

# The headers every request carries (``Rally(headers=...)`` overrides them, upstream's rule).
RALLY_REST_HEADERS: Mapping[str, str] = MappingProxyType({
    "X-RallyIntegrationName": "Rally REST API toolkit for Python",
    "X-RallyIntegrationVendor": "Broadcom / Rally",
    "X-RallyIntegrationVersion": VERSION_STRING,
    "X-RallyIntegrationLibrary": f"pyral-{VERSION_STRING}",
    "X-RallyIntegrationPlatform": f"Python {platform.python_version()}",
    "X-RallyIntegrationOS": platform.platform(),
    "User-Agent": "Pyral Rally WebServices Agent",
    "Content-Type": "application/json",
    "Accept-Encoding": "gzip",
})

CONFIG_FILE_NAME = f"rally-{WS_API_VERSION}.cfg"

# Indexes into the six-element workset list.
_SERVER, _USER, _PASSWORD, _APIKEY, _WORKSPACE, _PROJECT = range(6)

_ENV_VARS: tuple[tuple[str, int], ...] = (
    ("RALLY_SERVER", _SERVER),
    ("RALLY_USER", _USER),
    ("RALLY_PASSWORD", _PASSWORD),
    ("APIKEY", _APIKEY),
    ("RALLY_WORKSPACE", _WORKSPACE),
    ("RALLY_PROJECT", _PROJECT),
)

_FILE_KEYS: dict[str, int] = {
    "SERVER": _SERVER,
    "USER": _USER,
    "PASSWORD": _PASSWORD,
    "APIKEY": _APIKEY,
    "API_KEY": _APIKEY,
    "WORKSPACE": _WORKSPACE,
    "PROJECT": _PROJECT,
}

_ARG_KEYS: dict[str, int] = {
    "rallyServer": _SERVER,
    "rallyUser": _USER,
    "rallyPassword": _PASSWORD,
    "rallyWorkspace": _WORKSPACE,
    "rallyProject": _PROJECT,
    "server": _SERVER,
    "user": _USER,
    "password": _PASSWORD,
    "apikey": _APIKEY,
    "workspace": _WORKSPACE,
    "project": _PROJECT,
}

_CONFIG_LINE = re.compile(r"^([A-Z][A-Z_]*)\s*=\s*(.*)$")  # upstream's CONFIG_SETTING_PATT, plus ``_``
_SETTING_ARG = re.compile(r"^--([A-Za-z]+)=(.+)$", re.DOTALL)  # both of upstream's patterns below
CONFIG_SETTING_PATT = _CONFIG_LINE
RALLY_CONFIG_FILE_PATT = re.compile(r"^--(cfg|conf|config|rallyConfig)=(\S+)$")
RALLY_ARG_SETTING_PATT1 = re.compile(r"^--(rally[SUPW][a-z]+)=(.+)\s*$")  # matched by _SETTING_ARG too
RALLY_ARG_SETTING_PATT2 = re.compile(r"^--([ASUPWasupw][a-z]+)=(.+)\s*$")  # matched by _SETTING_ARG too


def timestamp(when: datetime | None = None) -> str:
    """Return ``YYYY-MM-DD HH:MM:SS.mmm`` for *when* (default: now), in local time."""
    moment = when if when is not None else datetime.now()
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def parse_config_text(text: str, *, with_apikey: bool = True) -> dict[str, str]:
    """Parse config-file text into ``{KEY: value}`` for the recognised uppercase keys.

    Lines are ``KEY = value``; ``#`` lines, unknown or lowercase keys and empty values are
    ignored.  Trailing whitespace (including CR) is stripped; quotes are kept, as upstream.
    ``API_KEY`` is reported as ``APIKEY``.  Later lines override earlier ones.
    """
    settings: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        match = _CONFIG_LINE.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2)
        if key not in _FILE_KEYS or not value:
            continue
        if key == "API_KEY":
            key = "APIKEY"
        if key == "APIKEY" and not with_apikey:
            continue
        settings[key] = value
    return settings


def read_config_file(path: str | os.PathLike[str], *, with_apikey: bool = True) -> dict[str, str]:
    """Read and parse one config file; raise :class:`RallyError` if it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RallyError(f"Unable to read Rally config file {os.fspath(path)!r}: {exc}") from exc
    return parse_config_text(text, with_apikey=with_apikey)


def _locate(name: str, cwd: Path) -> Path | None:
    """Find a config file by *name* (relative to *cwd*), trying ``<name>.cfg`` second."""
    for candidate in (name, f"{name}.cfg"):
        path = Path(candidate).expanduser()
        if not path.is_absolute():
            path = cwd / path
        if path.exists():
            return path
    return None


def _apply_file(values: list[str], path: Path, with_apikey: bool) -> None:
    for key, value in read_config_file(path, with_apikey=with_apikey).items():
        values[_FILE_KEYS[key]] = value


def _resolve(args: Sequence[str], env: Mapping[str, str] | None, cwd: str | os.PathLike[str] | None,
             with_apikey: bool, note_stream: TextIO | None) -> list[str]:
    environ: Mapping[str, str] = os.environ if env is None else env
    here = Path(os.getcwd() if cwd is None else cwd)
    values = [SERVER, USER_NAME, PASSWORD, APIKEY, DEFAULT_WORKSPACE, DEFAULT_PROJECT]

    for name, index in _ENV_VARS:
        if index == _APIKEY and not with_apikey:
            continue
        value = environ.get(name)
        if value:
            values[index] = value

    local_cfgs = sorted(p.name for p in here.glob("rally-*.cfg"))
    if CONFIG_FILE_NAME in local_cfgs:
        _apply_file(values, here / CONFIG_FILE_NAME, with_apikey)
    elif local_cfgs:
        stream = sys.stderr if note_stream is None else note_stream
        for other in local_cfgs:
            print(f"Ignoring non-matching version of Rally config settings: {other} "
                  f"(working version: {WS_API_VERSION})", file=stream)

    env_config = environ.get("RALLY_CONFIG")
    if env_config:
        located = _locate(env_config, here)
        if located is not None:
            _apply_file(values, located, with_apikey)

    for arg in args:
        match = RALLY_CONFIG_FILE_PATT.match(arg)
        if match:
            located = _locate(match.group(2), here)
            if located is not None:
                _apply_file(values, located, with_apikey)

    for arg in args:
        match = _SETTING_ARG.match(arg)
        if not match or match.group(1) not in _ARG_KEYS:
            continue
        index = _ARG_KEYS[match.group(1)]
        if index == _APIKEY and not with_apikey:
            continue
        value = match.group(2).rstrip()
        if value:
            values[index] = value
    return values


def rallyWorkset(args: Sequence[str], *, env: Mapping[str, str] | None = None,
                 cwd: str | os.PathLike[str] | None = None,
                 note_stream: TextIO | None = None) -> list[str]:
    """Resolve ``[server, user, password, apikey, workspace, project]`` (upstream's priority chain).

    *env* and *cwd* default to ``os.environ`` and the current directory; *note_stream* receives the
    "Ignoring non-matching version" notes (default ``sys.stderr``).
    """
    return _resolve(args, env, cwd, True, note_stream)


def rallySettings(args: Sequence[str], *, env: Mapping[str, str] | None = None,
                  cwd: str | os.PathLike[str] | None = None,
                  note_stream: TextIO | None = None) -> list[str]:
    """Deprecated: ``[server, user, password, workspace, project]``, ignoring every API key source."""
    values = _resolve(args, env, cwd, False, note_stream)
    return [values[_SERVER], values[_USER], values[_PASSWORD], values[_WORKSPACE], values[_PROJECT]]


__all__ = [
    "APIKEY",
    "AUTH_ENDPOINT",
    "CONFIG_FILE_NAME",
    "CONFIG_SETTING_PATT",
    "DEFAULT_PROJECT",
    "DEFAULT_SESSION_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WORKSPACE",
    "FALSEY_VALUES",
    "FORMATTED_ID_PATT",
    "HTTP_REQUEST_SUCCESS_CODE",
    "INITIAL_REQUEST_TIME_LIMIT",
    "INTEGRATION_HEADER_PREFIX",
    "IPV4_ADDRESS_PATT",
    "PAGE_NOT_FOUND_CODE",
    "PROJECT_PATH_ELEMENT_SEPARATOR",
    "SCHEME_PREFIX_PATT",
    "SERVICE_REQUEST_TIMEOUT",
    "SERVICE_REQUEST_TIME_LIMIT",
    "SLM_WS_VER",
    "RALLY_ARG_SETTING_PATT1",
    "RALLY_ARG_SETTING_PATT2",
    "RALLY_CONFIG_FILE_PATT",
    "RALLY_REST_HEADERS",
    "TRUTHY_VALUES",
    "KILO_PAGESIZE",
    "MAX_ITEMS",
    "MAX_PAGESIZE",
    "PASSWORD",
    "PROTOCOL",
    "SCHEMA_SERVICE",
    "SERVER",
    "START_INDEX",
    "USER_NAME",
    "WEB_SERVICE",
    "WS_API_VERSION",
    "parse_config_text",
    "rallySettings",
    "rallyWorkset",
    "read_config_file",
    "timestamp",
]
