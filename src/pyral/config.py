"""Upstream import path ``pyral.config``: re-exports of :mod:`pyral.support.settings` (names only; the logic lives there)."""

from .support.settings import *  # noqa: F403
from .support.settings import __all__  # noqa: F401
