"""Connection options, settings resolution and the lazily opened ``Rally`` connection.

Settings come from, lowest priority first: the user config file
(``<config dir>/pyral/config``, e.g. ``~/.config/pyral/config``), then upstream's
``rallyWorkset`` chain (environment ``RALLY_SERVER``/``RALLY_USER``/``RALLY_PASSWORD``/
``APIKEY``/``RALLY_WORKSPACE``/``RALLY_PROJECT``, ``rally-v2.0.cfg`` in the current directory,
the file named by ``RALLY_CONFIG``, the ``--config FILE``), then the command-line options.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from pyral.client import Rally
from pyral.errors import RallyError
from pyral.support.settings import SERVER, rallyWorkset, read_config_file

from .errors import EXIT_AUTH, CliError, translate

F = TypeVar("F", bound=Callable[..., Any])

META_KEY = "pyral.cli.options"
_KEYS = ("SERVER", "USER", "PASSWORD", "APIKEY", "WORKSPACE", "PROJECT")
_DEFAULTS = (SERVER, "", "", "", "default", "default")


def user_config_path() -> Path:
    """The per-user config file (honours ``XDG_CONFIG_HOME`` on Linux)."""
    return Path(click.get_app_dir("pyral")) / "config"


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None and value is not False:
        ctx.meta.setdefault(META_KEY, {})[param.name] = value
    return value


def connection_options(func: F) -> F:
    """Add the connection options (and ``--debug``) to a command or group."""
    opts = [
        click.option("--server", metavar="HOST|URL", help="Rally server (default rally1.rallydev.com)."),
        click.option("--apikey", metavar="KEY", help="API key (preferred over user/password)."),
        click.option("--user", metavar="NAME", help="User name for basic authentication."),
        click.option("--password", metavar="PW",
                     help="Password (prompted, hidden, when needed and on a terminal)."),
        click.option("--workspace", metavar="NAME", help="Workspace name (default: the user's default)."),
        click.option("--project", metavar="NAME", help="Project name or 'A // B' path."),
        click.option("--config", "config_file", metavar="FILE",
                     type=click.Path(exists=True, dir_okay=False),
                     help="Config file with KEY = value lines (SERVER, USER, APIKEY, ...)."),
        click.option("--debug", is_flag=True, default=None, help="Show tracebacks on errors."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    for param in getattr(func, "__click_params__", [])[-len(opts):]:
        param.expose_value = False
        param.callback = _store
        param.is_eager = True
    return func


def cli_options(ctx: click.Context) -> dict[str, Any]:
    """The connection options given on the command line (group and command level)."""
    return dict(ctx.meta.get(META_KEY, {}))


def debug_enabled(ctx: click.Context | None) -> bool:
    """Whether ``--debug`` was given (anywhere on the command line)."""
    if ctx is not None and ctx.meta.get(META_KEY, {}).get("debug"):
        return True
    return "--debug" in sys.argv[1:]


@dataclass
class Settings:
    """Resolved connection settings (the password and key are never printed)."""

    server: str = SERVER
    user: str = ""
    password: str = field(default="", repr=False)
    apikey: str = field(default="", repr=False)
    workspace: str = ""
    project: str = ""


def resolve_settings(options: dict[str, Any], env: dict[str, str] | None = None) -> Settings:
    """Combine the user config file, the ``rallyWorkset`` chain and the command-line options."""
    args = [f"--config={options['config_file']}"] if options.get("config_file") else []
    try:
        values = rallyWorkset(args, env=env)
        user_file = user_config_path()
        user_cfg = read_config_file(user_file) if user_file.is_file() else {}
    except RallyError as exc:
        raise CliError(str(exc)) from exc
    for index, key in enumerate(_KEYS):
        if values[index] == _DEFAULTS[index] and user_cfg.get(key):
            values[index] = user_cfg[key]
    for index, name in enumerate(("server", "user", "password", "apikey", "workspace", "project")):
        if options.get(name):
            values[index] = str(options[name])
    server, user, password, apikey, workspace, project = values
    return Settings(server=server, user=user, password=password, apikey=apikey,
                    workspace="" if workspace == "default" else workspace,
                    project="" if project == "default" else project)


def can_prompt() -> bool:
    """Whether we may prompt (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def connect(settings: Settings, *, interactive: bool | None = None) -> Rally:
    """Open a ``Rally`` connection, prompting for a missing password on a terminal."""
    kwargs: dict[str, Any] = {"warn": False}
    if settings.workspace:
        kwargs["workspace"] = settings.workspace
    if settings.project:
        kwargs["project"] = settings.project
    if interactive is None:
        interactive = can_prompt()
    if settings.apikey:
        creds: dict[str, Any] = {"apikey": settings.apikey}
    elif settings.user:
        password = settings.password
        if not password:
            if not interactive:
                raise CliError(f"no password for user {settings.user}: give --password or set "
                               "RALLY_PASSWORD (or use --apikey)", EXIT_AUTH)
            password = click.prompt(f"Rally password for {settings.user}", hide_input=True,
                                    err=True)
        creds = {"user": settings.user, "password": password}
    else:
        raise CliError("no Rally credentials: give --apikey (or set APIKEY), or --user and "
                       "--password, or put them in a config file", EXIT_AUTH)
    try:
        return Rally(settings.server, **creds, **kwargs)
    except RallyError as exc:
        raise translate(exc) from exc


class Session:
    """Per-invocation state: the options and a ``Rally`` opened on first use."""

    def __init__(self, ctx: click.Context) -> None:
        self.ctx = ctx
        self._rally: Rally | None = None

    @property
    def rally(self) -> Rally:
        """The connection (opened on first access, closed when the command ends)."""
        if self._rally is None:
            settings = resolve_settings(cli_options(self.ctx), env=dict(os.environ))
            self._rally = connect(settings)
            self.ctx.call_on_close(self._rally.close)
        return self._rally


def session(ctx: click.Context) -> Session:
    """The invocation's :class:`Session` (created on first use)."""
    root = ctx.find_root()
    sess = root.meta.get("pyral.cli.session")
    if sess is None:
        sess = Session(root)
        root.meta["pyral.cli.session"] = sess
    return sess
