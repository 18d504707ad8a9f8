"""Upstream import path ``pyral.cargotruck`` (compatibility shim; see ``pyral.client.response``)."""

from .client.response import CargoTruck

__all__ = ["CargoTruck"]
