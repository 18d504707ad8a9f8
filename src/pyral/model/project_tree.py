"""Project hierarchy helpers over a pool of Project instances (upstream ``proj_utils``; no I/O).

Projects need ``Name``, ``ref`` and ``Parent`` (a Project or None), as returned by
``rally.get("Project", fetch="Name,Parent")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import attrgetter
from typing import Any


def projectAncestors(target_project: Any, project_pool: Iterable[Any], ancestors: list[Any]) -> Iterator[Any]:
    """The chain of parents of ``target_project``, root first (appended to ``ancestors``, nearest first)."""
    parent = getattr(target_project, "Parent", None)
    while parent:
        ancestors.append(parent)
        parent = getattr(parent, "Parent", None)
    chain: Iterator[Any] = reversed(ancestors)
    return chain


def projeny(target_project: Any, project_pool: Iterable[Any], lineage: dict[Any, Any], level: int) -> None:
    """Fill ``lineage[target_project]`` with a nested dict of its descendants in ``project_pool``."""
    pool = list(project_pool)
    lineage[target_project] = {}
    for child in pool:
        parent = getattr(child, "Parent", None)
        if parent and parent.ref == target_project.ref:
            projeny(child, pool, lineage[target_project], level + 1)


def flatten(target_dict: dict[Any, Any], sort_attr: str, list_o_things: list[Any]) -> list[Any]:
    """Depth-first, ``sort_attr``-ordered values of ``sort_attr`` of the keys of a nested dict."""
    for key in sorted(target_dict, key=attrgetter(sort_attr)):
        list_o_things.append(getattr(key, sort_attr))
        value = target_dict[key]
        if isinstance(value, dict):
            flatten(value, sort_attr, list_o_things)
    return list_o_things


def projectDescendants(target_project: Any, project_pool: Iterable[Any]) -> list[Any]:
    """Names of ``target_project`` and every project below it, depth first, by name."""
    descendants: dict[Any, Any] = {}
    projeny(target_project, project_pool, descendants, 1)
    return flatten(descendants, "Name", [])
