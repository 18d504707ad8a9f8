"""Reading request bodies as strict JSON: finite numbers only, nesting bounded, Rally's error text.

Python's :mod:`json` accepts ``NaN``, ``Infinity`` and ``1e999`` (as infinity); stored, such a
value would make every later answer invalid JSON.  Rally refuses them as unparseable input.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import WsapiError

PARSE_ERROR = "Cannot parse input stream due to I/O error as JSON document: "


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(body: bytes | str, *, empty: Any = ...) -> Any:
    """Decode a request body; ``empty`` (if given) stands for an empty body."""
    if not body:
        if empty is not ...:
            return empty
        raise WsapiError(PARSE_ERROR + "the body is empty")
    try:
        return json.loads(body, parse_float=_finite, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WsapiError(PARSE_ERROR + str(exc)) from None
    except RecursionError:
        raise WsapiError(PARSE_ERROR + "the document is nested too deeply") from None
