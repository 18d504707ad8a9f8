"""Catalog objects with no stored rows, as rows the renderer and the query compiler take.

Built-in attributes (``attributedefinition/-10001``), their allowed values and every
attribute's query operators are synthesised from the catalog.  They are made into
:class:`~pyral.emulator.store.Row` objects here, so that one renderer (``render.py``) shapes
them for ``fetch``/``compact``/refs exactly as it shapes stored objects, and one compiler
(``virtual_query.py``) evaluates ``query`` and ``order`` over them.  Their OIDs are virtual
(:func:`member_oid`), their version is 0.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .store import Row

# Virtual OIDs: -(|attribute OID| * 1000 + n), n in 1..500 the value at index n-1, n in
# 501..999 the operator at index n-501 (docs/emulator.md, Fidelity choices).
_MEMBERS = 1000
_OPERATORS = 500
_TRAILING_OID = re.compile(r"/(-?\d+)$")
# What an AttributeDefinition row keeps of a reference: the ObjectID of a stored target
# (rendered and queried like any reference); other references stay rendered (AllowedValueType
# names a catalog TypeDefinition with no row); the renderer computes the collections.
_REF_BY_OID = ("Workspace", "TypeDefinition", "Subscription")
_COMPUTED = ("AllowedValues", "AllowedQueryOperators")
_IDENTITY = ("ObjectID", "ObjectUUID", "VersionId", "CreationDate")


def member_oid(attr_oid: int, index: int, value: bool) -> int:
    """The virtual OID of a built-in attribute's allowed value or query operator (a custom
    attribute's operators too: its positive OID decodes as its negative)."""
    return -(abs(attr_oid) * _MEMBERS + index + (1 if value else _OPERATORS + 1))


def member_of(oid: int) -> tuple[int, int, bool] | None:
    """(attribute OID, index, is a value) of a virtual member OID, None if it is not one."""
    if oid >= 0:
        return None
    attr, rest = divmod(-oid, _MEMBERS)
    if attr == 0 or rest == 0:
        return None
    return (-attr, rest - 1, True) if rest <= _OPERATORS else (-attr, rest - _OPERATORS - 1, False)


def uuid_for(oid: int) -> str:
    """A stable UUID for catalog objects that have no stored row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pyral-emulator:{oid}"))


def _virtual_row(oid: int, type_path: str, workspace: int | None, created: str, data: dict[str, Any]) -> Row:
    return Row(oid=oid, type=type_path, workspace=workspace, project=None, uuid=uuid_for(oid), version=0,
               created=created, updated=created, fid=None, rank=None, deleted=False, data=data)


def attrdef_row(obj: dict[str, Any], oid: int, workspace: int | None) -> Row:
    """An AttributeDefinition (as ``attrdef_json`` builds it) as a row: its scalar fields as
    they are, references to stored objects as ObjectIDs."""
    data: dict[str, Any] = {}
    for key, value in obj.items():
        if key.startswith("_") or key in _IDENTITY or key in _COMPUTED:
            continue
        if key in _REF_BY_OID and isinstance(value, dict):
            found = _TRAILING_OID.search(str(value.get("_ref", "")))
            value = int(found.group(1)) if found else None
        data[key] = value
    return _virtual_row(oid, "AttributeDefinition", workspace, str(obj.get("CreationDate") or ""), data)


def member_row(attr: Row, index: int, name: str, value: bool) -> Row:
    """Value ``index`` (``value``) or query operator ``index`` of the attribute ``attr``: a
    read-only object with a virtual OID, dated like its attribute."""
    oid = member_oid(attr.oid, index, value)
    if not value:
        return _virtual_row(oid, "AllowedQueryOperator", attr.workspace, attr.created, {"OperatorName": name})
    return _virtual_row(oid, "AllowedAttributeValue", attr.workspace, attr.created,
                        {"StringValue": name, "LocalizedStringValue": name, "ValueIndex": index,
                         "IntegerValue": index, "AttributeDefinition": attr.oid})
