"""Upstream import path ``pyral.rallyresp`` (compatibility shim; see ``pyral.response``)."""

from .errors import RallyResponseError
from .hydration import EntityHydrator
from .response import CargoTruck, ErrorResponse, RallyRESTResponse

__all__ = ["CargoTruck", "EntityHydrator", "ErrorResponse", "RallyRESTResponse", "RallyResponseError"]
