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
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

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

_CONFIG_LINE = re.compile(r"^([A-Z][A-Z_]*)\s*=\s*(.*)$")
_CONFIG_ARG = re.compile(r"^--(?:cfg|conf|config|rallyConfig)=(\S+)$")
_SETTING_ARG = re.compile(r"^--([A-Za-z]+)=(.+)$", re.DOTALL)


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
        match = _CONFIG_ARG.match(arg)
        if match:
            located = _locate(match.group(1), here)
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
    "DEFAULT_PROJECT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WORKSPACE",
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
