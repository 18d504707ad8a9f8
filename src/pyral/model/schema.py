"""Workspace schemas (TypeDefinitions) cached per ``Rally`` instance and workspace.

``SchemaItem`` wraps a TypeDefinition, ``SchemaItemAttribute`` an AttributeDefinition.
AllowedValues given by reference are resolved only when asked for (one GET for that one
attribute), never eagerly for a whole type (upstream's ``complete()`` did one GET per
attribute the first time a type was used).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from ..protocol import ref_path
from . import state
from .entities import AllowedAttributeValue, UnrecognizedAllowedValuesReference

_ALLOWED_VALUES_REF = re.compile(r"^https?://.*/\w+/-?\d+/AllowedValues$")


def _norm(name: str) -> str:
    return name.replace(" ", "").lower()


class SchemaItemAttribute:
    """One attribute of a type (an AttributeDefinition from the schema endpoint)."""

    def __init__(self, attr: dict[str, Any]) -> None:
        self._ref: str = attr.get("_ref") or ""
        self.ref = ref_path(self._ref) if self._ref else ""
        self._type = "AttributeDefinition"
        self.ObjectID = attr.get("ObjectID")
        self.ElementName: str = attr.get("ElementName") or ""
        self.Name: str = attr.get("Name") or self.ElementName
        self.AttributeType: str = attr.get("AttributeType") or ""
        self.Custom = bool(attr.get("Custom"))
        self.Required = bool(attr.get("Required"))
        self.ReadOnly = bool(attr.get("ReadOnly"))
        self.Filterable = bool(attr.get("Filterable"))
        self.Hidden = bool(attr.get("Hidden"))
        self.SchemaType = attr.get("SchemaType")
        self.Constrained = bool(attr.get("Constrained"))
        self.AllowedValueType = attr.get("AllowedValueType")
        self.MaxLength = attr.get("MaxLength")
        self.MaxFractionalDigits = attr.get("MaxFractionalDigits")
        self._lock = threading.Lock()
        self._allowed_ref: str | None = None
        self.AllowedValues: list[Any] | str = []
        av = attr.get("AllowedValues")
        if isinstance(av, dict) and av.get("_ref"):
            self._allowed_ref = av["_ref"]
            self.AllowedValues = av["_ref"]
        elif isinstance(av, list):
            self.AllowedValues = [self._allowed_value(v) for v in av if isinstance(v, dict)]

    @staticmethod
    def _allowed_value(item: dict[str, Any]) -> AllowedAttributeValue:
        inst = AllowedAttributeValue(None, "AllowedValue", item.get("_ref") or "")
        inst.__dict__.update({k: v for k, v in item.items() if not k.startswith("_rallyAPI")})
        inst.__dict__["Name"] = "AllowedValue"
        inst.__dict__["value"] = item.get("StringValue")
        state.mark_loaded(inst)
        return inst

    def resolveAllowedValues(self, loader: Callable[[str], list[dict[str, Any]]]) -> bool:
        """Fetch AllowedValues given by reference (once, thread-safe); True when resolved."""
        with self._lock:
            if self._allowed_ref is None:
                return True
            if not _ALLOWED_VALUES_REF.match(self._allowed_ref):
                raise UnrecognizedAllowedValuesReference(
                    f"Standard AllowedValues ref pattern |{_ALLOWED_VALUES_REF.pattern}| not matched "
                    f"by candidate |{self._allowed_ref}|")
            items = loader(self._allowed_ref)
            self.AllowedValues = [self._allowed_value(v) for v in items]
            self._allowed_ref = None
            return True

    def allowed_value_strings(self) -> list[Any]:
        """The allowed values as strings (``LocalizedStringValue`` preferred)."""
        if isinstance(self.AllowedValues, str):
            return []
        out = []
        for av in self.AllowedValues:
            d = av.__dict__
            out.append(d.get("LocalizedStringValue") or d.get("StringValue"))
        return out

    def __repr__(self) -> str:
        return f"<SchemaItemAttribute {self.ElementName} {self.AttributeType}>"


class SchemaItem:
    """A Rally type (TypeDefinition) with its attributes."""

    def __init__(self, typedef: dict[str, Any]) -> None:
        self._ref: str = typedef.get("_ref") or ""
        self.ref = ref_path(self._ref) if self._ref else ""
        self._type = "TypeDefinition"
        self.ObjectID = typedef.get("ObjectID")
        self.ElementName: str = typedef.get("ElementName") or ""
        self.Name: str = typedef.get("Name") or self.ElementName
        self.DisplayName = typedef.get("DisplayName") or self.Name
        self.TypePath: str = typedef.get("TypePath") or self.ElementName
        self.IDPrefix = typedef.get("IDPrefix")
        self.Abstract = bool(typedef.get("Abstract"))
        parent = typedef.get("Parent")
        self.Parent = parent.get("_refObjectName") if isinstance(parent, dict) else parent
        for flag in ("Creatable", "Queryable", "ReadOnly", "Deletable", "Restorable"):
            setattr(self, flag, bool(typedef.get(flag)))
        self.Ordinal = typedef.get("Ordinal")
        self.RevisionHistory = typedef.get("RevisionHistory")
        self.Attributes = [SchemaItemAttribute(a) for a in typedef.get("Attributes") or []
                           if isinstance(a, dict)]
        self._by_name: dict[str, SchemaItemAttribute] = {}
        for a in self.Attributes:
            self._by_name.setdefault(a.ElementName, a)
        self._by_lower: dict[str, SchemaItemAttribute] = {}
        for a in self.Attributes:
            self._by_lower.setdefault(a.ElementName.lower(), a)
        self._by_display: dict[str, SchemaItemAttribute] = {}
        for a in self.Attributes:
            self._by_display.setdefault(_norm(a.Name), a)

    def attribute(self, name: str) -> SchemaItemAttribute | None:
        """Find an attribute: exact, ``c_`` prefixed, case-insensitive, then by display name."""
        for candidate in (name, f"c_{name}"):
            if candidate in self._by_name:
                return self._by_name[candidate]
        for candidate in (name.lower(), f"c_{name}".lower()):
            if candidate in self._by_lower:
                return self._by_lower[candidate]
        return self._by_display.get(_norm(name))

    def __repr__(self) -> str:
        return f"<SchemaItem {self.TypePath}>"


class WorkspaceSchema:
    """All types of one workspace, indexed by ElementName, TypePath and Name (case-insensitive)."""

    def __init__(self, typedefs: list[dict[str, Any]]) -> None:
        self.raw = typedefs
        self.items: list[SchemaItem] = [SchemaItem(t) for t in typedefs if isinstance(t, dict)]
        self._index: dict[str, SchemaItem] = {}
        for item in self.items:
            for key in (item.TypePath, item.ElementName, item.Name):
                if key:
                    self._index.setdefault(_norm(key), item)
        hr = self._index.get("hierarchicalrequirement")
        if hr is not None:
            for alias in ("story", "userstory"):
                self._index.setdefault(alias, hr)

    def find(self, name: str) -> SchemaItem | None:
        """The type called ``name`` (ElementName, TypePath or Name; case-insensitive)."""
        return self._index.get(_norm(name))


class SchemaCache:
    """Per-``Rally`` cache of workspace schemas; each one is fetched at most once (locked)."""

    def __init__(self, loader: Callable[[str], list[dict[str, Any]]]) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._schemas: dict[str, WorkspaceSchema] = {}
        self._loading: dict[str, threading.Lock] = {}

    def get(self, workspace_oid: str) -> WorkspaceSchema:
        """The schema of a workspace, loading it on first use."""
        with self._lock:
            schema = self._schemas.get(workspace_oid)
            if schema is not None:
                return schema
            lock = self._loading.setdefault(workspace_oid, threading.Lock())
        with lock:
            with self._lock:
                schema = self._schemas.get(workspace_oid)
            if schema is None:
                schema = WorkspaceSchema(self._loader(workspace_oid))
                with self._lock:
                    self._schemas[workspace_oid] = schema
            return schema

    def cached(self, workspace_oid: str) -> WorkspaceSchema | None:
        """The schema if it is already loaded."""
        with self._lock:
            return self._schemas.get(workspace_oid)


def typedef(rally: Any, target_type: str) -> SchemaItem | None:
    """The :class:`SchemaItem` of ``target_type`` in ``rally``'s current workspace (or None)."""
    result = rally.typedef(target_type)
    return result if isinstance(result, SchemaItem) else None
