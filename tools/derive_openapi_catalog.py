"""Derive today's WSAPI type facts from Rally's OpenAPI description (2025).

Usage: python tools/derive_openapi_catalog.py path/to/openapi.yaml

The description is the one generated into the public Go client simonlowe/rally-go
(``api/openapi.yaml``).  Its licence is unknown, so nothing is copied: this tool reads it and writes
only facts in our own compact form to src/pyral/emulator/data/rally_openapi.json:

* for each type with operations: its URL segment and which operations exist
  (query, read, create, update, delete, copy);
* for each of its built-in attributes: ElementName, display name, our AttributeType (derived from
  the JSON type, the reference kind and the name), ReadOnly, Required (non-nullable and writable),
  MaxLength, the target type of a reference, and a drop-down's value list.

Customer specifics are dropped: custom ``c_`` attributes, example values, descriptions, envelopes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

API = "/slm/webservice/v2.0/"
# Date-valued STRING attributes have no format in the description; their names say it.
DATE_NAME = re.compile(r"(Date|Timestamp|ValueTime|^Date)$")
NOT_DATES = {"DateFormat", "DateTimeFormat", "InterimTargetDateTemplate"}


def attribute_type(name: str, prop: dict[str, Any]) -> tuple[str, str | None]:
    """Our AttributeType and target type for one property of the description."""
    ref = prop.get("$ref")
    if ref:
        target = ref.rsplit("/", 1)[1]
        if target == "Collection":
            return "COLLECTION", None
        if target == "WebLink":
            return "WEB_LINK", None
        if target == "ObjectRef":
            return "OBJECT", None
        return "OBJECT", target.removesuffix("Ref")
    kind = prop.get("type")
    if kind == "boolean":
        return "BOOLEAN", None
    if kind == "integer":
        return "INTEGER", None
    if kind == "number":
        return "QUANTITY", None
    if kind == "object":
        return "RAW", None
    if DATE_NAME.search(name) and name not in NOT_DATES:
        return "DATE", None
    if prop.get("maxLength", 0) >= 32768:
        return "TEXT", None
    return "STRING", None


def operations(paths: dict[str, Any]) -> dict[str, tuple[str, set[str]]]:
    """Type name -> (URL segment, operations) from the paths and their tags."""
    out: dict[str, tuple[str, set[str]]] = {}
    for path, methods in paths.items():
        rest = path.removeprefix(API)
        for method, op in methods.items():
            for tag in op.get("tags", []):
                segment = rest.split("/{objectId}")[0].removesuffix("/create")
                entry = out.setdefault(tag, (segment, set()))
                if rest.endswith("/copy"):
                    entry[1].add("copy")
                elif rest.endswith("/create"):
                    entry[1].add("create")
                elif "{objectId}" in rest:
                    entry[1].add({"get": "read", "post": "update", "put": "update", "delete": "delete"}[method])
                elif method == "get":
                    entry[1].add("query")
    return out


def compact_attr(name: str, prop: dict[str, Any]) -> dict[str, Any]:
    atype, target = attribute_type(name, prop)
    read_only = bool(prop.get("readOnly"))
    allowed = [v for v in prop.get("enum", []) if isinstance(v, str)] or None
    return {"ElementName": name, "Name": prop.get("description") or name, "AttributeType": atype,
            "ReadOnly": read_only,
            "Required": prop.get("nullable") is False and not read_only and atype not in ("COLLECTION", "BOOLEAN")
            and allowed is None,
            "MaxLength": prop.get("maxLength", -1), "Target": target, "AllowedValues": allowed}


def main(path: str) -> None:
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    types = []
    for name, (segment, ops) in sorted(operations(spec["paths"]).items()):
        schema = schemas.get(name)
        if schema is None:  # the batch endpoint is an operation, not a type
            continue
        attrs = [compact_attr(attr, prop) for attr, prop in sorted(schema["properties"].items())
                 if not attr.startswith("c_") and attr not in ("Errors", "Warnings")]
        types.append({"ElementName": name, "Path": segment, "Operations": sorted(ops), "Attributes": attrs})
    out = Path(__file__).resolve().parents[1] / "src/pyral/emulator/data/rally_openapi.json"
    out.write_text(json.dumps({"source": "facts derived from Rally's WSAPI v2.0 OpenAPI description (2025) "
                                         "by tools/derive_openapi_catalog.py", "types": types}, indent=0) + "\n")
    print(f"wrote {out} ({len(types)} types, {sum(len(t['Attributes']) for t in types)} attributes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "api/openapi.yaml")
