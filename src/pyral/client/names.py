"""Schema and type names: the official name of a type, its TypeDefinition, attribute names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import protocol as proto
from ..errors import (
    InvalidRallyTypeNameError,
    RallyAttributeNameError,
    RallyContextError,
)
from ..model.entities import (
    getEntityName,
)
from ..model.schema import SchemaItem, WorkspaceSchema
from .core import Core
from .operation import computed


class Names(Core):
    """Schema and type names: the official name of a type, its TypeDefinition, attribute names."""

    def _ws_oid(self, workspace_ref: str | None = None) -> str:
        ref = workspace_ref or self.contextHelper.currentWorkspaceRef()
        if not ref:
            raise RallyContextError("No current workspace")
        return str(proto.oid_from_ref(ref))

    def _schema(self, workspace_ref: str | None = None) -> WorkspaceSchema:
        return self._schemas.get(self._ws_oid(workspace_ref))

    def _official_name(self, entity: str, workspace_ref: str | None = None) -> str:
        """Official type name/path for ``entity`` (case-insensitive, aliases, schema types)."""
        if not isinstance(entity, str) or not entity.strip():
            raise InvalidRallyTypeNameError(str(entity))
        name = entity.strip()
        head, _, tail = name.partition("/")
        if tail and head.lower() == "portfolioitem":
            try:
                return getEntityName(tail) if tail.lower() in ("strategy", "initiative", "theme",
                                                               "feature") else self._schema_name(name)
            except InvalidRallyTypeNameError:
                raise InvalidRallyTypeNameError(entity) from None
        try:
            return getEntityName(name)
        except InvalidRallyTypeNameError:
            pass
        try:
            return self._schema_name(name, workspace_ref)
        except InvalidRallyTypeNameError:
            raise InvalidRallyTypeNameError(entity) from None

    def _schema_name(self, name: str, workspace_ref: str | None = None) -> str:
        item = self._schema(workspace_ref).find(name)
        if item is None:
            raise InvalidRallyTypeNameError(name)
        return item.TypePath or item.ElementName

    def _typedef_now(self, target_type: str) -> SchemaItem | None:
        """The schema item (TypeDefinition) of a type in the current workspace, or None."""
        try:
            official = self._official_name(target_type)
        except InvalidRallyTypeNameError:
            return None
        return self._schema().find(official)

    def _schema_info_now(self, workspace: Any = None, project: Any = None) -> list[dict[str, Any]]:
        """The raw TypeDefinition dicts of ``workspace`` (a name; default: current)."""
        ref = None
        if isinstance(workspace, str) and workspace not in ("current", "default"):
            ws = self.contextHelper.find_workspace(workspace)
            ref = ws.ref if ws else None
        return list(self._schema(ref).raw)

    def _attribute_names_now(self, entity_name: str, itemData: Mapping[str, Any],
                               workspace_ref: str | None = None) -> dict[str, Any]:
        """``itemData`` with keys renamed to ElementNames (``c_`` added, case fixed).

        Raises :class:`RallyAttributeNameError` naming every key that is not an attribute.
        """
        official = self._official_name(entity_name, workspace_ref)
        item = self._schema(workspace_ref).find(official)
        if item is None:
            return dict(itemData)
        out: dict[str, Any] = {}
        bad: list[str] = []
        for key, value in itemData.items():
            attr = item.attribute(str(key))
            if attr is None:
                bad.append(str(key))
            else:
                out[attr.ElementName] = value
        if bad:
            raise RallyAttributeNameError(", ".join(bad))
        return out

    typedef = computed(_typedef_now)
    getSchemaInfo = computed(_schema_info_now)
    validateAttributeNames = computed(_attribute_names_now)
