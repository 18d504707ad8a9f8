"""``python -m pyral.emulator``: one stdout line with the URL, then it serves (HTTP and --tls)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

LINE = re.compile(r"Rally emulator listening on (https?)://127\.0\.0\.1:(\d+)")
ADMIN_KEY = "_cliTestKey000000000000000000000001"


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    env = dict(os.environ, RALLY_EMULATOR_ADMIN_API_KEY=ADMIN_KEY, RALLY_EMULATOR_ADMIN_USER="cli@example.com",
               RALLY_EMULATOR_ADMIN_PASSWORD="Cli-Password-1")
    proc = subprocess.Popen([sys.executable, "-m", "pyral.emulator", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            proc.kill()
            pytest.fail(f"no listening line; stderr: {proc.communicate(timeout=10)[1]}")
        yield proc, line
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("tls", [False, True])
def test_serve_prints_one_line_then_serves(tls: bool) -> None:
    with serving(*(["--tls"] if tls else [])) as (proc, line):
        m = LINE.fullmatch(line.rstrip("\n"))
        assert m, line
        scheme, port = m.group(1), int(m.group(2))
        assert scheme == ("https" if tls else "http") and port > 0
        url = f"{scheme}://127.0.0.1:{port}/slm/webservice/v2.0"
        with httpx.Client(verify=False, headers={"ZSESSIONID": ADMIN_KEY}, timeout=10) as c:
            r = c.get(f"{url}/user")
            assert r.status_code == 200 and r.json()["User"]["_ref"].startswith(f"{scheme}://127.0.0.1:{port}/")
            assert r.json()["User"]["UserName"] == "cli@example.com"
            basic = httpx.get(f"{url}/user", auth=("cli@example.com", "Cli-Password-1"), verify=False)
            assert basic.status_code == 200
            created = c.post(f"{url}/defect/create", json={"Defect": {"Name": "via cli"}}).json()["CreateResult"]
            assert created["Errors"] == []
            assert c.get(f"{url}/defect", params={"fetch": "Name"}).json()["QueryResult"]["Results"][0]["Name"] == \
                "via cli"
            assert httpx.get(f"{url}/user", verify=False).status_code == 401
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert out == "", "only one line may go to stdout"
        assert ADMIN_KEY not in err and "Cli-Password-1" not in err  # given via the environment: not echoed


def test_serve_refuses_bad_arguments() -> None:
    for args in (["--port", "70000"], ["--tls", "--cert", "only-cert.pem"]):
        r = subprocess.run([sys.executable, "-m", "pyral.emulator", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and r.stdout == "", (args, r.stdout, r.stderr)
