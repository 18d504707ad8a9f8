"""Upstream import path ``pyral.rallyresp`` (compatibility shim; see ``pyral.response``)."""

from .errors import RallyResponseError
from .response import ErrorResponse, RallyRESTResponse

__all__ = ["ErrorResponse", "RallyRESTResponse", "RallyResponseError"]
