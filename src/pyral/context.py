"""Upstream import path ``pyral.context``: re-exports of :mod:`pyral.client.workspaces` (names only; the logic lives there)."""

from .client.workspaces import (  # noqa: F401
    PATH_SEP,
    UNSET,
    ProjectInfo,
    RallyContext,
    RallyContextError,
    RallyContextHelper,
    RallyRESTAPIError,
    RawLoader,
    WorkspaceInfo,
)

__all__ = [
    "PATH_SEP",
    "ProjectInfo",
    "RallyContext",
    "RallyContextError",
    "RallyContextHelper",
    "RallyRESTAPIError",
    "RawLoader",
    "UNSET",
    "WorkspaceInfo",
]
