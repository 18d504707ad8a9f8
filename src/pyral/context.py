"""Upstream import path ``pyral.context``: re-exports of :mod:`pyral.workspace_context` (names only; the logic lives there)."""

from .entities import InvalidRallyTypeNameError, UnrecognizedAllowedValuesReference
from .response import RallyRESTResponse
from .settings import (
    FORMATTED_ID_PATT,
    INITIAL_REQUEST_TIME_LIMIT,
    IPV4_ADDRESS_PATT,
    PROJECT_PATH_ELEMENT_SEPARATOR,
    SCHEME_PREFIX_PATT,
    SERVICE_REQUEST_TIME_LIMIT,
)
from .workspace_context import (  # noqa: F401
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
    "FORMATTED_ID_PATT",
    "INITIAL_REQUEST_TIME_LIMIT",
    "IPV4_ADDRESS_PATT",
    "PROJECT_PATH_ELEMENT_SEPARATOR",
    "SCHEME_PREFIX_PATT",
    "SERVICE_REQUEST_TIME_LIMIT",
    "InvalidRallyTypeNameError",
    "RallyRESTResponse",
    "UnrecognizedAllowedValuesReference",
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
