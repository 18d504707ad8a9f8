"""Rally's HTML whitelist for text fields, enforced with nh3 (the ammonia sanitizer).

Rally refuses, rather than rewrites, text whose markup falls outside its whitelist
(``Validation error: Defect.Name contained invalid input. Search 'HTML Whitelist' ...``).  So the
text is cleaned twice by nh3 with the same parser and serializer: once with the whitelist
(:data:`WHITELIST`) and once with a configuration that allows everything the text itself uses.
Anything the whitelist removed makes the two differ, and the text is refused; harmless
differences of spelling (quotes, ``<br/>``, ``&amp;``) are the same on both sides.  URL
attributes are also checked on their own against the allowed schemes, reading the value as a
browser does (entities decoded, tabs and newlines dropped), so a scheme nh3 could not parse is
refused too, and so is any tag or attribute outside the whitelist that the two parsers (Python's
and html5ever) might read differently.  Text without ``<`` has no tag and is accepted at once.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import nh3

# The whitelist (an emulator choice, recorded in docs/emulator.md): ammonia's curated tags and
# attributes, plus what Rally's rich-text editor writes (font, inline styles, table layout).
TAGS = set(nh3.ALLOWED_TAGS) | {"font", "tfoot", "u", "s"}
ATTRIBUTES: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
ATTRIBUTES["*"] = {"style", "title", "class", "dir", "lang"}
ATTRIBUTES["font"] = {"color", "face", "size"}
ATTRIBUTES["table"] = ATTRIBUTES.get("table", set()) | {"border", "cellpadding", "cellspacing", "width"}
ATTRIBUTES["img"] = ATTRIBUTES.get("img", set()) | {"title"}
URL_SCHEMES = {"http", "https", "mailto", "ftp", "ftps", "tel", "news", "notes"}
CSS_PROPERTIES = {"color", "background-color", "font-family", "font-size", "font-style", "font-weight",
                  "text-align", "text-decoration", "vertical-align", "margin", "margin-left", "margin-right",
                  "margin-top", "margin-bottom", "padding", "padding-left", "padding-right", "padding-top",
                  "padding-bottom", "border", "border-collapse", "width", "height", "white-space",
                  "list-style-type", "line-height"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster",
                  "lowsrc", "dynsrc", "cite", "longdesc", "codebase", "srcset", "ping", "manifest"}
UNSAFE_CSS = re.compile(r"url\s*\(|expression\s*\(|javascript:|@import|behavior\s*:|-moz-binding|\\", re.I)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _style_filter(tag: str, attr: str, value: str) -> str | None:
    """Drop style values that can load or run anything (nh3 filters property names only)."""
    if attr == "style" and UNSAFE_CSS.search(value):
        return None
    return value


WHITELIST: dict[str, Any] = {
    "tags": TAGS, "attributes": ATTRIBUTES, "url_schemes": URL_SCHEMES, "link_rel": None,
    "filter_style_properties": CSS_PROPERTIES, "attribute_filter": _style_filter, "strip_comments": True,
}


class _Inventory(HTMLParser):
    """Every tag, attribute, URL value and CSS property a text uses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.urls: list[str] = []
        self.css: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attrs.add((tag, name))
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append(value)
            if name == "style" and value:
                self.css.update(part.split(":", 1)[0].strip().lower() for part in value.split(";") if ":" in part)

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.tags.add(tag)


def _scheme(url: str) -> str | None:
    """The scheme a browser would see: C0 controls and spaces trimmed, tabs/newlines removed."""
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("".join(chr(c) for c in range(0x21)))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def allowed(text: str) -> bool:
    """Does ``text`` stay within Rally's HTML whitelist?"""
    if "<" not in text:  # no tag, so no markup (an entity outside a tag is only text)
        return True
    inventory = _Inventory()
    inventory.feed(text)
    inventory.close()
    schemes = {s for s in map(_scheme, inventory.urls) if s is not None}
    if inventory.tags - TAGS or schemes - URL_SCHEMES or any(
            name not in ATTRIBUTES["*"] and name not in ATTRIBUTES.get(tag, ()) for tag, name in inventory.attrs):
        return False
    everything: dict[str, Any] = {
        "tags": TAGS | inventory.tags, "generic_attribute_prefixes": {""}, "clean_content_tags": set(),
        "url_schemes": URL_SCHEMES | schemes, "link_rel": None,
        "filter_style_properties": CSS_PROPERTIES | inventory.css, "strip_comments": True,
    }
    try:
        return bool(nh3.clean(text, **WHITELIST) == nh3.clean(text, **everything))
    except BaseException as exc:  # nh3 reports some inputs as a Rust panic (a BaseException): refuse them
        if type(exc).__name__ != "PanicException":
            raise
        return False
