"""tools/derive_openapi_catalog.py: the rules that turn an OpenAPI description into our facts.

A small description written here (not Rally's text) exercises every rule: operations from paths
and tags, AttributeType from JSON type, reference kind and name, read-only and required flags,
``c_`` fields and envelopes dropped.  Bad input fails loudly and writes nothing.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

TOOL = Path(__file__).resolve().parents[1] / "tools" / "derive_openapi_catalog.py"
API = "/slm/webservice/v2.0"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_openapi_catalog", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def description() -> dict[str, Any]:
    op = {"tags": ["Widget"], "responses": {}}
    return {
        "paths": {
            f"{API}/widget": {"get": op},
            f"{API}/widget/create": {"post": op},
            f"{API}/widget/{{objectId}}": {"get": op, "post": op, "delete": op},
            f"{API}/widget/{{objectId}}/copy": {"post": op},
            f"{API}/batch": {"post": {"tags": ["Batch"], "responses": {}}},
        },
        "components": {"schemas": {"Widget": {"properties": {
            "Name": {"type": "string", "nullable": False, "description": "Name"},
            "Notes": {"type": "string", "maxLength": 32768},
            "DueDate": {"type": "string"},
            "DateFormat": {"type": "string"},
            "Count": {"type": "integer", "readOnly": True},
            "Size": {"type": "number"},
            "Done": {"type": "boolean", "nullable": False},
            "Owner": {"$ref": "#/components/schemas/UserRef"},
            "Anything": {"$ref": "#/components/schemas/ObjectRef"},
            "Parts": {"$ref": "#/components/schemas/Collection"},
            "Link": {"$ref": "#/components/schemas/WebLink"},
            "Colour": {"type": "string", "enum": ["", "Red", "None"], "nullable": False},
            "c_Custom": {"type": "string"},
            "Errors": {"type": "array"},
        }}}},
    }


def test_facts_derived_from_a_description(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = load_tool()
    src = tmp_path / "openapi.yaml"
    src.write_text(yaml.safe_dump(description()))
    monkeypatch.setattr(tool, "__file__", str(tmp_path / "tools" / "derive_openapi_catalog.py"))
    (tmp_path / "src/pyral/emulator/data").mkdir(parents=True)
    tool.main(str(src))
    out = json.loads((tmp_path / "src/pyral/emulator/data/rally_openapi.json").read_text())
    (widget,) = out["types"]  # Batch has no schema: an operation, not a type
    assert widget["Path"] == "widget" and widget["Operations"] == ["copy", "create", "delete", "query", "read",
                                                                    "update"]
    attrs = {a["ElementName"]: a for a in widget["Attributes"]}
    assert "c_Custom" not in attrs and "Errors" not in attrs
    kinds = {name: (a["AttributeType"], a["Target"]) for name, a in attrs.items()}
    assert kinds == {"Name": ("STRING", None), "Notes": ("TEXT", None), "DueDate": ("DATE", None),
                     "DateFormat": ("STRING", None), "Count": ("INTEGER", None), "Size": ("QUANTITY", None),
                     "Done": ("BOOLEAN", None), "Owner": ("OBJECT", "User"), "Anything": ("OBJECT", None),
                     "Parts": ("COLLECTION", None), "Link": ("WEB_LINK", None), "Colour": ("STRING", None)}
    assert [n for n, a in attrs.items() if a["Required"]] == ["Name"]  # non-nullable, writable, no list
    assert attrs["Count"]["ReadOnly"] and not attrs["Name"]["ReadOnly"]
    assert attrs["Colour"]["AllowedValues"] == ["", "Red", "None"]


def test_a_file_that_is_not_a_description_fails_and_writes_nothing(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    tool = load_tool()
    monkeypatch.setattr(tool, "__file__", str(tmp_path / "tools" / "derive_openapi_catalog.py"))
    (tmp_path / "src/pyral/emulator/data").mkdir(parents=True)
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: text\n")
    with pytest.raises(KeyError):
        tool.main(str(bad))
    assert not (tmp_path / "src/pyral/emulator/data/rally_openapi.json").exists()
