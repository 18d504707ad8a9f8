"""Exit codes and the translation of client exceptions into one-line CLI errors."""

from __future__ import annotations

from typing import IO, Any

import click

from pyral.errors import (
    InvalidRallyTypeNameError,
    RallyAttributeNameError,
    RallyAuthError,
    RallyContextError,
    RallyError,
    RallyNotFoundError,
    RallyQuerySyntaxError,
    RallyRESTAPIError,
)

EXIT_OK = 0
EXIT_RALLY = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4


class CliError(click.ClickException):
    """An error reported as a single ``Error: ...`` line on stderr with a chosen exit code."""

    def __init__(self, message: str, code: int = EXIT_RALLY) -> None:
        super().__init__(one_line(message))
        self.code = code

    @property  # type: ignore[override]
    def exit_code(self) -> int:  # type: ignore[override]
        return self.code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


def usage(message: str) -> CliError:
    """A CliError with the usage exit code (the command line must change)."""
    return CliError(message, EXIT_USAGE)


def not_found(message: str) -> CliError:
    """A CliError with the not-found exit code."""
    return CliError(message, EXIT_NOT_FOUND)


def one_line(text: str) -> str:
    """Collapse whitespace runs (newlines included) into single spaces."""
    return " ".join(str(text).split())


def _is_parse_error(exc: RallyError) -> bool:
    errors = getattr(exc, "errors", None) or [str(exc)]
    return any("could not parse" in e.lower() for e in errors)


def translate(exc: RallyError) -> CliError:
    """Map a client exception to a CliError (message and exit code)."""
    errors = [e for e in getattr(exc, "errors", []) if e]
    detail = "; ".join(errors) if errors else str(exc)
    if isinstance(exc, RallyAuthError):
        return CliError(f"authentication failed: {detail} (check the API key, or user and password)",
                        EXIT_AUTH)
    if isinstance(exc, InvalidRallyTypeNameError):
        return usage(f"unknown Rally type: {exc.args[0] if exc.args else exc}")
    if isinstance(exc, RallyAttributeNameError):
        return usage(f"unknown field(s): {exc}")
    if isinstance(exc, RallyQuerySyntaxError) or (isinstance(exc, RallyRESTAPIError)
                                                  and _is_parse_error(exc)):
        return usage(f"bad query: {detail}")
    if isinstance(exc, RallyNotFoundError | RallyContextError):
        return not_found(detail)
    return CliError(detail or type(exc).__name__, EXIT_RALLY)
