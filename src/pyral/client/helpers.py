"""Upstream's module-level helpers of ``pyral.restapi``: reads through a ``Rally`` instance."""

from __future__ import annotations

from typing import Any

from ..errors import (
    RallyError,
)
from ..model import state
from ..model.entities import (
    Persistable,
)
from ..model.hydration import Hydrator
from .rally import Rally
from .response import RallyRESTResponse


def _rally_of(context: Any) -> Rally:
    if isinstance(context, Rally):
        return context
    rally = getattr(context, "rally", None)
    if isinstance(rally, Rally):
        return rally
    raise RallyError("A Rally instance (or an entity obtained from one) is required")


def getResourceByOID(context: Any, entity: str, oid: Any, **kwargs: Any) -> Persistable:
    """Read one object by OID through the ``Rally`` instance ``context``."""
    rally = _rally_of(context)
    return rally.run(rally._single(f"{rally._official_name(entity)}/{oid}"))


def getCollection(context: Any, collection_url: str, **kwargs: Any) -> RallyRESTResponse:
    """Query a collection URL through the ``Rally`` instance ``context``."""
    response: RallyRESTResponse = _rally_of(context).getCollection(collection_url, **kwargs)
    return response


def hydrateAnInstance(context: Any, item: dict[str, Any], existingInstance: Persistable | None = None
                      ) -> Any:
    """Build (or fill in place) an entity instance from a WSAPI item dict."""
    rally = context if isinstance(context, Rally) else getattr(context, "rally", None)
    hydrator = Hydrator(rally, complete=True, hydrated=True)
    if existingInstance is not None:
        hydrator.fill(existingInstance, item)
        existingInstance.__dict__[state.HYDRATED] = True
        return existingInstance
    return hydrator.make(item)
