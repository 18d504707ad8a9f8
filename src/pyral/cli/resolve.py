"""Identifiers, schema-typed field values and references given by name, ID, username or ref."""

from __future__ import annotations

import json
import re
from typing import Any

from pyral.client import Rally
from pyral.errors import InvalidRallyTypeNameError, RallyError
from pyral.model.entities import Persistable
from pyral.model.schema import SchemaItem, SchemaItemAttribute

from .errors import CliError, not_found, translate, usage

FORMATTED_ID = re.compile(r"^([A-Za-z]+)(\d+)$")
_REF = re.compile(r"^(?:https?://[^ ]*?/v2\.0/)?((?:[A-Za-z]+/){1,2}-?\d+)$")
_IDENT_KEYS = ("objectid", "formattedid")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_COLLECTION_TYPES = {"tags": "Tag", "milestones": "Milestone", "defects": "Defect", "tasks": "Task",
                     "testcases": "TestCase", "children": None, "predecessors": None, "successors": None}


def typedef(rally: Rally, type_name: str) -> SchemaItem:
    """The schema item of ``type_name``; unknown types are usage errors."""
    try:
        item = rally.typedef(type_name)
    except InvalidRallyTypeNameError:
        item = None
    except RallyError as exc:
        raise translate(exc) from exc
    if item is None:
        raise usage(f"unknown Rally type: {type_name} (see 'pyral types')")
    return item


def type_name(item: SchemaItem) -> str:
    """The name to give the client for a schema item (TypePath, e.g. PortfolioItem/Feature)."""
    return item.TypePath or item.ElementName


def prefix_map(rally: Rally) -> dict[str, str]:
    """FormattedID prefix → type, from the schema (artifact types) and upstream's table."""
    out: dict[str, str] = {}
    try:
        raw = rally.getSchemaInfo()
    except RallyError:
        raw = []
    for t in raw:
        prefix = t.get("IDPrefix")
        attrs = {a.get("ElementName") for a in t.get("Attributes") or [] if isinstance(a, dict)}
        if prefix and "FormattedID" in attrs and not t.get("Abstract"):
            out.setdefault(str(prefix).upper(), str(t.get("TypePath") or t.get("ElementName")))
    for prefix, name in Rally.ARTIFACT_TYPE.items():
        out[prefix] = "HierarchicalRequirement" if name == "Story" else name
    return out


def find(rally: Rally, ident: str, *, fetch: Any = True) -> Persistable:
    """The object named by a FormattedID (``US12``) or ``type/oid`` ref; not found → exit 4."""
    text = ident.strip()
    ref = _REF.match(text)
    if ref:
        path = ref.group(1)
        kind, oid = path.rsplit("/", 1)
        query = f"ObjectID = {oid}"
    else:
        fid = FORMATTED_ID.match(text)
        if not fid:
            raise usage(f"not an ID: {ident!r} (give a FormattedID like US12, or TYPE/OID)")
        kind = prefix_map(rally).get(fid.group(1).upper(), "")
        if not kind:
            raise not_found(f"no Rally type has the FormattedID prefix {fid.group(1).upper()}")
        query = f'FormattedID = "{text.upper()}"'
    try:
        resp = rally.get(kind, fetch=fetch, query=query, project=None, pagesize=2)
        if resp.errors:
            raise CliError(f"cannot read {ident}: {resp.errors[0]}")
        hits = list(resp)
    except InvalidRallyTypeNameError as exc:
        raise usage(f"unknown Rally type in {ident!r}: {exc}") from exc
    except RallyError as exc:
        raise translate(exc) from exc
    if not hits:
        raise not_found(f"no such item: {ident}")
    return hits[0]


def item_type(item: Persistable) -> str:
    """The type path of an entity (``Defect``, ``PortfolioItem/Feature``)."""
    typ = item.__dict__.get("typePath") or item.__dict__.get("_type") or type(item).__name__
    return str(typ)


class FieldConverter:
    """Converts ``Field=Value`` text (or JSON values) into a payload typed by the schema."""

    def __init__(self, rally: Rally, schema: SchemaItem) -> None:
        self.rally = rally
        self.schema = schema
        self._cache: dict[tuple[str, str], str] = {}
        self._prefixes: dict[str, str] | None = None

    def attribute(self, name: str) -> SchemaItemAttribute:
        """The attribute called ``name`` (case-insensitive, ``c_`` optional)."""
        attr = self.schema.attribute(name.strip())
        if attr is None:
            raise usage(f"unknown field {name!r} for {type_name(self.schema)} "
                        f"(see 'pyral typedef {type_name(self.schema)}')")
        return attr

    def check_columns(self, names: list[str]) -> None:
        """Reject unknown and read-only columns (identifier columns excepted)."""
        bad = [n for n in names if n.strip().lower() not in _IDENT_KEYS and self.schema.attribute(n.strip()) is None]
        if bad:
            raise usage(f"unknown field(s) for {type_name(self.schema)}: {', '.join(bad)}")
        ro = [n for n in names if n.strip().lower() not in _IDENT_KEYS and self.attribute(n).ReadOnly]
        if ro:
            raise usage(f"read-only field(s) of {type_name(self.schema)}: {', '.join(ro)}")

    def payload(self, pairs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(identifiers, typed payload) for ``{field: value}``; errors are CliErrors."""
        ident: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for key, value in pairs.items():
            low = key.strip().lower()
            if low in _IDENT_KEYS:
                if value not in (None, ""):
                    ident["ObjectID" if low == "objectid" else "FormattedID"] = value
                continue
            attr = self.attribute(key)
            if attr.ReadOnly:
                raise usage(f"field {attr.ElementName} of {type_name(self.schema)} is read-only")
            data[attr.ElementName] = self.convert(attr, value)
        return ident, data

    def convert(self, attr: SchemaItemAttribute, value: Any) -> Any:
        """One value typed for ``attr``."""
        kind = attr.AttributeType
        if not isinstance(value, str):
            if kind in ("OBJECT", "COLLECTION") and value is not None:
                return self._refs(attr, value)
            return value
        text = value
        if kind in ("STRING", "TEXT", "RAW"):
            return text
        if text.strip() == "":
            return [] if kind == "COLLECTION" else None
        if kind == "INTEGER":
            try:
                return int(text)
            except ValueError:
                raise usage(f"{attr.ElementName} expects an integer, got {text!r}") from None
        if kind in ("QUANTITY", "DECIMAL"):
            try:
                return int(text) if re.fullmatch(r"-?\d+", text.strip()) else float(text)
            except ValueError:
                raise usage(f"{attr.ElementName} expects a number, got {text!r}") from None
        if kind == "BOOLEAN":
            low = text.strip().lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            raise usage(f"{attr.ElementName} expects true or false, got {text!r}")
        if kind in ("RATING", "STATE"):
            return text
        if kind == "OBJECT":
            return self.reference(attr.SchemaType or "", text, attr.ElementName)
        if kind == "COLLECTION":
            return [self.reference(self._element_type(attr), part.strip(), attr.ElementName)
                    for part in text.split(",") if part.strip()]
        if kind == "WEB_LINK" and text.lstrip().startswith("{"):
            try:
                return json.loads(text)
            except ValueError:
                raise usage(f"{attr.ElementName} expects a JSON object, got {text!r}") from None
        return text

    def _refs(self, attr: SchemaItemAttribute, value: Any) -> Any:
        if isinstance(value, dict) and value.get("_ref"):
            return short_ref(str(value["_ref"]))
        if isinstance(value, list):
            return [self._refs(attr, v) if isinstance(v, dict) else
                    self.reference(self._element_type(attr), str(v), attr.ElementName) for v in value]
        return self.reference(attr.SchemaType or "", str(value), attr.ElementName)

    def _element_type(self, attr: SchemaItemAttribute) -> str:
        known = _COLLECTION_TYPES.get(attr.ElementName.lower(), "")
        return type_name(self.schema) if known is None else known

    def reference(self, target: str, text: str, field_name: str) -> str:
        """A ref for ``text``: a ref/URL, a FormattedID, a username (users) or a name."""
        text = text.strip()
        ref = _REF.match(text)
        if ref:
            return ref.group(1)
        key = (target.lower(), text)
        if key in self._cache:
            return self._cache[key]
        found = self._lookup(target, text, field_name)
        self._cache[key] = found
        return found

    def _lookup(self, target: str, text: str, field_name: str) -> str:
        rally = self.rally
        if FORMATTED_ID.match(text) and target.lower() not in ("user", "project", "tag"):
            if self._prefixes is None:
                self._prefixes = prefix_map(rally)
            if text.rstrip("0123456789").upper() in self._prefixes:
                try:
                    return find(rally, text, fetch="ObjectID").ref
                except CliError:
                    pass
        if target.lower() == "project":
            proj = rally.getProject(text)
            if proj is not None:
                return proj.ref
            raise not_found(f"no Project matches {text!r} (for field {field_name})")
        if not target:
            raise usage(f"{field_name}: give a ref (type/oid) or FormattedID, not {text!r}")
        queries = ([f'UserName = "{text}"', f'DisplayName = "{text}"', f'EmailAddress = "{text}"']
                   if target.lower() == "user" else [f'Name = "{text}"'])
        for query in queries:
            try:
                resp = rally.get(target, fetch="ObjectID,Name", query=query, project=None, pagesize=3)
            except RallyError as exc:
                raise translate(exc) from exc
            if resp.errors:
                continue
            hits = list(resp)
            if len(hits) > 1:
                raise usage(f"{field_name}: {len(hits)} {target} objects match {text!r}; give a ref")
            if hits:
                return str(hits[0].ref)
        raise not_found(f"no {target} matches {text!r} (for field {field_name})")


def short_ref(ref: str) -> str:
    """The service-relative part of a ref or URL."""
    marker = "/v2.0/"
    return ref.split(marker, 1)[1] if marker in ref else ref


def parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("Name=x", "PlanEstimate=3")`` → dict; malformed pairs are usage errors."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise usage(f"expected Field=Value, got {pair!r}")
        out[key.strip()] = value
    return out
