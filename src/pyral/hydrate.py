"""Upstream import path ``pyral.hydrate``: re-exports of :mod:`pyral.hydration` (names only; the logic lives there)."""

from .model.hydration import (  # noqa: F401
    Hydrator,
    is_collection_summary,
    item_type,
)

__all__ = [
    "Hydrator",
    "is_collection_summary",
    "item_type",
]
