"""``Rally``: upstream pyral's client class, assembled from one module per concern.

Each part is a class that builds on the one before it, so a module can be read alone and
needs only what comes earlier: :mod:`.core` (connect, send, token, logging) → :mod:`.names`
→ :mod:`.reads` → :mod:`.writes` → :mod:`.scoping` → :mod:`.users` → :mod:`.collections`
→ :mod:`.attachments` → :mod:`.batch`.  One ``Rally`` instance may be shared by many threads.
"""

from __future__ import annotations

from .batch import Batch
from .lookback import LookbackMixin

__all__ = ["Rally"]


class Rally(Batch, LookbackMixin):
    """A connection to Rally WSAPI v2.0 (upstream ``pyral.Rally`` API)."""
