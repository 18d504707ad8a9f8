"""Upstream import path ``pyral.cargotruck`` (compatibility shim; see ``pyral.response``)."""

from .response import CargoTruck

__all__ = ["CargoTruck"]
