"""Today's WSAPI on top of the 2015 capture: types, attributes and copy operations added since.

``data/rally_openapi.json`` holds facts derived (by ``tools/derive_openapi_catalog.py``) from
Rally's 2025 OpenAPI description of WSAPI v2.0.  This module turns them into the catalog's compact
type entries and :class:`AttrDef` lists.  The real capture wins where both know an attribute; the
description only adds what the capture lacks.  Left out on purpose (see docs/emulator.md):
FlowState and the artifacts' FlowState attributes (their behaviour lives with the FlowState
feature), the description's customer-specific portfolio item levels (BusinessInitiative,
Investment) and ``c_`` fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

from .catalog import AttrDef, CollectionSpec

# Types the description has that this module does not add (owned elsewhere or customer-specific).
SKIP_TYPES = {"FlowState", "PortfolioItemFlowState", "BusinessInitiative", "Investment"}
SKIP_ATTRS = {"FlowState", "FlowStateChangedDate"}

# New types: (parent, IDPrefix, display name).  IDPrefixes are the emulator's choice where the
# description gives none (docs/emulator.md).
NEW_TYPES: dict[str, tuple[str, str | None, str]] = {
    "Risk": ("SchedulableArtifact", "RI", "Risk"),
    "Objective": ("WorkspaceDomainObject", "O", "Objective"),
    "KeyResult": ("WorkspaceDomainObject", "KR", "Key Result"),
    "KeyResultActualValue": ("WorkspaceDomainObject", None, "Key Result Actual Value"),
    "KeyResultInterimTarget": ("WorkspaceDomainObject", None, "Key Result Interim Target"),
    "ObjectiveConversationPost": ("WorkspaceDomainObject", None, "Objective Conversation Post"),
    "PortfolioItemPredecessorRelationship": ("WorkspaceDomainObject", None,
                                             "Portfolio Item Predecessor Relationship"),
    "ProfileImage": ("WorkspaceDomainObject", None, "Profile Image"),
    "ScheduleState": ("WorkspaceDomainObject", None, "Schedule State"),
    "VSMOutcome": ("WorkspaceDomainObject", None, "VSM Outcome"),
    "VSMOutcomeMetric": ("WorkspaceDomainObject", None, "VSM Outcome Metric"),
    "WorkingCapacityPlan": ("WorkspaceDomainObject", None, "Working Capacity Plan"),
    "PublishedCapacityPlan": ("WorkspaceDomainObject", None, "Published Capacity Plan"),
    "CapacityPlanItem": ("WorkspaceDomainObject", None, "Capacity Plan Item"),
    "CapacityPlanProject": ("WorkspaceDomainObject", None, "Capacity Plan Project"),
    "CapacityPlanAssignment": ("WorkspaceDomainObject", None, "Capacity Plan Assignment"),
}
# Types Rally lists but that no client creates directly (made by Rally itself or by copy).
NOT_CREATABLE = {"PublishedCapacityPlan", "ScheduleState", "PortfolioItemPredecessorRelationship"}

# How the members of new collections are found: (owner, attribute) -> spec.
COLLECTIONS: dict[tuple[str, str], CollectionSpec] = {
    ("Iteration", "WorkProducts"): CollectionSpec("inverse", "SchedulableArtifact", "Iteration"),
    ("Release", "WorkProducts"): CollectionSpec("inverse", "SchedulableArtifact", "Release"),
    ("Objective", "KeyResults"): CollectionSpec("inverse", "KeyResult", "Objective"),
    ("Objective", "Discussion"): CollectionSpec("inverse", "ObjectiveConversationPost", "Objective"),
    ("KeyResult", "KeyResultActualValues"): CollectionSpec("inverse", "KeyResultActualValue", "KeyResult"),
    ("KeyResult", "KeyResultInterimTargets"): CollectionSpec("inverse", "KeyResultInterimTarget", "KeyResult"),
    ("Objective", "AssociatedWork"): CollectionSpec("link", "PortfolioItem"),
    ("Objective", "Projects"): CollectionSpec("link", "Project"),
    ("Project", "Objectives"): CollectionSpec("reverse", "Objective", "Projects"),
    ("PortfolioItem", "Objectives"): CollectionSpec("reverse", "Objective", "AssociatedWork"),
    ("Risk", "WorkItemsAffected"): CollectionSpec("link", "Artifact"),
    ("PortfolioItem", "Risks"): CollectionSpec("reverse", "Risk", "WorkItemsAffected"),
    ("HierarchicalRequirement", "Risks"): CollectionSpec("reverse", "Risk", "WorkItemsAffected"),
    ("Artifact", "Connections"): CollectionSpec("inverse", "Connection", "Artifact"),
    ("Risk", "Tasks"): CollectionSpec("inverse", "Task", "WorkProduct"),
    ("Risk", "Discussion"): CollectionSpec("inverse", "ConversationPost", "Artifact"),
    ("Risk", "Attachments"): CollectionSpec("inverse", "Attachment", "Artifact"),
    ("WorkingCapacityPlan", "Items"): CollectionSpec("inverse", "CapacityPlanItem", "CapacityPlan"),
    ("WorkingCapacityPlan", "Projects"): CollectionSpec("inverse", "CapacityPlanProject", "CapacityPlan"),
    ("CapacityPlanItem", "Assignments"): CollectionSpec("inverse", "CapacityPlanAssignment", "CapacityPlanItem"),
    ("CapacityPlanProject", "Assignments"): CollectionSpec("inverse", "CapacityPlanAssignment",
                                                           "CapacityPlanProject"),
    ("VSMOutcome", "Metrics"): CollectionSpec("inverse", "VSMOutcomeMetric", "Outcome"),
}

# Attributes added to the capture's PortfolioItem apply to every level the emulator knows.
PI_LEVELS = ("PortfolioItem", "Feature", "Initiative", "Theme", "Epic")

# Description names that differ from ours (the description spells portfolio item levels bare).
ALIASES = {"Feature": "Feature", "Epic": "Epic", "PortfolioItem": "PortfolioItem"}


@cache
def _facts() -> dict[str, dict[str, Any]]:
    raw = json.loads(resources.files("pyral.emulator").joinpath("data/rally_openapi.json").read_text())
    return {t["ElementName"]: t for t in raw["types"]}


def copyable_types() -> frozenset[str]:
    """ElementNames of the types whose ``<type>/<oid>/copy`` operation exists."""
    return frozenset(name for name, t in _facts().items() if "copy" in t["Operations"] and name not in SKIP_TYPES)


def type_entries(make: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Compact type entries (the catalog's ``_extra_types`` form) for the types the 2015 capture lacks."""
    out = []
    for name, (_parent, prefix, display) in NEW_TYPES.items():
        ops = set(_facts()[name]["Operations"])
        creatable = name not in NOT_CREATABLE
        out.append(make(name, name, prefix, creatable=creatable, deletable="delete" in ops, display=display))
    return out


def parents() -> dict[str, str]:
    return {name: parent for name, (parent, _p, _d) in NEW_TYPES.items() if parent != "WorkspaceDomainObject"}


def _attr(owner: str, raw: dict[str, Any], oid: int, make: Callable[..., AttrDef],
          own_values: dict[str, tuple[str, ...]] | None = None) -> AttrDef:
    name, atype = raw["ElementName"], raw["AttributeType"]
    allowed = tuple(raw["AllowedValues"]) if raw["AllowedValues"] else None
    if own_values and name in own_values:  # the description's list is its customer's workflow
        allowed = own_values[name]
    target = raw["Target"]
    if atype == "COLLECTION":
        spec = COLLECTIONS.get((owner, name))
        if spec is None and owner in PI_LEVELS:
            spec = COLLECTIONS.get(("PortfolioItem", name))
        if spec is None and owner != "Risk" and name == "Connections":
            spec = COLLECTIONS[("Artifact", "Connections")]
        return make(name, atype, oid, target=spec.child if spec else None, ro=raw["ReadOnly"],
                    coll=spec or CollectionSpec("link", "DomainObject"), display=raw["Name"])
    if target in ("Feature", "Epic"):
        target = f"PortfolioItem/{target}"
    read_only = raw["ReadOnly"] or name == "RevisionHistory"  # Rally makes it with the object
    return make(name, atype, oid, target=target, ro=read_only, required=raw["Required"],
                allowed=allowed, display=raw["Name"], max_length=raw["MaxLength"])


def new_type_attributes(make: Callable[..., AttrDef], base_meta: list[AttrDef],
                        own_values: dict[str, tuple[str, ...]]) -> dict[str, list[AttrDef]]:
    """Attribute lists of the new types (the shared object attributes first, as Rally orders them).

    ``own_values``: Rally's own value lists for attributes the new types share with known ones
    (ScheduleState), used instead of the description's customer-specific lists.
    """
    oid = iter(range(-80000, -89999, -1))
    meta_names = {a.name for a in base_meta}
    out: dict[str, list[AttrDef]] = {}
    for name in NEW_TYPES:
        rest = [_attr(name, a, next(oid), make, own_values) for a in _facts()[name]["Attributes"]
                if a["ElementName"] not in meta_names and a["ElementName"] not in SKIP_ATTRS]
        out[name] = [*base_meta, *rest]
    return out


def retyped(name: str, attrs: list[AttrDef]) -> list[AttrDef]:
    """Hand-made types (no capture has them) take the description's STRING/TEXT choice."""
    facts = _facts().get(name)
    if facts is None:
        return attrs
    kinds = {a["ElementName"]: a["AttributeType"] for a in facts["Attributes"]}
    out = []
    for a in attrs:
        kind = kinds.get(a.name)
        if kind in ("STRING", "TEXT") and a.type in ("STRING", "TEXT") and kind != a.type:
            a = replace(a, type=kind)
        out.append(a)
    return out


def added_attributes(known: dict[str, set[str]], make: Callable[..., AttrDef]) -> dict[str, list[AttrDef]]:
    """Attributes the description has on types the emulator already knows, missing from the capture.

    ``known`` maps each existing type's ElementName to the attribute names it has already.
    """
    oid = iter(range(-70000, -79999, -1))
    out: dict[str, list[AttrDef]] = {}
    for name, facts in _facts().items():
        if name in SKIP_TYPES or name in NEW_TYPES:
            continue
        owners = PI_LEVELS if name == "PortfolioItem" else (name,)
        for owner in owners:
            have = known.get(owner)
            if have is None:
                continue
            extra = [a for a in facts["Attributes"] if a["ElementName"] not in have
                     and a["ElementName"] not in SKIP_ATTRS]
            for raw in extra:
                out.setdefault(owner, []).append(_attr(owner, raw, next(oid), make))
                have.add(raw["ElementName"])
    return out
