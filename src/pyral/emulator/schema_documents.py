"""The workspace schema document (``GET /slm/schema/v2.0/workspace/<oid>``), rendered once per change.

The document is the whole schema (~2.4 MB of JSON) and every upstream pyral connect reads it, so
:class:`SchemaDocuments` keeps its serialized bytes (and, once asked for, their gzip form) per
workspace and base URL.  Each kept document carries the store's stamp of the object types it is
read from (:data:`SCHEMA_FROM`): a write of one of them, an undone write, an import or a reset
changes the stamp and the next request renders afresh.  The document is the same for every
caller; whether the caller may read the workspace is decided before the cache, on every request.
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
MAX_DOCUMENTS = 8  # (workspace, base URL) pairs kept; a caller inventing Host headers evicts, never grows
GZIP_LEVEL = 1  # as the HTTP front's gzip middleware compresses


@dataclass
class Document:
    """One rendered schema and the store stamp it was rendered at."""

    stamp: tuple[int, int]
    body: bytes
    gzipped: bytes | None = None


class SchemaDocuments:
    """Rendered schema documents of one emulator, with the count of full renders (for tests)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._docs: OrderedDict[tuple[int, str], Document] = OrderedDict()
        self._lock = threading.Lock()  # one render at a time: concurrent first reads wait for it
        self.renders = 0

    def get(self, workspace: int, base: str, render: Callable[[], bytes], *, gzipped: bool = False) -> bytes:
        """The document of ``workspace`` as seen at ``base`` (gzip-compressed if asked); ``render()``
        serializes it from the store, called only when none is kept for the store as it is."""
        key = (workspace, base)
        with self._lock:
            doc = self._docs.get(key)
            if doc is None or doc.stamp != self.store.writes_of(SCHEMA_FROM):
                doc = self._fresh(render)
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
        """The (workspace, base URL) pairs whose documents are kept."""
        with self._lock:
            return list(self._docs)

    def _fresh(self, render: Callable[[], bytes]) -> Document:
        """Render without holding the store; if a write of the schema's types came in meanwhile
        the render may mix before and after, so it is done again with the store held."""
        stamp = self.store.writes_of(SCHEMA_FROM)
        self.renders += 1
        body = render()
        with self.store.lock:
            if self.store.writes_of(SCHEMA_FROM) == stamp:
                return Document(stamp, body)
            self.renders += 1
            return Document(self.store.writes_of(SCHEMA_FROM), render())
