"""The workspace schema document (``GET /slm/schema/v2.0/workspace/<oid>``), rendered once per change.

The document is the whole schema (~2.4 MB of JSON) and every upstream pyral connect reads it, so
:class:`SchemaDocuments` keeps its serialized bytes (and, once asked for, their gzip form) per
workspace, base URL and *content*: a digest of every stored object of the types the document is
read from (:data:`SCHEMA_FROM`).  The digest is computed again only when the store's write counts
of those types moved (a write, an undone write, an import, a reset), so an unchanged store costs
one comparison, and a store reset back to a state already seen (as tests do between tests) finds
its document kept.  The document is the same for every caller; whether the caller may read the
workspace is decided before the cache, on every request.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .store import Store

# Every object type the document reads: custom fields and their values, the TypeDefinitions
# (names, parents), the workspace's and the subscription's names.
SCHEMA_FROM = ("AttributeDefinition", "AllowedAttributeValue", "TypeDefinition", "Workspace", "Subscription")
MAX_DOCUMENTS = 8  # kept documents; a caller inventing Host headers evicts, never grows the cache
GZIP_LEVEL = 1  # as the HTTP front's gzip middleware compresses


@dataclass
class Document:
    """One rendered schema (and its gzip form once asked for)."""

    body: bytes
    gzipped: bytes | None = None


class SchemaDocuments:
    """Rendered schema documents of one emulator, with the count of full renders (for tests)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._docs: OrderedDict[tuple[int, str, str], Document] = OrderedDict()
        self._lock = threading.Lock()  # one render at a time: concurrent first reads wait for it
        self._stamp: tuple[int, int] | None = None  # the write counts the digest below was taken at
        self._digest = ""
        self.renders = 0

    def get(self, workspace: int, base: str, render: Callable[[], bytes], *, gzipped: bool = False) -> bytes:
        """The document of ``workspace`` as seen at ``base`` (gzip-compressed if asked); ``render()``
        serializes it from the store, called only when no document of the store's content is kept."""
        with self._lock:
            key = (workspace, base, self._content())
            doc = self._docs.get(key)
            if doc is None:
                key, doc = self._fresh(workspace, base, render)
                self._docs[key] = doc
                while len(self._docs) > MAX_DOCUMENTS:
                    self._docs.popitem(last=False)
            self._docs.move_to_end(key)
            if not gzipped:
                return doc.body
            if doc.gzipped is None:
                doc.gzipped = gzip.compress(doc.body, GZIP_LEVEL, mtime=0)
            return doc.gzipped

    def kept(self) -> list[tuple[int, str]]:
        """The (workspace, base URL) pairs of the kept documents (one per content seen)."""
        with self._lock:
            return [(workspace, base) for workspace, base, _digest in self._docs]

    def _content(self) -> str:
        """The digest of what the document reads, taken again only if those types were written."""
        with self.store.lock:
            stamp = self.store.writes_of(SCHEMA_FROM)
            if stamp != self._stamp:
                self._stamp, self._digest = stamp, self.store.fingerprint(SCHEMA_FROM)
            return self._digest

    def _fresh(self, workspace: int, base: str, render: Callable[[], bytes]) -> tuple[tuple[int, str, str], Document]:
        """Render without holding the store; if a write of the schema's types came in meanwhile
        the render may mix before and after, so it is done again with the store held."""
        stamp = self.store.writes_of(SCHEMA_FROM)
        self.renders += 1
        body = render()
        with self.store.lock:
            if self.store.writes_of(SCHEMA_FROM) != stamp:
                self.renders += 1
                body = render()
            return (workspace, base, self._content()), Document(body)
