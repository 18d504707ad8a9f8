"""pyral.emulator: a local Rally WSAPI v2.0 server (SQLite storage, HTTP and HTTPS).

Use it embedded (``with Emulator(demo=True) as emu: ...``), from the command line
(``pyral serve`` or ``python -m pyral.emulator``), or through the pytest fixture
``rally_emulator``.  It never imports the pyral client: the two wings stay apart.
"""

from .app import Emulator
from .backend import DEFAULT_ADMIN_API_KEY, DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_USER

__all__ = ["DEFAULT_ADMIN_API_KEY", "DEFAULT_ADMIN_PASSWORD", "DEFAULT_ADMIN_USER", "Emulator"]
