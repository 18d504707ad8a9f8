"""The package version, as a tuple like upstream pyral's ``__version__``."""

__version__: tuple[int, int, int] = (2, 0, 0)
VERSION_STRING = ".".join(str(part) for part in __version__)
