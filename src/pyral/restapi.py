"""Upstream import path ``pyral.restapi`` (compatibility shim; the code lives in ``pyral.client``)."""

from .client import Rally, getCollection, getResourceByOID, hydrateAnInstance
from .client.batch import createMultiple as multiop_createMultiple
from .client.batch import updateMultiple as multiop_updateMultiple
from .client.response import ErrorResponse, RallyRESTResponse
from .client.workspaces import RallyContext, RallyContextHelper
from .errors import RallyAttributeNameError, RallyResponseError, RallyRESTAPIError
from .model.entities import DomainObject, validRallyType
from .model.hydration import EntityHydrator
from .model.project_tree import flatten, projectAncestors, projectDescendants, projeny
from .query import RallyUrlBuilder
from .support.log import warning
from .support.settings import (
    AUTH_ENDPOINT,
    DEFAULT_SESSION_TIMEOUT,
    HTTP_REQUEST_SUCCESS_CODE,
    INTEGRATION_HEADER_PREFIX,
    KILO_PAGESIZE,
    MAX_ITEMS,
    MAX_PAGESIZE,
    PAGE_NOT_FOUND_CODE,
    PASSWORD,
    PROJECT_PATH_ELEMENT_SEPARATOR,
    PROTOCOL,
    RALLY_REST_HEADERS,
    SCHEMA_SERVICE,
    SERVER,
    SERVICE_REQUEST_TIMEOUT,
    START_INDEX,
    USER_NAME,
    WEB_SERVICE,
    WS_API_VERSION,
    timestamp,
)

__all__ = [
    "AUTH_ENDPOINT", "DEFAULT_SESSION_TIMEOUT", "HTTP_REQUEST_SUCCESS_CODE", "INTEGRATION_HEADER_PREFIX",
    "KILO_PAGESIZE", "MAX_ITEMS", "MAX_PAGESIZE", "PAGE_NOT_FOUND_CODE", "PASSWORD",
    "PROJECT_PATH_ELEMENT_SEPARATOR", "PROTOCOL", "RALLY_REST_HEADERS", "SCHEMA_SERVICE", "SERVER",
    "SERVICE_REQUEST_TIMEOUT", "START_INDEX", "USER_NAME", "WEB_SERVICE", "WS_API_VERSION", "DomainObject",
    "EntityHydrator", "ErrorResponse", "Rally", "RallyAttributeNameError", "RallyContext", "RallyContextHelper",
    "RallyRESTAPIError", "RallyRESTResponse", "RallyResponseError", "RallyUrlBuilder", "flatten",
    "getCollection", "getResourceByOID", "hydrateAnInstance", "multiop_createMultiple", "multiop_updateMultiple",
    "projectAncestors", "projectDescendants", "projeny", "timestamp", "validRallyType", "warning",
]
