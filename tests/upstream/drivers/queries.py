"""Data-driven queries: ``data["queries"]`` maps a label to {"entity", "kwargs", "fields"}.

For each label the driver runs ``rally.get(entity, **kwargs)`` (``find`` when asked), iterates the
whole response and reports status, counts, paging numbers, errors and, per item, the requested
(dotted) attribute values.  A missing attribute is reported as the string "<AttributeError>".
"""

from __future__ import annotations

from _common import Checks, connect, setup

cfg = setup()
check = Checks()
rally = connect(cfg, auth=cfg["data"].get("auth", "basic"))
MISSING = "<AttributeError>"


def value(item, path):
    current = item
    for part in path.split("."):
        if part == "__class__":
            return type(current).__name__
        try:
            current = getattr(current, part)
        except AttributeError:
            return MISSING
        if current is None:
            return None
    if isinstance(current, list):
        return [getattr(x, "Name", repr(x)) for x in current]
    if isinstance(current, (str, int, float, bool)):
        return current
    return getattr(current, "Name", repr(current))


def run(spec):
    kwargs = dict(spec.get("kwargs", {}))
    method = rally.find if spec.get("find") else rally.get
    resp = method(spec["entity"], **kwargs)
    fields = spec.get("fields", ["Name"])
    if kwargs.get("instance") and type(resp).__name__ != "RallyRESTResponse":
        return {"instance": type(resp).__name__, "item": {f: value(resp, f) for f in fields}}
    out = {"status": resp.status_code, "errors": list(resp.errors), "warnings": list(resp.warnings),
           "resultCount": getattr(resp, "resultCount", None), "pageSize": getattr(resp, "pageSize", None),
           "max_threads": getattr(resp, "max_threads", None), "response": type(resp).__name__}
    if resp.status_code == 200:
        out["items"] = [{f: value(item, f) for f in fields} for item in resp]
    return out


for label, spec in cfg["data"]["queries"].items():
    check.run(label, lambda spec=spec: run(spec))

check.emit()
