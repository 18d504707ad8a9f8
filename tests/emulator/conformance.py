"""The two type sources the conformance suite checks the emulator against, and one instance per type.

* the real workspace schema capture (rally-node-ng ``schemaSuccess.json``, 2015), in the compact
  form ``tools/derive_catalog.py`` derives from it (``data/rally_schema.json``);
* Rally's 2025 OpenAPI description, as the facts ``tools/derive_openapi_catalog.py`` derives
  (``data/rally_openapi.json``).

:class:`Instances` finds or makes one object of every type on an emulator, through WSAPI only.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from wsapi_client import Wsapi

DATA = resources.files("pyral.emulator").joinpath("data")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")

# Types of the sources that no client can make and the emulator never makes: the reason.
NO_INSTANCE = {
    "ArtifactNotification": "Rally writes notifications when its notification rules fire (not emulated)",
    "IterationCumulativeFlowData": "Rally's nightly cumulative-flow job (not emulated)",
    "ReleaseCumulativeFlowData": "Rally's nightly cumulative-flow job (not emulated)",
    "ScopedAttributeDefinition": "per-project field visibility settings (not emulated)",
    "ScheduleState": "Rally's per-workspace schedule-state settings objects (not emulated)",
    "PublishedCapacityPlan": "made by publishing a capacity plan in Rally's UI (not emulated)",
    "PortfolioItemPredecessorRelationship": "made by Rally when PI dependencies are set in its UI",
    "ProfileImage": "uploaded through Rally's UI profile page (binary upload not emulated)",
    "Blocker": "made by Rally when an artifact is blocked from its UI",
}
# Not part of any instance check: abstract, or duplicates of a type the emulator folds (see catalog).
LEFT_OUT = {"AdministratableProject", "WritableProject", "UserPermission", "Artifact"}

# Types reached from another object rather than by a query: (how, ...).
NAVIGATE = {
    "AttributeDefinition": ("typedefinition", "Attributes"),
    "AllowedAttributeValue": ("attributedefinition", "AllowedValues"),
    "AllowedQueryOperator": ("attributedefinition", "AllowedQueryOperators"),
    "RevisionHistory": ("hierarchicalrequirement", "RevisionHistory"),
    "AttachmentContent": ("attachment", "Content"),
}
SAMPLE = {"STRING": "conformance", "TEXT": "conformance text", "INTEGER": 1, "QUANTITY": 1.0, "DECIMAL": 1.0,
          "DATE": "2026-01-05T00:00:00.000Z", "BOOLEAN": False}
# Values a generic create cannot guess (unique names, formats Rally checks).
FIELDS: dict[str, dict[str, Any]] = {
    "User": {"UserName": "conformance@example.com", "EmailAddress": "conformance@example.com"},
    "AttachmentContent": {"Content": "aGVsbG8="},
    "Attachment": {"ContentType": "text/plain", "Size": 5},
    "TimeEntryValue": {"Hours": 1.0},
    "Workspace": {"Name": "Conformance workspace"},
    "Tag": {"Name": "conformance-tag"},
    "Iteration": {"StartDate": "2026-01-05T00:00:00.000Z", "EndDate": "2026-01-16T00:00:00.000Z"},
    "Release": {"ReleaseStartDate": "2026-01-05T00:00:00.000Z", "ReleaseDate": "2026-03-27T00:00:00.000Z"},
    "TestCaseResult": {"Verdict": "Pass", "Build": "1"},
    "WorkspacePermission": {"Role": "User"},
    "ProjectPermission": {"Role": "Viewer"},
}


def capture_types() -> dict[str, dict[str, Any]]:
    raw = json.loads(DATA.joinpath("rally_schema.json").read_text())
    return {t["ElementName"]: t for t in raw["types"] if t["ElementName"] not in LEFT_OUT}


def openapi_types() -> dict[str, dict[str, Any]]:
    raw = json.loads(DATA.joinpath("rally_openapi.json").read_text())
    skip = {"FlowState", "PortfolioItemFlowState", "BusinessInitiative", "Investment"}
    return {t["ElementName"]: t for t in raw["types"] if t["ElementName"] not in skip | LEFT_OUT}


def value_fits(atype: str, value: Any, schema_type: str = "") -> bool:
    """Whether a JSON value can be one of an attribute of this AttributeType (and SchemaType)."""
    if atype == "INTEGER" and schema_type == "string":  # FormattedID: INTEGER, answered as "DE12"
        return isinstance(value, str)
    if value is None:
        return atype not in ("COLLECTION", "BOOLEAN", "TEXT")
    return {
        "STRING": lambda v: isinstance(v, str), "TEXT": lambda v: isinstance(v, str),
        "RATING": lambda v: isinstance(v, str), "STATE": lambda v: isinstance(v, str),
        "BOOLEAN": lambda v: isinstance(v, bool),
        "INTEGER": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "QUANTITY": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "DECIMAL": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "DATE": lambda v: isinstance(v, str) and bool(ISO_DATE.match(v)),
        "OBJECT": lambda v: isinstance(v, dict) and "_ref" in v,
        "COLLECTION": lambda v: isinstance(v, dict) and "_ref" in v and isinstance(v.get("Count"), int),
        "WEB_LINK": lambda v: isinstance(v, dict),
        "BINARY_DATA": lambda v: isinstance(v, str),
    }.get(atype, lambda v: True)(value)


class Instances:
    """One fully fetched object per type, found on the emulator or made through WSAPI."""

    def __init__(self, api: Wsapi) -> None:
        self.api = api
        self.cache: dict[str, dict[str, Any] | None] = {}
        self.given: set[str] = set()
        self.made = 0
        self.typedefs = {r["ElementName"]: r for r in api.rows("typedefinition", fetch="ElementName,TypePath",
                                                             pagesize=200)}

    def path(self, name: str) -> str:
        row = self.typedefs.get(name)
        return str(row["TypePath"]).lower() if row else name.lower()

    def get(self, name: str) -> dict[str, Any] | None:
        if name not in self.cache:
            self.cache[name] = None  # a type that needs itself (or a cycle) gets no instance, not a loop
            self.cache[name] = self._find(name) or self._make(name)
        return self.cache[name]

    def full(self, ref: str) -> dict[str, Any]:
        return self.api.read(ref, fetch="true")

    def _find(self, name: str) -> dict[str, Any] | None:
        if name in NAVIGATE:
            owner_type, attr = NAVIGATE[name]
            owner = self.get("TypeDefinition" if owner_type == "typedefinition" else
                             "AttributeDefinition" if owner_type == "attributedefinition" else
                             "Attachment" if owner_type == "attachment" else "HierarchicalRequirement")
            if owner is None or owner.get(attr) is None:
                return None
            ref = owner[attr]["_ref"]
            if "Count" in owner[attr]:
                rows = self.api.query(ref, fetch="true", pagesize=200)["Results"]
                if name == "AttributeDefinition":
                    rows = [r for r in rows if r.get("ElementName") == "ScheduleState"] or rows
                return self.full(rows[0]["_ref"]) if rows else None
            return self.full(ref)
        if name == "TypeDefinition":
            rows = self.api.rows("typedefinition", query='(ElementName = "HierarchicalRequirement")')
            return self.full(rows[0]["_ref"])
        body = self.api.get(self.path(name), fetch="ObjectID", pagesize=1, order="ObjectID desc")
        (key, inner), = body.items()
        if key != "QueryResult":
            return self.full(inner["_ref"])  # /user and /subscription answer the caller's own
        return self.full(inner["Results"][0]["_ref"]) if inner["Results"] else None

    def _fresh_user(self) -> str:
        self.made += 1
        user = self.api.create("user", {"UserName": f"u{self.made}@example.com",
                                        "EmailAddress": f"u{self.made}@example.com"})
        return str(user["_ref"])

    def fresh(self, name: str) -> tuple[dict[str, Any] | None, set[str]]:
        """A newly made object of the type (None if not creatable) and the attributes it was given."""
        self.given = set()
        return self._make(name, fresh=True), self.given

    def _make(self, name: str, *, fresh: bool = False) -> dict[str, Any] | None:
        """Create one through WSAPI from the typedef's required attributes (None: not creatable)."""
        if name in NO_INSTANCE:
            return None
        if name in ("RecycleBinEntry", "Revision") and fresh:
            return None
        if name == "RecycleBinEntry":
            defect = self.api.create("defect", {"Name": "conformance deleted"})
            self.api.delete(defect["_ref"])
            return self._find(name)
        if name == "Revision":
            return self._find(name)
        tdef = self.api.rows("typedefinition", query=f'(ElementName = "{name}")', fetch="Creatable,Attributes")
        if not tdef or not tdef[0]["Creatable"]:
            return None
        attrs = self.api.rows(tdef[0]["Attributes"]["_ref"], fetch="ElementName,AttributeType,Required,ReadOnly,"
                              "AllowedValueType,AllowedValues,SchemaType", pagesize=200)
        fields: dict[str, Any] = {}
        for a in attrs:
            aname, atype = a["ElementName"], a["AttributeType"]
            if not a["Required"] or aname in ("ObjectID", "ObjectUUID", "CreationDate", "FormattedID", "Subscription",
                                              "Workspace", "VersionId"):
                continue
            if atype == "OBJECT":
                target = (a.get("AllowedValueType") or {}).get("_refObjectName") or a["SchemaType"]
                found = self.get(target.split("/")[-1] if "/" in target else target)
                if found is not None:
                    fields[aname] = found["_ref"]
            elif (isinstance(a["AllowedValues"], list) and a["AllowedValues"] or atype in ("RATING", "STATE")
                  or isinstance(a["AllowedValues"], dict) and a["AllowedValues"].get("Count")):
                values = (a["AllowedValues"] if isinstance(a["AllowedValues"], list)
                          else self.api.rows(a["AllowedValues"]["_ref"], fetch="StringValue"))
                fields[aname] = next((v["StringValue"] for v in values if v["StringValue"]), "")
            elif atype in SAMPLE:
                fields[aname] = SAMPLE[atype]
        fields.update(FIELDS.get(name, {}))
        if fresh:  # a second object of a type with unique names needs its own
            self.made += 1
            for key in ("Name", "UserName", "EmailAddress"):
                if key in FIELDS.get(name, {}):
                    fields[key] = f"n{self.made}-{fields[key]}"
        if name in ("WorkspacePermission", "ProjectPermission"):
            scope = "Workspace" if name == "WorkspacePermission" else "Project"
            fields[scope] = self.api.rows(scope.lower(), fetch="ObjectID")[0]["_ref"]
            fields["User"] = self._fresh_user()
        if name == "Attachment":
            # Made here when none is known yet: finding one navigates from an Attachment, so a test that
            # asks for an Attachment before any AttachmentContent exists meets the cycle guard's None.
            content = self.get("AttachmentContent") or self._make("AttachmentContent")
            fields["Content"] = content["_ref"]  # type: ignore[index]
            fields["Artifact"] = self.get("Defect")["_ref"]  # type: ignore[index]
        self.given = set(fields)
        result = self.api.create_raw(self.path(name), {name: fields}, fetch="ObjectID")
        assert result["Errors"] == [], (name, fields, result["Errors"])
        return self.full(result["Object"]["_ref"])
