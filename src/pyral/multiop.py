"""Upstream import path ``pyral.multiop``: re-exports (names only; batches live in
``pyral.client.batch`` and ``pyral.protocol.batch``)."""

from .client.batch import ITEM_TYPE_INCONSISTENCY_ERROR, BatchResults, createMultiple, updateMultiple
from .errors import MultipleOperationError
from .protocol.batch import batchPacker

__all__ = ["ITEM_TYPE_INCONSISTENCY_ERROR", "BatchResults", "MultipleOperationError", "batchPacker",
           "createMultiple", "updateMultiple"]
