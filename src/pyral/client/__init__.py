"""The clients: :class:`Rally` (synchronous), :class:`AsyncRally` (asyncio) and upstream's helpers of
``pyral.restapi``."""

from __future__ import annotations

from .async_rally import AsyncRally
from .batch import BatchResults
from .core import parse_server
from .helpers import getCollection, getResourceByOID, hydrateAnInstance
from .rally import Rally

__all__ = ["AsyncRally", "BatchResults", "Rally", "getCollection", "getResourceByOID", "hydrateAnInstance", "parse_server"]
