"""The ``pyral`` group: global options, command registration and error handling."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from pyral._version import VERSION_STRING
from pyral.errors import RallyError

from .connect import connection_options, debug_enabled
from .errors import EXIT_RALLY, CliError, translate


class RallyGroup(click.Group):
    """A group that turns client and OS errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as exc:
            if debug_enabled(ctx):
                traceback.print_exc()
            raise exc
        except RallyError as exc:
            if debug_enabled(ctx):
                traceback.print_exc()
            raise translate(exc) from exc
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as exc:
            if debug_enabled(ctx):
                traceback.print_exc()
            where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            raise CliError(f"{exc.strerror or exc}{':' if where else ''}{where}", EXIT_RALLY) from exc


def _silence_stdout() -> None:
    """After the reader of a pipe went away: send further output (and the flush) to devnull."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@click.group(cls=RallyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.version_option(VERSION_STRING, prog_name="pyral")
@connection_options
def cli() -> None:
    """Work with Rally (WSAPI v2.0) from the command line.

    Connection options may be given before the command or after it. Exit codes: 0 ok,
    1 Rally error, 2 usage, 3 authentication, 4 not found.
    """


def _register() -> None:
    from .commands import bulk, info, items, lookback, serve

    for module in (items, bulk, info, lookback, serve):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="pyral")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("Interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
