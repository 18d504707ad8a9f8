"""pyral: a typed, thread-safe, drop-in replacement for the Rally REST toolkit for Python.

``from pyral import Rally, rallyWorkset`` works as with upstream pyral 1.7.0.
"""

from . import (  # noqa: F401 - upstream exposed its modules as package attributes
    cargotruck,
    config,
    context,
    entity,
    hydrate,
    multiop,
    proj_utils,
    query_builder,
    rallyresp,
    restapi,
    search_utils,
)
from ._version import VERSION_STRING, __version__
from .client import AsyncRally, BatchResults, Rally
from .client.response import AsyncRallyRESTResponse, RallyRESTResponse
from .client.workspaces import RallyContext, RallyContextHelper
from .errors import (
    AttributeNotLoadedError,
    MultipleOperationError,
    RallyAttributeNameError,
    RallyAuthError,
    RallyConnectionError,
    RallyContextError,
    RallyError,
    RallyNotFoundError,
    RallyQuerySyntaxError,
    RallyResponseError,
    RallyRESTAPIError,
    RallyValidationError,
    UnreferenceableOIDError,
)
from .errors import (
    InvalidRallyTypeNameError as _InvalidRallyTypeNameError,
)
from .model.entities import CustomField, InvalidRallyTypeNameError, Persistable, classFor
from .model.schema import SchemaItem, SchemaItemAttribute
from .query import RallyUrlBuilder, where
from .support.settings import rallySettings, rallyWorkset

assert InvalidRallyTypeNameError is _InvalidRallyTypeNameError

__all__ = [
    "VERSION_STRING",
    "AsyncRally",
    "AsyncRallyRESTResponse",
    "AttributeNotLoadedError",
    "BatchResults",
    "CustomField",
    "InvalidRallyTypeNameError",
    "MultipleOperationError",
    "Persistable",
    "Rally",
    "RallyAttributeNameError",
    "RallyAuthError",
    "RallyConnectionError",
    "RallyContext",
    "RallyContextError",
    "RallyContextHelper",
    "RallyError",
    "RallyNotFoundError",
    "RallyQuerySyntaxError",
    "RallyRESTAPIError",
    "RallyRESTResponse",
    "RallyResponseError",
    "RallyUrlBuilder",
    "RallyValidationError",
    "SchemaItem",
    "SchemaItemAttribute",
    "UnreferenceableOIDError",
    "__version__",
    "classFor",
    "rallySettings",
    "rallyWorkset",
    "where",
]
