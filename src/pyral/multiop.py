"""Upstream import path ``pyral.multiop`` (compatibility shim; batches live in ``pyral.client``)."""

from .client import BatchResults
from .errors import MultipleOperationError

__all__ = ["BatchResults", "MultipleOperationError"]
