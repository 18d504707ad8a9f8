"""The ``pyral`` subcommands, grouped by theme; each module exports ``COMMANDS``."""
