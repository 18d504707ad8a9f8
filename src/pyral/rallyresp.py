"""Upstream import path ``pyral.rallyresp`` (compatibility shim; see ``pyral.client.response``)."""

from .client.response import CargoTruck, ErrorResponse, RallyRESTResponse
from .errors import RallyResponseError
from .model.hydration import EntityHydrator

__all__ = ["CargoTruck", "EntityHydrator", "ErrorResponse", "RallyRESTResponse", "RallyResponseError"]
