"""Upstream import path ``pyral.hydrate``: re-exports of :mod:`pyral.model.hydration` (names only; the logic lives there)."""

from .model.entities import PORTFOLIO_ITEM_SUB_TYPES, PortfolioItem, classFor
from .model.hydration import (
    MINIMAL_ATTRIBUTES,
    VERSION_ATTRIBUTES,
    EntityHydrator,
    Hydrator,
    is_collection_summary,
    item_type,
)

__all__ = [
    "MINIMAL_ATTRIBUTES",
    "PORTFOLIO_ITEM_SUB_TYPES",
    "VERSION_ATTRIBUTES",
    "EntityHydrator",
    "Hydrator",
    "PortfolioItem",
    "classFor",
    "is_collection_summary",
    "item_type",
]
