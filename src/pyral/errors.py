"""One exception hierarchy for the whole client.

Upstream pyral had two unrelated classes named ``RallyRESTAPIError`` (in ``pyral.context`` and
``pyral.restapi``) plus assorted others.  Here every error derives from :class:`RallyError`, and
every upstream name is an alias or subclass importable from its upstream module path, so
``except pyral.context.RallyRESTAPIError`` and ``except pyral.RallyRESTAPIError`` both keep working.

Messages carry Rally's own error text; credentials never appear in them.
"""

from __future__ import annotations


class RallyError(Exception):
    """Base class of every error raised by the pyral client."""


class RallyRESTAPIError(RallyError):
    """A request to Rally failed, or Rally answered with errors (upstream's name)."""

    def __init__(self, message: str = "", *, errors: list[str] | None = None,
                 warnings: list[str] | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.errors: list[str] = list(errors or [])
        self.warnings: list[str] = list(warnings or [])
        self.status_code = status_code


class AttributeNotLoadedError(RallyError, AttributeError):
    """An entity attribute was not loaded and the client does no hidden I/O (``AsyncRally``):
    the message names the awaitable that loads it (``await item.load("Tasks")``)."""


class RallyConnectionError(RallyRESTAPIError):
    """The server could not be reached, timed out, or does not speak WSAPI."""


class RallyAuthError(RallyRESTAPIError):
    """Rally refused the credentials (HTTP 401) or the security token."""


class RallyNotFoundError(RallyRESTAPIError):
    """The object named by an OID, FormattedID or ref does not exist (or is not visible)."""


class RallyValidationError(RallyRESTAPIError):
    """Rally rejected a create or update (``Validation error: ...`` and similar)."""


class RallyQuerySyntaxError(RallyRESTAPIError):
    """A query expression could not be built or Rally could not parse it."""


class RallyContextError(RallyRESTAPIError):
    """A workspace or project name is unknown, closed or not accessible."""


class RallyResponseError(RallyRESTAPIError):
    """Rally's answer was not the JSON envelope expected (upstream ``pyral.rallyresp`` name)."""


class RallyLookbackError(RallyRESTAPIError):
    """The Lookback API refused a query (``errors`` holds Rally's texts, ``status_code`` the status)."""


class InvalidRallyTypeNameError(RallyRESTAPIError):
    """An entity name is not a Rally type in the workspace schema; ``args[0]`` is the name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)


class RallyAttributeNameError(RallyRESTAPIError):
    """Attribute names in a payload or fetch list are not attributes of the type."""


class UnreferenceableOIDError(RallyNotFoundError):
    """Lazy loading of an object by its OID failed."""


class UnrecognizedAllowedValuesReference(RallyResponseError):
    """An AllowedValues reference does not have Rally's shape."""


class MultipleOperationError(RallyValidationError):
    """Items given to createMultiple/updateMultiple are inconsistent or invalid."""


__all__ = [
    "InvalidRallyTypeNameError",
    "MultipleOperationError",
    "RallyAttributeNameError",
    "RallyAuthError",
    "AttributeNotLoadedError",
    "RallyConnectionError",
    "RallyContextError",
    "RallyError",
    "RallyLookbackError",
    "RallyNotFoundError",
    "RallyQuerySyntaxError",
    "RallyRESTAPIError",
    "RallyResponseError",
    "RallyValidationError",
    "UnreferenceableOIDError",
    "UnrecognizedAllowedValuesReference",
]
