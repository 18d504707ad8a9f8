"""The entity model: entity classes, hydration of WSAPI items, the schema cache, page-wide loads.

No I/O and no client: whatever an entity lacks is loaded through :class:`~pyral.model.loader.Loader`.
"""
