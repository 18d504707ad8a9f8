"""Upstream module path ``pyral.query_builder``: re-exports the compat query/URL builders."""

from pyral.query import RallyQueryFormatter, RallyUrlBuilder

__all__ = ["RallyQueryFormatter", "RallyUrlBuilder"]
