"""Upstream import path ``pyral.proj_utils``: re-exports of :mod:`pyral.model.project_tree` (names only)."""

from .model.project_tree import flatten, projectAncestors, projectDescendants, projeny

__all__ = ["flatten", "projectAncestors", "projectDescendants", "projeny"]
