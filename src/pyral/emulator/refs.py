"""Object references: making ``_ref`` URLs and reading refs in every form clients send."""

from __future__ import annotations

import re
from typing import Any

API_PREFIX = "/slm/webservice/v2.0"

_REF = re.compile(
    r"^(?:https?://[^/]+)?/?(?:slm/webservice/v2\.[0x]/)?"
    r"(?P<type>[A-Za-z][A-Za-z0-9_]*(?:/[A-Za-z][A-Za-z0-9_]*)?)/(?P<oid>-?\d+)(?:\.js)?/?$"
)


def object_ref(base: str, type_path: str, oid: int) -> str:
    """``_ref`` of an object: lower-case type path, e.g. ``.../portfolioitem/feature/12``."""
    return f"{base}{API_PREFIX}/{type_path.lower()}/{oid}"


def collection_ref(base: str, type_path: str, oid: int, attr: str) -> str:
    """``_ref`` of a collection: type path in its own casing plus the attribute name."""
    return f"{base}{API_PREFIX}/{type_path}/{oid}/{attr}"


def parse_ref(value: Any) -> tuple[str | None, int] | None:
    """Read a reference given as a URL, ``/type/oid``, ``type/oid`` or ``{"_ref": ...}``.

    Returns (type segment as written, oid), or None when the value is not a reference.
    A bare integer (or digit string) is taken as an ObjectID with no type.
    """
    if isinstance(value, dict):
        value = value.get("_ref")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return (None, value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit():
        return (None, int(text))
    match = _REF.match(text)
    if not match:
        return None
    return (match.group("type"), int(match.group("oid")))
