"""A plain httpx WSAPI client for the emulator's own HTTP tests (never pyral's client).

``wsapi`` is a :class:`Wsapi` bound to the session's plain emulator (API-key auth), reset to a
clean store before each test that asks for it.  Requests go through the emulator's in-process
transport (the whole app, no socket) unless the emulator is TLS or ``network=True``; the store
is only looked at directly to fingerprint it (proving a refused write changed nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyral.emulator import Emulator

CAPTURES = Path(__file__).parent / "captures"
API = "/slm/webservice/v2.0"


def load_capture(name: str) -> dict[str, Any]:
    path = CAPTURES / name
    if not path.is_file():
        pytest.fail(f"capture {name} is missing from {CAPTURES} (copied from shared/captures/rally-node-ng)")
    return json.loads(path.read_text(encoding="utf-8"))


class Wsapi:
    """A thin WSAPI client over httpx: relative paths, envelope unwrapping, no cleverness."""

    def __init__(self, emu: Emulator, *, api_key: str | None = None, network: bool | None = None,
                 **client_args: Any) -> None:
        """``network``: over a socket (default: only for a TLS emulator; else in-process, no socket)."""
        self.emu = emu
        headers = {"ZSESSIONID": api_key or emu.admin_api_key}
        headers.update(client_args.pop("headers", {}))
        if not (emu.tls if network is None else network):
            client_args.setdefault("transport", emu.transport())
        self.http = httpx.Client(base_url=emu.url, headers=headers, verify=False, timeout=30, **client_args)

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def path(path: str) -> str:
        if path.startswith(("http://", "https://", "/slm/", "/emulator")):
            return path
        return f"{API}/{path.lstrip('/')}"

    # -- raw -------------------------------------------------------------------------------
    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, self.path(path), **kw)

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        r = self.request("GET", path, params=params)
        assert r.status_code == 200, (r.status_code, r.text[:500])
        return r.json()

    # -- envelopes -------------------------------------------------------------------------
    def query(self, type_path: str, **params: Any) -> dict[str, Any]:
        body = self.get(type_path, **params)
        assert list(body) == ["QueryResult"], body
        return body["QueryResult"]

    def rows(self, type_path: str, **params: Any) -> list[dict[str, Any]]:
        qr = self.query(type_path, **params)
        assert qr["Errors"] == [], qr["Errors"]
        return qr["Results"]

    def read(self, ref: str, **params: Any) -> dict[str, Any]:
        """The single-object envelope's inner object (asserting no errors)."""
        body = self.get(ref, **params)
        (key, inner), = body.items()
        assert key != "OperationResult", inner
        assert inner["Errors"] == [], inner["Errors"]
        return inner

    def create_raw(self, type_path: str, body: Any, method: str = "POST", **params: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {"params": params}
        if isinstance(body, bytes | str):
            kw["content"] = body
        else:
            kw["json"] = body
        last = type_path.rstrip("/").rsplit("/", 1)[-1].lower()
        r = self.request(method, type_path if last in ("create", "create.js") else f"{type_path}/create", **kw)
        assert r.status_code == 200, (r.status_code, r.text[:500])
        data = r.json()
        assert list(data) == ["CreateResult"], data
        return data["CreateResult"]

    def create(self, type_path: str, fields: dict[str, Any], **params: Any) -> dict[str, Any]:
        """Create and return ``CreateResult.Object`` (asserting success)."""
        wrapper = type_path.split("/")[-1]
        result = self.create_raw(type_path, {wrapper: fields}, **params)
        assert result["Errors"] == [], result["Errors"]
        return result["Object"]

    def update_raw(self, ref: str, body: Any, method: str = "POST", **params: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {"params": params}
        if isinstance(body, bytes | str):
            kw["content"] = body
        else:
            kw["json"] = body
        r = self.request(method, ref, **kw)
        assert r.status_code == 200, (r.status_code, r.text[:500])
        data = r.json()
        assert list(data) == ["OperationResult"], data
        return data["OperationResult"]

    def update(self, ref: str, fields: dict[str, Any], **params: Any) -> dict[str, Any]:
        type_seg = ref.split(f"{API}/", 1)[-1].rsplit("/", 1)[0].split("/")[-1]
        result = self.update_raw(ref, {type_seg: fields}, **params)
        assert result["Errors"] == [], result["Errors"]
        return result["Object"]

    def delete(self, ref: str, **params: Any) -> dict[str, Any]:
        r = self.request("DELETE", ref, params=params)
        assert r.status_code == 200, (r.status_code, r.text[:500])
        return r.json()["OperationResult"]

    # -- conveniences ----------------------------------------------------------------------
    def default_workspace(self) -> dict[str, Any]:
        return self.rows("workspace", fetch="ObjectID,Name")[0]

    def default_project(self) -> dict[str, Any]:
        return self.rows("project", fetch="ObjectID,Name", project="null")[0]

    def typedef(self, type_path: str) -> dict[str, Any]:
        """The TypeDefinition of ``type_path`` (ObjectID and Attributes)."""
        return self.rows("typedefinition", query=f'(TypePath = "{type_path}")', fetch="ObjectID,Attributes")[0]

    def attribute(self, type_path: str, element: str) -> dict[str, Any]:
        """The AttributeDefinition ``element`` of ``type_path``, read through its typedef's Attributes."""
        td = self.typedef(type_path)
        return self.rows(f"typedefinition/{td['ObjectID']}/Attributes", query=f'(ElementName = "{element}")')[0]

    def member(self, user_name: str, role: str, project: dict[str, Any] | None = None) -> httpx.Client:
        """A client (API key, in-process) of a new user whose only grant is ``role`` (Viewer, Editor,
        Admin) on ``project`` (default: the default project); the caller closes it."""
        user = self.create("user", {"UserName": user_name, "EmailAddress": user_name})
        self.create("projectpermission", {"User": user["_ref"], "Role": role,
                                          "Project": (project or self.default_project())["_ref"]})
        key = f"_key_{user_name.split('@', 1)[0]}_".ljust(32, "0")
        answer = self.request("PUT", f"/emulator/users/{user_name}/credentials", json={"api_key": key})
        assert answer.status_code == 200, answer.text
        return httpx.Client(transport=self.emu.transport(), base_url=self.emu.url, headers={"ZSESSIONID": key})

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything a write could change in the store, in one comparable value."""
        store = self.emu.backend.store  # type: ignore[union-attr]
        objects = store.execute("SELECT count(*), coalesce(sum(version), 0), coalesce(max(updated), ''),"
                                " coalesce(sum(deleted), 0), coalesce(sum(length(data)), 0) FROM objects")[0]
        links = store.execute("SELECT count(*) FROM links")[0]
        blobs = store.execute("SELECT count(*) FROM blobs")[0]
        counters = store.execute("SELECT count(*), coalesce(sum(value), 0) FROM counters")[0]
        return (*objects, *links, *blobs, *counters)


def oid_of(ref: str) -> int:
    return int(ref.rstrip("/").rsplit("/", 1)[1])


def short(ref: str) -> str:
    """``https://host/slm/webservice/v2.0/defect/12`` -> ``/defect/12``."""
    return "/" + ref.split(f"{API}/", 1)[1]


def inner(body: dict[str, Any]) -> dict[str, Any]:
    """The object inside a WSAPI envelope (``QueryResult``, ``CreateResult``, a typed read ...)."""
    return next(iter(body.values()))


def create_with(client: httpx.Client, type_name: str, fields: dict[str, Any], **params: Any) -> dict[str, Any]:
    """Create through any httpx client (any credentials); the created object, which must have no errors."""
    body = inner(client.post(f"{API}/{type_name.lower()}/create", params=params, json={type_name: fields}).json())
    assert body["Errors"] == [], body["Errors"]
    return body["Object"]
