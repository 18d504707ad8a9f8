"""Run by the upstream interpreter *and* ours: every public name of every ``pyral`` module.

Prints JSON ``{module: {name: {"kind": ..., "value": ...}}}``.  Public: not starting with ``_``
and not a module, class or function re-imported from outside ``pyral`` (``os``, ``re``, ...).
``value`` is given for plain data (str, int, float, bool, lists/tuples and dicts of them, and
a regex's pattern text) so the two sides can be compared.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys
import types
from collections.abc import Mapping
from typing import Any

PLAIN = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    if isinstance(value, PLAIN):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, PLAIN) for v in value):
        return list(value)
    if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, PLAIN) for k, v in value.items()):
        return dict(value)
    if isinstance(value, re.Pattern):
        return {"regex": value.pattern}
    return "<object>"


def describe(value: Any) -> dict[str, Any]:
    if isinstance(value, types.ModuleType):
        return {"kind": "module"}
    if isinstance(value, type):
        return {"kind": "class"}
    if callable(value):
        return {"kind": "callable"}
    return {"kind": "value", "value": plain(value)}


def public(module: types.ModuleType) -> dict[str, Any]:
    out = {}
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        origin = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        foreign = origin is not None and not str(origin).startswith("pyral")
        if foreign and (isinstance(value, (types.ModuleType, type)) or callable(value)):
            continue
        out[name] = describe(value)
    return out


def main() -> None:
    import pyral

    names = sys.argv[1:] or ["pyral"] + [f"pyral.{m.name}" for m in pkgutil.iter_modules(pyral.__path__)]
    result = {}
    for name in names:
        try:
            result[name] = public(importlib.import_module(name))
        except ImportError:
            result[name] = None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
