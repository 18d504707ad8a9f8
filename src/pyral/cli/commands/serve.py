"""``pyral serve``: run the local Rally emulator (delegates to ``pyral.emulator.cli``)."""

from __future__ import annotations

import sys

import click


@click.command("serve", add_help_option=False,
               context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run a local Rally WSAPI v2.0 emulator (see 'pyral serve --help')."""
    from pyral.emulator.cli import main as emulator_main

    sys.exit(emulator_main(list(ctx.args), prog="pyral serve"))


COMMANDS = [serve]
