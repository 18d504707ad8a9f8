"""The one interface through which entity objects load what they lack.

The model never imports a client.  An entity holds the object that made it (a ``Rally``) typed
as :class:`Loader`; reading an attribute it does not have calls :meth:`Loader.load_all` (one GET
of the whole object) or :meth:`Loader.load_collection` (the members of a collection attribute).
:meth:`Loader.schema_lacks` spares a read that cannot produce the attribute.
A client that cannot load synchronously (``AsyncRally``) raises an error naming the awaitable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Persistable


@runtime_checkable
class Loader(Protocol):
    """Loads the missing parts of an entity, in place."""

    def load_all(self, inst: Persistable, name: str | None = None) -> None:
        """Fill every attribute of ``inst`` (one read of the whole object); ``name`` is the one wanted."""

    def load_collection(self, inst: Persistable, attr: str) -> Any:
        """Load, cache on ``inst`` and return the members of the collection ``attr``."""

    def load(self, inst: Persistable, *names: str) -> Any:
        """Load the named attributes of ``inst`` (an awaitable with an async client)."""

    def schema_lacks(self, inst: Persistable, name: str) -> bool:
        """True when the schema of ``inst``'s type has no attribute ``name`` (no load can give it)."""
