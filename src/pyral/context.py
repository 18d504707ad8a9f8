"""Upstream import path ``pyral.context``: re-exports of :mod:`pyral.client.workspaces` (names only; the logic lives there)."""

from .client.response import RallyRESTResponse
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
from .model.entities import InvalidRallyTypeNameError, UnrecognizedAllowedValuesReference
from .support.settings import (
    FORMATTED_ID_PATT,
    INITIAL_REQUEST_TIME_LIMIT,
    IPV4_ADDRESS_PATT,
    PROJECT_PATH_ELEMENT_SEPARATOR,
    SCHEME_PREFIX_PATT,
    SERVICE_REQUEST_TIME_LIMIT,
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
