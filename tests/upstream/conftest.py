"""Drive the real, unmodified upstream pyral 1.7.0 against our emulator.

Upstream pyral and our package share the import name ``pyral``, so upstream runs in its own
virtualenv, in a subprocess per scenario: a *driver* script under ``drivers/`` reads a JSON
config on stdin, performs a group of checks with upstream pyral and prints one JSON line
(prefixed with ``RESULT_MARKER``) on stdout.  The emulator runs in-process on a free loopback
port; each test module owns a fresh one and seeds the data it needs through WSAPI (httpx).

Each check's outcome is recorded separately, so one module-scoped driver run feeds many small
tests (keeps the number of ~0.5 s upstream start-ups low) and a failure names the check.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyral.emulator import Emulator

HERE = Path(__file__).resolve().parent
DRIVERS = HERE / "drivers"
REPO = HERE.parents[1]
RESULT_MARKER = "@@UPSTREAM-RESULT@@ "
DRIVER_TIMEOUT = 120


def _find_upstream_python() -> tuple[str | None, str]:
    configured = os.environ.get("PYRAL_UPSTREAM_PYTHON")
    candidate = Path(configured) if configured else REPO / ".venv-upstream" / "bin" / "python"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate), ""
    origin = "PYRAL_UPSTREAM_PYTHON" if configured else "the default location"
    return None, (f"upstream pyral 1.7.0 interpreter not found at {candidate} ({origin}); "
                  "run scripts/setup.sh to create .venv-upstream")


@pytest.fixture(scope="session")
def upstream_python() -> str:
    """The interpreter of the venv that holds upstream pyral 1.7.0 (skip, or fail under CI, if absent)."""
    path, reason = _find_upstream_python()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


# -- running drivers -------------------------------------------------------------------------

@dataclass
class DriverResult:
    """The checks one driver run recorded: name -> {"ok", "value"} or {"ok": False, "error", "trace"}."""

    driver: str
    checks: dict[str, dict[str, Any]]
    stderr: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def _entry(self, name: str) -> dict[str, Any]:
        if name not in self.checks:
            pytest.fail(f"driver {self.driver} recorded no check {name!r} (has: {sorted(self.checks)})\n"
                        f"stderr:\n{self.stderr[-3000:]}", pytrace=False)
        return self.checks[name]

    def __getitem__(self, name: str) -> Any:
        """The value a check returned; fails the test with upstream's traceback if it raised."""
        entry = self._entry(name)
        if not entry["ok"]:
            pytest.fail(f"upstream check {self.driver}:{name} raised {entry['error']}\n{entry.get('trace', '')}",
                        pytrace=False)
        return entry["value"]

    def error(self, name: str) -> dict[str, Any]:
        """The exception a check raised: {"type": "module.Class", "message": str}; fails if none was raised."""
        entry = self._entry(name)
        if entry["ok"]:
            pytest.fail(f"upstream check {self.driver}:{name} was expected to raise, returned {entry['value']!r}",
                        pytrace=False)
        return {"type": entry["error_type"], "message": entry["error_message"]}


def upstream_env() -> dict[str, str]:
    env = dict(os.environ)
    # These make requests ignore verify=False; PYTHONPATH could smuggle our own pyral in.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PYTHONPATH", "HTTPS_PROXY", "https_proxy",
                 "HTTP_PROXY", "http_proxy", "RALLY_CONFIG", "RALLY_SERVER", "RALLY_USER", "RALLY_PASSWORD",
                 "APIKEY", "RALLY_WORKSPACE", "RALLY_PROJECT"):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_driver(python: str, driver: str, emu: Emulator, *, cwd: Path, data: dict[str, Any] | None = None,
               user: str | None = None, password: str | None = None, apikey: str | None = None,
               timeout: float = DRIVER_TIMEOUT) -> DriverResult:
    """Run ``drivers/<driver>.py`` under the upstream interpreter against ``emu``."""
    config = {
        "server": emu.server,
        "protocol": emu.scheme,
        "user": user if user is not None else emu.admin_user,
        "password": password if password is not None else emu.admin_password,
        "apikey": apikey if apikey is not None else emu.admin_api_key,
        "data": data or {},
    }
    script = DRIVERS / f"{driver}.py"
    proc = subprocess.run([python, str(script)], input=json.dumps(config), capture_output=True, text=True,
                          env=upstream_env(), cwd=cwd, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
    if proc.returncode != 0 or not lines:
        pytest.fail(f"driver {driver} exited with {proc.returncode} and no result\n"
                    f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}", pytrace=False)
    payload = json.loads(lines[-1][len(RESULT_MARKER):])
    meta = payload["meta"]
    # Guard against running our own package by accident: this must be upstream 1.7.0 from its venv.
    assert meta["version"] == [1, 7, 0], meta
    assert not Path(meta["file"]).resolve().is_relative_to(REPO / "src"), meta
    return DriverResult(driver, payload["checks"], proc.stderr, meta)


# -- seeding data through WSAPI ----------------------------------------------------------------

class Wsapi:
    """A tiny admin WSAPI client (API key auth, so writes need no security token)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.base = f"{emu.url}/slm/webservice/v2.0"
        self.http = httpx.Client(base_url=self.base, headers={"ZSESSIONID": emu.admin_api_key}, timeout=60,
                                 verify=False)

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def _check(body: dict[str, Any], what: str) -> dict[str, Any]:
        inner = next(iter(body.values()))
        if inner.get("Errors"):
            raise AssertionError(f"{what}: {inner['Errors']}")
        return inner

    def create(self, type_path: str, fields: dict[str, Any], **params: Any) -> dict[str, Any]:
        resp = self.http.put(f"/{type_path.lower()}/create", json={type_path: fields}, params=params)
        resp.raise_for_status()
        return self._check(resp.json(), f"create {type_path} {fields}")["Object"]

    def update(self, ref: str, fields: dict[str, Any]) -> dict[str, Any]:
        path = ref.split("/v2.0/", 1)[-1]
        resp = self.http.post(f"/{path}", json={path.rsplit('/', 1)[0].split('/')[-1]: fields})
        resp.raise_for_status()
        return self._check(resp.json(), f"update {ref} {fields}")["Object"]

    def delete(self, ref: str) -> None:
        path = ref.split("/v2.0/", 1)[-1]
        resp = self.http.delete(f"/{path}")
        resp.raise_for_status()
        self._check(resp.json(), f"delete {ref}")

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        resp = self.http.get(f"/{path.split('/v2.0/', 1)[-1].lstrip('/')}", params=params)
        resp.raise_for_status()
        return resp.json()

    def query(self, type_path: str, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("pagesize", 2000)
        return self._check(self.get(type_path, **params), f"query {type_path}")["Results"]

    def batch_create(self, type_path: str, items: list[dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
        key = type_path.lower()
        entries = [{"Entry": {"Path": f"/{key}/create", "Method": "PUT", "Body": {key: item}}} for item in items]
        resp = self.http.post("/batch", json={"Batch": entries}, params={"fetch": "FormattedID,Name", **params})
        resp.raise_for_status()
        result = self._check(resp.json(), f"batch create {type_path}")
        bad = [r["Errors"] for r in result["Results"] if r.get("Errors")]
        assert not bad, bad[:3]
        return [r["Object"] for r in result["Results"]]

    def set_credentials(self, username: str, *, password: str | None = None, api_key: str | None = None) -> None:
        body = {k: v for k, v in (("password", password), ("api_key", api_key)) if v is not None}
        resp = self.http.put(f"{self.emu.url}/emulator/users/{username}/credentials", json=body)
        assert resp.status_code == 200, resp.text

    # conveniences
    @staticmethod
    def short_ref(obj: dict[str, Any]) -> str:
        """``type/oid`` from a full ``_ref``."""
        return str(obj["_ref"]).split("/v2.0/", 1)[-1]

    def workspace(self, name: str = "Default Workspace") -> dict[str, Any]:
        return next(w for w in self.query("workspace", fetch="ObjectID,Name") if w["Name"] == name)

    def project(self, name: str, workspace: dict[str, Any] | None = None) -> dict[str, Any]:
        ws = workspace or self.workspace()
        found = self.query("project", fetch="ObjectID,Name", query=f'(Name = "{name}")',
                           workspace=f"workspace/{ws['ObjectID']}")
        assert len(found) == 1, (name, found)
        return found[0]


@pytest.fixture(scope="module")
def upstream_emulator() -> Iterator[Emulator]:
    """A fresh HTTP emulator owned by one test module (upstream uses PROTOCOL='http')."""
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def wsapi(upstream_emulator: Emulator) -> Iterator[Wsapi]:
    client = Wsapi(upstream_emulator)
    yield client
    client.close()


@pytest.fixture(scope="module")
def driver_cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty working directory (upstream's rallyWorkset reads rally-*.cfg from the CWD)."""
    return tmp_path_factory.mktemp("upstream-cwd")


@pytest.fixture(scope="module")
def drive(upstream_python: str, upstream_emulator: Emulator, driver_cwd: Path):
    """``drive(driver, data=..., **credentials)`` runs a driver against this module's emulator."""

    def run(driver: str, emu: Emulator | None = None, **kwargs: Any) -> DriverResult:
        return run_driver(upstream_python, driver, emu or upstream_emulator, cwd=driver_cwd, **kwargs)

    return run
