"""The ``pyral`` command line (click + rich): query, show, create/update/delete, attachments,
bulk export/import, schema browsing, and ``pyral serve`` for the local emulator.

This package is the only place that imports both the client and the emulator.
"""
