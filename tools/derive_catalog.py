"""Derive the emulator's base type catalog from a real Rally schema capture.

Usage: python tools/derive_catalog.py ../shared/captures/rally-node-ng/schemaSuccess.json

Writes src/pyral/emulator/data/rally_schema.json: for each type, its flags and its attributes
(ElementName, AttributeType, SchemaType, flags, target type, inline allowed values, OID), in the
capture's order.  Subscription/workspace specifics (refs, names, UUIDs) are dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TYPE_KEYS = ["ElementName", "TypePath", "Name", "DisplayName", "IDPrefix", "Abstract", "Creatable",
             "Queryable", "ReadOnly", "Deletable", "Restorable", "Ordinal", "UserListable"]
ATTR_FLAGS = ["Required", "ReadOnly", "Custom", "Constrained", "Filterable", "Hidden", "Sortable"]


def compact_attr(attr: dict) -> dict:
    out = {"ElementName": attr["ElementName"], "Name": attr["Name"],
           "AttributeType": attr["AttributeType"], "SchemaType": attr["SchemaType"],
           "oid": int(attr["_ref"].rsplit("/", 1)[1]),
           "MaxLength": attr["MaxLength"], "MaxFractionalDigits": attr["MaxFractionalDigits"]}
    for flag in ATTR_FLAGS:
        out[flag] = bool(attr.get(flag))
    target = attr.get("AllowedValueType")
    out["Target"] = target["_refObjectName"] if target else None
    allowed = attr.get("AllowedValues")
    out["AllowedValues"] = [v["StringValue"] for v in allowed] if isinstance(allowed, list) else None
    return out


def main(path: str) -> None:
    results = json.loads(Path(path).read_text())["QueryResult"]["Results"]
    types = []
    for tdef in results:
        entry = {key: tdef[key] for key in TYPE_KEYS}
        entry["Attributes"] = [compact_attr(a) for a in tdef["Attributes"]]
        types.append(entry)
    out = Path(__file__).resolve().parents[1] / "src/pyral/emulator/data/rally_schema.json"
    out.write_text(json.dumps({"source": "rally-node-ng schemaSuccess.json (WSAPI v2.0, 2015, MIT)",
                               "types": types}, indent=0, sort_keys=False) + "\n")
    print(f"wrote {out} ({len(types)} types)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/captures/rally-node-ng/schemaSuccess.json")
