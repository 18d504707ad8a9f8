"""An entity's bookkeeping, behind functions: loaded or not, pending collections, its page, its context.

An entity keeps Rally's attributes in its ``__dict__``; the keys below sit beside them and are
pyral's own.  Only the model names them; the clients and the CLI go through these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .prefetch import PageGroup

COMPLETE = "_complete"  # every attribute is present (a full read, or fetch=true)
HYDRATED = "_hydrated"  # upstream's flag: anything beyond a shell was fetched (kept for compatibility)
LAZY = "_lazy"  # collection attribute -> its ref, not loaded yet
CONTEXT = "_context"  # the RallyContext the entity was read in
PAGE_GROUP = "_page_group"  # the page of results it came in (page-wide collection loads)
LOADER = "_rally_ref"  # the client that made it (the Loader)
FETCHED = "_fetched"  # the names of a partial fetch list
BOOKKEEPING = frozenset({COMPLETE, HYDRATED, LAZY, CONTEXT, PAGE_GROUP, LOADER, FETCHED})


def is_complete(inst: Any) -> bool:
    """True when every attribute of ``inst`` is present (no read would add one)."""
    return bool(inst.__dict__.get(COMPLETE))


def mark_loaded(inst: Any) -> None:
    """``inst`` now holds every attribute (after a full read)."""
    inst.__dict__[HYDRATED] = True
    inst.__dict__[COMPLETE] = True


def mark_stale(inst: Any, attr: str) -> None:
    """``attr`` changed on the server: drop it, and let the next read of a missing attribute reload."""
    inst.__dict__.pop(attr, None)
    inst.__dict__[COMPLETE] = False


def context_of(inst: Any) -> Any:
    """The context (workspace) the entity was read in, or None."""
    return inst.__dict__.get(CONTEXT)


def pending(inst: Any) -> dict[str, str]:
    """Collection attributes not loaded yet: name -> ref of the collection."""
    lazy: dict[str, str] = inst.__dict__.get(LAZY) or {}
    return lazy


def settle(inst: Any, attr: str, items: list[Any]) -> None:
    """The collection ``attr`` is loaded: ``items`` are its members."""
    inst.__dict__[attr] = items
    pending(inst).pop(attr, None)


def page_group(inst: Any) -> PageGroup | None:
    """The page of results ``inst`` came in, if it came in a query page."""
    group: PageGroup | None = inst.__dict__.get(PAGE_GROUP)
    return group


def join_page(inst: Any, group: PageGroup) -> None:
    """``inst`` came in the page ``group`` (its collections may be loaded for the whole page)."""
    inst.__dict__[PAGE_GROUP] = group


def rally_attributes(inst: Any) -> list[str]:
    """Names of the Rally attributes ``inst`` holds or has pending (bookkeeping left out), no I/O."""
    d = inst.__dict__
    return sorted({k for k in d if k not in BOOKKEEPING} | set(pending(inst)))
