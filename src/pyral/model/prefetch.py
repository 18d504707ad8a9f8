"""Page-wide loading of collections: one query for a whole page instead of one per item.

Upstream pyral loads ``story.Tasks`` with one request per story (N+1).  Items that came from
the same page of results share a :class:`PageGroup`; the first time a collection attribute
is read on one of them, the members for every item of the page that has that collection are
fetched with one query per chunk of owners (``((WorkProduct = /hierarchicalrequirement/1) OR
...)``), grouped by owner, and handed out as the other items are read.

Only collections that are the inverse of a reference (Tasks ↔ Task.WorkProduct ...) can be
loaded this way; link collections (Tags, Milestones) keep one request each.  A group whose
members do not add up to an item's ``Count`` is not trusted for that item: it falls back to
its own collection read.  Members come in the same order as a single collection read
(``ORDER`` below, sent by both paths).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..protocol import oid_from_ref, ref_path, type_path_from_ref

CHUNK = 40  # owners per query: keeps the query string a few KB long


@dataclass(frozen=True)
class Inverse:
    """A collection whose members point back at their owner through ``via``."""

    member: str  # entity path of the member type
    via: str
    order: str = "ObjectID"


# (owner type path prefix, collection attribute) -> how to find members.  Owner type paths are
# lower-case as in refs; "" matches any owner.
INVERSES: dict[tuple[str, str], Inverse] = {
    ("", "Tasks"): Inverse("Task", "WorkProduct", "TaskIndex,ObjectID"),
    ("hierarchicalrequirement", "Children"): Inverse("HierarchicalRequirement", "Parent"),
    ("portfolioitem", "Children"): Inverse("PortfolioItem", "Parent"),
    ("project", "Children"): Inverse("Project", "Parent"),
    ("hierarchicalrequirement", "Defects"): Inverse("Defect", "Requirement"),
    ("testcase", "Defects"): Inverse("Defect", "TestCase"),
    ("", "TestCases"): Inverse("TestCase", "WorkProduct"),
    ("testcaseresult", "Attachments"): Inverse("Attachment", "TestCaseResult"),
    ("", "Attachments"): Inverse("Attachment", "Artifact"),
    ("", "Discussion"): Inverse("ConversationPost", "Artifact"),
    ("portfolioitem/feature", "UserStories"): Inverse("HierarchicalRequirement", "PortfolioItem"),
    ("testcase", "Results"): Inverse("TestCaseResult", "TestCase"),
    ("testcase", "Steps"): Inverse("TestCaseStep", "TestCase"),
}


def inverse_for(owner_ref: str, attr: str) -> Inverse | None:
    """The inverse relation behind ``attr`` on the object at ``owner_ref``, if known."""
    owner = type_path_from_ref(owner_ref).lower()
    best: Inverse | None = None
    best_len = -1
    for (prefix, name), inverse in INVERSES.items():
        if name == attr and owner.startswith(prefix) and len(prefix) > best_len:
            best, best_len = inverse, len(prefix)
    return best


def member_query(inverse: Inverse, owner_refs: list[str]) -> str:
    """``((via = /a/1) OR (via = /a/2) ...)`` over short refs, left-nested like every query."""
    terms = [f"({inverse.via} = /{ref_path(ref)})" for ref in owner_refs]
    query = terms[0]
    for term in terms[1:]:
        query = f"({query} OR {term})"
    return query


@dataclass
class PageGroup:
    """The raw items of one page of results, and the collections loaded for all of them."""

    items: list[dict[str, Any]]
    loaded: dict[str, dict[Any, list[dict[str, Any]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # attr -> {owner oid: Count}, worked out once per attribute (a page has up to 2,000 items)
    _counts: dict[str, dict[Any, int]] = field(default_factory=dict)

    def owners(self, attr: str) -> list[tuple[str, int]]:
        """(owner ref, Count) for every item of the page whose ``attr`` collection is not empty."""
        out = []
        for item in self.items:
            summary = item.get(attr)
            ref = item.get("_ref")
            if isinstance(summary, dict) and summary.get("Count") and isinstance(ref, str):
                out.append((ref, int(summary["Count"])))
        return out

    def _expected(self, attr: str) -> dict[Any, int]:
        counts = self._counts.get(attr)
        if counts is None:
            counts = {}
            for ref, count in self.owners(attr):
                counts.setdefault(oid_from_ref(ref), count)
            self._counts[attr] = counts
        return counts

    def members(self, attr: str, owner_ref: str) -> list[dict[str, Any]] | None:
        """The loaded members of one owner's collection, or None when not loaded (or untrusted)."""
        by_owner = self.loaded.get(attr)
        if by_owner is None:
            return None
        key = oid_from_ref(owner_ref)
        found = by_owner.get(key)
        expected = self._expected(attr).get(key)
        if found is None or expected is None or len(found) != expected:
            return None
        return found

    def store(self, attr: str, inverse: Inverse, members: list[dict[str, Any]]) -> None:
        by_owner: dict[Any, list[dict[str, Any]]] = {}
        for member in members:
            owner = member.get(inverse.via)
            if isinstance(owner, dict) and isinstance(owner.get("_ref"), str):
                by_owner.setdefault(oid_from_ref(owner["_ref"]), []).append(member)
        self.loaded[attr] = by_owner
