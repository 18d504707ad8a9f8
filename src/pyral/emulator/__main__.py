"""``python -m pyral.emulator`` runs the emulator (same options as ``pyral serve``)."""

import sys

from .cli import main

sys.exit(main(prog="python -m pyral.emulator"))
