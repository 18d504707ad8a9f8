"""The control plane under ``/emulator/``: outside WSAPI, admin credentials only.

* ``POST /emulator/reset`` — back to the state at start.
* ``PUT /emulator/users/<UserName>/credentials`` with ``{"password": ..., "api_key": ...}``.
* ``GET /emulator/export`` / ``POST /emulator/import`` — the whole store as JSON.
* ``POST /emulator/recyclebin/<oid>/restore`` — restore a recycled artifact.
* ``POST /emulator/workspaces/<oid>/customfields`` with ``{"type": "Defect", "name": "Customer",
  "attribute_type": "STRING", "allowed_values": [...]}`` — add a workspace custom field.
* ``GET /emulator/clock`` — the emulator's now; ``PUT /emulator/clock`` with ``{"now": "<ISO 8601>"}``
  (``null``: the real clock) or ``{"advance": <seconds>}``; never back before a recorded write (409).
* ``POST /emulator/faults`` with ``{"method": "GET", "path": "<regex>", "kind": "429|503|reset|slow",
  "count": N, "retry_after": S, "delay": S}`` — fault the next N matching requests;
  ``GET`` lists the pending faults, ``DELETE`` clears them.
* ``GET /emulator/health`` — liveness (any authenticated user).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import service
from .backend import ClockError, Principal, hash_password
from .clock import iso_ms, parse_iso
from .errors import WsapiError
from .faults import FaultError, parse_fault
from .payload import PARSE_ERROR, load_json
from .routing import Request

if TYPE_CHECKING:
    from .front import Answer, App

EXPORT_FORMAT = "pyral-emulator-store"
EXPORT_VERSION = 1


def _json(status: int, body: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()


def _error(status: int, message: str) -> Answer:
    return _json(status, {"Errors": [message]})


def handle(app: App, req: Request, rest: str, principal: Principal) -> Answer:
    parts = [p for p in rest.split("/") if p]
    if parts == ["health"] and req.method == "GET":
        return _json(200, {"status": "ok"})
    if parts == ["clock"] and req.method == "GET":
        return _clock_state(app)
    if not principal.sub_admin or principal.user.data.get("UserName", "").lower() != app.backend.admin_user.lower():
        return _error(403, "Forbidden: the emulator control plane needs the admin credentials")
    backend = app.backend
    if parts == ["reset"] and req.method == "POST":
        if app.on_reset is None:
            return _error(409, "This emulator has no reset snapshot")
        app.on_reset()
        return _json(200, {"reset": True})
    if len(parts) == 3 and parts[0] == "users" and parts[2] == "credentials" and req.method == "PUT":
        return _credentials(app, req, parts[1])
    if parts == ["clock"] and req.method == "PUT":
        return _set_clock(app, req)
    if parts == ["faults"]:
        return _faults(app, req)
    if parts == ["export"] and req.method == "GET":
        return _json(200, {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "tables": backend.store.dump()})
    if parts == ["import"] and req.method == "POST":
        return _import(app, req)
    if len(parts) == 3 and parts[0] == "workspaces" and parts[2] == "customfields" and req.method == "POST":
        return _custom_field(app, req, parts[1], principal)
    if len(parts) == 3 and parts[0] == "recyclebin" and parts[2] == "restore" and req.method == "POST":
        if not parts[1].isdigit():
            return _error(400, f"Bad recycle bin entry id: {parts[1]}")
        entry = backend.store.get(int(parts[1]))
        if entry is None or entry.type != "RecycleBinEntry":
            return _error(404, f"No recycle bin entry {parts[1]}")
        try:
            row = service.restore(backend, entry)
        except WsapiError as exc:
            return _error(409, exc.message)
        return _json(200, {"restored": row.oid, "type": row.type})
    return _error(404, f"Unknown control-plane request: {req.method} /emulator/{rest}")


def _body(req: Request) -> Any:
    """The body as strict JSON (finite numbers only); ValueError names what is wrong."""
    try:
        return load_json(req.body, empty=None)
    except WsapiError as exc:
        raise ValueError("The body is not valid JSON: " + exc.message.removeprefix(PARSE_ERROR)) from None


def _clock_state(app: App) -> Answer:
    clock = app.backend.clock
    return _json(200, {"now": iso_ms(clock.now()), "emulated": clock.emulated})


def _set_clock(app: App, req: Request) -> Answer:
    try:
        body = _body(req)
    except ValueError as exc:
        return _error(400, str(exc))
    if not isinstance(body, dict) or len(body) != 1 or not ({"now", "advance"} & set(body)):
        return _error(400, 'Give {"now": "<ISO 8601 date-time>"} ({"now": null}: the real clock) or '
                           '{"advance": <seconds>}')
    try:
        if "advance" in body:
            app.backend.advance_clock(body["advance"])
        elif body["now"] is None:
            app.backend.set_clock(None)
        else:
            if not isinstance(body["now"], str):
                return _error(400, f"now must be an ISO 8601 date-time or null, not {body['now']!r}")
            try:
                when = parse_iso(body["now"])
            except ValueError:
                return _error(400, f"now must be an ISO 8601 date-time with a time zone, not {body['now']!r}")
            app.backend.set_clock(when)
    except ClockError as exc:
        return _error(409, str(exc))
    except ValueError as exc:
        return _error(400, str(exc))
    except OverflowError:
        return _error(400, "The clock cannot go past the year 9999")
    return _clock_state(app)


def _credentials(app: App, req: Request, username: str) -> Answer:
    try:
        body = _body(req)
    except ValueError as exc:
        return _error(400, str(exc))
    if not isinstance(body, dict) or not ({"password", "api_key"} & set(body)):
        return _error(400, 'Give {"password": ...} and/or {"api_key": ...}')
    for key in ("password", "api_key"):
        if key in body and (not isinstance(body[key], str) or not body[key]):
            return _error(400, f"{key} must be a non-empty string")
    store = app.backend.store
    rows = store.select("o.type = 'User' AND o.deleted = 0 AND lower(json_extract(o.data, '$.\"UserName\"')) = ?",
                        [username.lower()], limit=1)
    if not rows:
        return _error(404, f"No user with UserName {username}")
    owner = store.user_for_api_key(body["api_key"]) if "api_key" in body else None
    if owner is not None and owner != rows[0].oid:
        return _error(409, "That API key belongs to another user")
    store.set_credentials(rows[0].oid, password=hash_password(body["password"]) if "password" in body else None,
                          api_key=body.get("api_key"))
    return _json(200, {"user": rows[0].oid, "updated": sorted(k for k in ("password", "api_key") if k in body)})


def _faults(app: App, req: Request) -> Answer:
    if req.method == "GET":
        return _json(200, {"faults": app.faults.pending(), "fired": dict(app.faults.fired)})
    if req.method == "DELETE":
        return _json(200, {"cleared": app.faults.clear()})
    try:
        body = _body(req)
        specs = body if isinstance(body, list) else [body]
        if not specs:
            raise FaultError("Give one fault, or a non-empty list of them")
        faults = [parse_fault(spec) for spec in specs]  # all valid, or none is added
    except (ValueError, FaultError) as exc:
        return _error(400, str(exc))
    for fault in faults:
        app.faults.add(fault)
    return _json(200, {"faults": app.faults.pending()})


def _import(app: App, req: Request) -> Answer:
    try:
        body = _body(req)
    except ValueError as exc:
        return _error(400, str(exc))
    if not isinstance(body, dict) or body.get("format") != EXPORT_FORMAT or not isinstance(body.get("tables"), dict):
        return _error(400, f'Expected an export document: {{"format": "{EXPORT_FORMAT}", "version": 1, "tables": {{...}}}}')
    try:
        app.backend.store.load(body["tables"])
    except Exception as exc:  # noqa: BLE001 - the load is atomic; report what was wrong
        return _error(400, f"Import failed, nothing changed: {type(exc).__name__}: {exc}")
    app.backend.reload()
    return _json(200, {"imported": {k: len(v) for k, v in body["tables"].items()}})


def _custom_field(app: App, req: Request, workspace: str, principal: Principal) -> Answer:
    try:
        body = _body(req)
    except ValueError as exc:
        return _error(400, str(exc))
    if not workspace.isdigit():
        return _error(400, f"Bad workspace id: {workspace}")
    ws = app.backend.store.get(int(workspace))
    if ws is None or ws.type != "Workspace":
        return _error(404, f"No workspace {workspace}")
    if not isinstance(body, dict) or not body.get("type") or not body.get("name"):
        return _error(400, 'Give {"type": "<Rally type>", "name": "<field name>", "attribute_type": "STRING", ...}')
    ctx = service.WriteContext(app.backend, principal, ws.oid, None, "AttributeDefinition")
    payload = {"Name": body["name"], "AttributeType": body.get("attribute_type", "STRING"),
               "TypePath": body["type"], "Workspace": ws.oid, "AllowedValues": body.get("allowed_values"),
               "Required": body.get("required", False), "Hidden": body.get("hidden", False)}
    try:
        row = service.create_custom_field(ctx, payload)
    except WsapiError as exc:
        return _error(400, exc.message)
    return _json(200, {"ObjectID": row.oid, "ElementName": row.data["ElementName"], "type": row.data["OwnerTypePath"]})
