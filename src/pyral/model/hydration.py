"""Turn WSAPI item dicts into entity instances (no I/O).

A :class:`Hydrator` belongs to one response (or one lazy load) and carries its hydration
mode, so a later query never changes how earlier results behave (upstream kept one shared
``Rally.hydration``).
"""

from __future__ import annotations

from typing import Any

from ..protocol import oid_from_ref, type_path_from_ref
from . import state
from .entities import CustomField, Persistable, PortfolioItem, class_for_type
from .loader import Loader

VERSION_ATTRIBUTES = ("_rallyAPIMajor", "_rallyAPIMinor", "_objectVersion")  # dropped from instances
MINIMAL_ATTRIBUTES = ("_type", "_ref", "_refObjectName")  # what every item carries
_DROP = frozenset({*VERSION_ATTRIBUTES, "Errors", "Warnings"})
_MAX_DEPTH = 8


def item_type(item: dict[str, Any]) -> str | None:
    """The Rally type of an item: ``_type``, refined by a two-segment type path in its ``_ref``."""
    ref = item.get("_ref")
    typ = item.get("_type")
    if isinstance(ref, str) and ref and ref != "null":
        path = type_path_from_ref(ref)
        if "/" in path and path.split("/")[0].lower() == "portfolioitem":
            return path
        if not typ and path:
            return path
    return typ if isinstance(typ, str) else None


def fetch_names(fetch_text: str) -> frozenset[str]:
    """Attribute names of a fetch list (``Tasks:summary[State]`` names ``Tasks``)."""
    if fetch_text in ("true", "false", ""):
        return frozenset()
    names = (part.split(":", 1)[0].split("[", 1)[0].strip() for part in fetch_text.split(","))
    return frozenset(n for n in names if n)


def is_collection_summary(value: dict[str, Any]) -> bool:
    """True for ``{_ref, _type, Count}`` collection summaries."""
    return "_ref" in value and "Count" in value


class Hydrator:
    """Builds entity instances for one Rally instance and one hydration mode.

    ``complete``: the items carry every attribute (``fetch=true`` or a full single read);
    ``hydrated``: upstream's ``_hydrated`` flag (True for any non-shell fetch);
    ``fetched``: the attribute names of a fetch list (absent from an item means Rally has none).
    """

    def __init__(self, rally: Loader | None, *, complete: bool, hydrated: bool,
                 context: Any = None, fetched: frozenset[str] = frozenset()) -> None:
        self.rally = rally
        self.complete = complete
        self.hydrated = hydrated
        self.context = context
        self.fetched = fetched

    def make(self, item: dict[str, Any]) -> Persistable | CustomField:
        """A new instance for a result item."""
        made: Persistable | CustomField = self._make(item, 0, top=True)
        return made

    def _make(self, item: dict[str, Any], depth: int, top: bool) -> Any:
        typ = item_type(item)
        if not typ:
            return CustomField(**{k: self._value(k, v, depth + 1) for k, v in item.items()
                                  if k not in _DROP and not k.startswith("_")})
        cls = class_for_type(typ)
        ref = item.get("_ref") or ""
        oid: Any = oid_from_ref(ref) if ref else item.get("ObjectID")
        inst = cls(oid, item.get("_refObjectName"), ref, self.context, self.rally)
        inst.__dict__["_type"] = cls._type
        if isinstance(inst, PortfolioItem) and "/" in cls._type:
            inst.__dict__["typePath"] = cls._type
        self.fill(inst, item, depth)
        if top:
            inst.__dict__["_hydrated"] = self.hydrated
            inst.__dict__["_complete"] = self.complete
            if self.fetched:
                inst.__dict__["_fetched"] = self.fetched
        return inst

    def fill(self, inst: Persistable, item: dict[str, Any], depth: int = 0) -> None:
        """Copy the attributes of ``item`` into ``inst`` (in place)."""
        d = inst.__dict__
        lazy: dict[str, str] = d.setdefault("_lazy", {})
        for key, value in item.items():
            if key in _DROP or key == "_type":
                continue
            if isinstance(value, dict) and is_collection_summary(value) and key != "RevisionHistory":
                if key in d and isinstance(d[key], list):
                    continue
                if not value.get("Count"):
                    d[key] = []
                    lazy.pop(key, None)
                else:
                    lazy[key] = value["_ref"]
                continue
            d[key] = self._value(key, value, depth + 1)
            lazy.pop(key, None)
        if "Name" not in item and item.get("_refObjectName") is not None:
            d["Name"] = item["_refObjectName"]
        typ = getattr(inst, "_type", "")
        if typ == "AllowedAttributeValue":
            d["Name"] = "AllowedValue"
            d["value"] = item.get("StringValue")
        elif typ == "AllowedQueryOperator" and "OperatorName" in item:
            d["Name"] = item["OperatorName"]

    def _value(self, key: str, value: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return value
        if isinstance(value, dict):
            if not value:
                return CustomField()
            if "_ref" in value or "_type" in value:
                if value.get("_ref") in (None, "null") and not value.get("_type"):
                    return value
                return self._make(value, depth, top=False)
            return CustomField(**{k: self._value(k, v, depth + 1) for k, v in value.items()
                                  if k not in _DROP})
        if isinstance(value, list):
            return [self._make(v, depth, top=False) if isinstance(v, dict) and item_type(v) else v
                    for v in value]
        return value


class EntityHydrator:
    """Upstream's hydrator API over a :class:`Hydrator`: ``hydrateInstance(item, existingInstance)``.

    ``context`` is the ``Rally`` instance (or anything with a ``rally`` attribute) that lazy
    loads go through; ``hydration`` is ``"full"`` (the item is complete) or ``"shell"``.
    """

    def __init__(self, context: Any, hydration: str = "full") -> None:
        self.context = context
        self.hydration = hydration

    def hydrateInstance(self, item: dict[str, Any], existingInstance: Persistable | None = None) -> Any:
        """A new instance for ``item``, or ``existingInstance`` filled in place."""
        rally = self.context if isinstance(self.context, Loader) else getattr(self.context, "rally", None)
        full = self.hydration == "full"
        hydrator = Hydrator(rally, complete=full, hydrated=full)
        if existingInstance is None:
            return hydrator.make(item)
        hydrator.fill(existingInstance, item)
        existingInstance.__dict__[state.HYDRATED] = full
        existingInstance.__dict__[state.COMPLETE] = full
        return existingInstance
