"""Upstream import path ``pyral.restapi`` (compatibility shim; the code lives in ``pyral.client``)."""

from .client import Rally, getCollection, getResourceByOID, hydrateAnInstance
from .errors import RallyAttributeNameError, RallyRESTAPIError
from .query import RallyUrlBuilder

__all__ = ["Rally", "RallyAttributeNameError", "RallyRESTAPIError", "RallyUrlBuilder", "getCollection",
           "getResourceByOID", "hydrateAnInstance"]
