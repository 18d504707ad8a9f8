"""Turn WSAPI item dicts into entity instances (no I/O).

A :class:`Hydrator` belongs to one response (or one lazy load) and carries its hydration
mode, so a later query never changes how earlier results behave (upstream kept one shared
``Rally.hydration``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..protocol import oid_from_ref, type_path_from_ref
from . import state
from .entities import CustomField, Persistable, PortfolioItem, class_for_type
from .loader import Loader
from .state import COMPLETE, CONTEXT, FETCHED, HYDRATED, LAZY, LOADER

VERSION_ATTRIBUTES = ("_rallyAPIMajor", "_rallyAPIMinor", "_objectVersion")  # dropped from instances
MINIMAL_ATTRIBUTES = ("_type", "_ref", "_refObjectName")  # what every item carries
_DROP = frozenset({*VERSION_ATTRIBUTES, "Errors", "Warnings"})
_SKIP = _DROP | {"_type"}  # item keys an instance does not copy
_SPECIAL_TYPES = frozenset({"AllowedAttributeValue", "AllowedQueryOperator"})
_MAX_DEPTH = 8
_REMEMBERED = 256  # references a hydrator remembers (see Hydrator._remember)
_EXACT = frozenset({str, int, bool, type(None)})  # values equal only to themselves at an equal type


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


@dataclass(frozen=True, slots=True)
class _Plan:
    """What building an entity of one class needs, worked out once per type."""

    cls: type[Persistable]
    type_name: str  # the class's Rally type (``_type`` of its instances)
    type_path: bool  # a PortfolioItem subtype: ``typePath`` too
    own_init: bool  # the class has its own constructor: build through it
    special: bool  # allowed values / query operators get upstream's names

    @classmethod
    def of(cls, entity: type[Persistable]) -> _Plan:
        typ = entity._type
        return cls(entity, typ, "/" in typ and issubclass(entity, PortfolioItem),
                   entity.__init__ is not Persistable.__init__, typ in _SPECIAL_TYPES)


@dataclass(frozen=True, slots=True)
class _Known:
    """A remembered reference: the item (keys, values and value types, in order), its class, its attributes."""

    keys: tuple[str, ...]
    values: tuple[Any, ...]
    types: tuple[type, ...]
    cls: type[Persistable]
    attributes: dict[str, Any]


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
        self._plans: dict[str, _Plan] = {}
        self._known: dict[str, _Known | None] = {}

    def make(self, item: dict[str, Any]) -> Persistable | CustomField:
        """A new instance for a result item."""
        made: Persistable | CustomField = self._make(item, 0, True)
        return made

    def make_page(self, items: list[Any]) -> list[Any]:
        """:meth:`make` for every dict of a page (other values are kept as they are), in order."""
        make = self._make
        return [make(item, 0, True) if isinstance(item, dict) else item for item in items]

    def _plan(self, typ: Any, ref: Any, item: dict[str, Any]) -> _Plan | None:
        """How to build an item of this ``_type`` (see :func:`item_type`), remembered per hydrator."""
        if isinstance(typ, str) and typ and not (isinstance(ref, str) and "portfolioitem" in ref.lower()):
            plan = self._plans.get(typ)
            if plan is None:  # several threads may fill this in at once: each writes an equal plan
                plan = self._plans[typ] = _Plan.of(class_for_type(typ))
            return plan
        found = item_type(item)
        return _Plan.of(class_for_type(found)) if found else None

    def _make(self, item: dict[str, Any], depth: int, top: bool) -> Any:
        ref = item.get("_ref")
        if not top and type(ref) is str:
            known = self._known.get(ref)
            if known is not None and known.types == tuple(map(type, values := tuple(item.values()))) \
                    and known.keys == tuple(item) and known.values == values:
                inst = known.cls.__new__(known.cls)
                d = known.attributes.copy()
                d[LAZY] = {}
                inst.__dict__ = d
                return inst
        plan = self._plan(item.get("_type"), ref, item)
        if plan is None:
            return CustomField(**{k: self._value(k, v, depth + 1) for k, v in item.items()
                                  if k not in _DROP and not k.startswith("_")})
        ref = ref or ""
        if not ref:
            oid: Any = item.get("ObjectID")
        elif "?" in ref or ref.endswith("/"):
            oid = oid_from_ref(ref)
        else:  # the last path segment, as oid_from_ref finds it, without its regular expression
            last = ref.rpartition("/")[2]
            oid = int(last) if last.isdigit() else last
        cls = plan.cls
        if plan.own_init:  # a class that builds itself: let it, then fill it
            inst = cls(oid, item.get("_refObjectName"), ref, self.context, self.rally)
            inst.__dict__["_type"] = plan.type_name
            if plan.type_path:
                inst.__dict__["typePath"] = plan.type_name
            self.fill(inst, item, depth)
        else:
            inst = cls.__new__(cls)
            inst.__dict__ = d = self._attributes(plan, oid, ref, item, depth)
            if not top:
                self._remember(item, cls, d)
        if top:
            d = inst.__dict__
            d[HYDRATED] = self.hydrated
            d[COMPLETE] = self.complete
            if self.fetched:
                d[FETCHED] = self.fetched
        return inst

    def _remember(self, item: dict[str, Any], cls: type[Persistable], d: dict[str, Any]) -> None:
        """Keep what a reference (an item under another, e.g. a story's ``Owner``) became, for the
        next equal item of the same ref: the same users, iterations and projects come back on
        every row of a page.  Only items of plain values are kept (strings, integers, booleans,
        None, non-zero floats: an equal one of the same type is the same value), and the next one
        must have the same keys in the same order and values of the same types; each instance
        still gets its own ``__dict__`` and pending-collection dict."""
        ref = item.get("_ref")
        if type(ref) is not str or ref in self._known or len(self._known) >= _REMEMBERED or LAZY in item:
            return
        for value in item.values():
            kind = type(value)
            if kind not in _EXACT and (kind is not float or not value or value != value):
                self._known[ref] = None  # not a plain item: built each time
                return
        values = tuple(item.values())
        self._known[ref] = _Known(tuple(item), values, tuple(map(type, values)), cls, dict(d))

    def _attributes(self, plan: _Plan, oid: Any, ref: str, item: dict[str, Any], depth: int) -> dict[str, Any]:
        """What ``cls(...)`` and :meth:`fill` give a new instance, in one pass over ``item`` (the
        same keys in the same order, nothing to reconcile with earlier values); references
        become entities here rather than through :meth:`_value`."""
        name = item.get("_refObjectName")
        lazy: dict[str, str] = {}
        typ = plan.type_name
        d = {"oid": oid, "Name": name if name is not None else "Unknown", "_ref": ref,
             HYDRATED: False, COMPLETE: False, CONTEXT: self.context, LAZY: lazy,
             LOADER: self.rally, "_type": typ}
        if plan.type_path:
            d["typePath"] = typ
        make = self._make
        below = depth + 1
        deep = below > _MAX_DEPTH
        for key, value in item.items():
            if key in _SKIP:
                continue
            if isinstance(value, dict):
                if "_ref" in value:
                    if "Count" in value and key != "RevisionHistory":  # a collection summary
                        if key in d and isinstance(d[key], list):
                            continue  # as fill keeps a list already there
                        if value["Count"]:
                            lazy[key] = value["_ref"]
                        else:
                            d[key] = []
                    elif deep or (value["_ref"] in (None, "null") and not value.get("_type")):
                        d[key] = value
                    else:
                        d[key] = make(value, below, False)
                    continue
                d[key] = self._value(key, value, below)
            elif isinstance(value, list):
                d[key] = self._value(key, value, below)
            else:
                d[key] = value
        if plan.special:
            self._special(d, typ, item)
        return d

    @staticmethod
    def _special(d: dict[str, Any], typ: str, item: dict[str, Any]) -> None:
        """Upstream's names for allowed values and query operators."""
        if typ == "AllowedAttributeValue":
            d["Name"] = "AllowedValue"
            d["value"] = item.get("StringValue")
        elif typ == "AllowedQueryOperator" and "OperatorName" in item:
            d["Name"] = item["OperatorName"]

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
        self._special(d, getattr(inst, "_type", ""), item)

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
