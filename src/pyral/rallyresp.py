"""Upstream import path ``pyral.rallyresp`` (compatibility shim; see ``pyral.client.response``)."""

from .client.response import ErrorResponse, RallyRESTResponse
from .errors import RallyResponseError

__all__ = ["ErrorResponse", "RallyRESTResponse", "RallyResponseError"]
