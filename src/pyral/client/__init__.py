"""The synchronous client: :class:`Rally` and upstream's helpers of ``pyral.restapi``."""

from __future__ import annotations

from .batch import BatchResults
from .core import parse_server
from .helpers import getCollection, getResourceByOID, hydrateAnInstance
from .rally import Rally

__all__ = ["BatchResults", "Rally", "getCollection", "getResourceByOID", "hydrateAnInstance", "parse_server"]
