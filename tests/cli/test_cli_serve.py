"""``pyral serve`` (delegates to the emulator's own command) and the installed console script."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx


def _pyral() -> list[str]:
    script = Path(sys.executable).with_name("pyral")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pyral.cli.main"]


def test_serve_prints_one_line_and_serves(tmp_path: Path) -> None:
    env = {**os.environ, "RALLY_EMULATOR_ADMIN_API_KEY": "cli-serve-key"}
    proc = subprocess.Popen([*_pyral(), "serve", "--port", "0", "--demo", "--admin-user", "boss@example.com",
                             "--admin-password", "pw-1234", "--db", str(tmp_path / "e.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("Rally emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        got = httpx.get(f"{url}/slm/webservice/v2.0/workspace", headers={"ZSESSIONID": "cli-serve-key"})
        assert got.status_code == 200
        out = subprocess.run([*_pyral(), "workspaces", "--server", url, "--user", "boss@example.com",
                              "--password", "pw-1234", "--format", "csv"],
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("Name,ObjectID,Current")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0
    assert proc.stdout.read() == ""


def test_serve_help_and_bad_arguments_come_from_the_emulator() -> None:
    helped = subprocess.run([*_pyral(), "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "usage: pyral serve" in helped.stdout and "--admin-api-key" in helped.stdout
    bad = subprocess.run([*_pyral(), "serve", "--port", "99999"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--port must be between" in bad.stderr


def test_console_script_errors_are_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("APIKEY", "RALLY_USER", "RALLY_PASSWORD",
                                                           "RALLY_CONFIG", "RALLY_SERVER")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    out = subprocess.run([*_pyral(), "query", "Defect", "--server", "http://127.0.0.1:9"], capture_output=True,
                         text=True, timeout=60, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL)
    assert out.returncode == 3
    assert out.stderr.splitlines() == [out.stderr.strip()] and out.stderr.startswith("Error: no Rally credentials")
    assert out.stdout == ""
