"""Upstream import path ``pyral.multiop``: re-exports (names only; batches live in ``pyral.client``
and ``pyral.batch_ops``)."""

from .batch_ops import ITEM_TYPE_INCONSISTENCY_ERROR, batchPacker, createMultiple, updateMultiple
from .client import BatchResults
from .errors import MultipleOperationError

__all__ = ["ITEM_TYPE_INCONSISTENCY_ERROR", "BatchResults", "MultipleOperationError", "batchPacker",
           "createMultiple", "updateMultiple"]
