"""Upstream import path ``pyral.config``: re-exports of :mod:`pyral.settings` (names only; the logic lives there)."""

from .settings import *  # noqa: F403
from .settings import __all__  # noqa: F401
