"""``python -m pyral.emulator``: one stdout line with the URL, then it serves (HTTP and --tls)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
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


def test_kill_9_loses_no_acknowledged_write(tmp_path) -> None:
    """Writes stream into a --db emulator; kill -9 lands mid-stream; every write that was answered
    is there after a restart (SQLite commits before the answer is sent)."""
    db = str(tmp_path / "store.db")
    acknowledged: list[str] = []
    stop = threading.Event()
    with serving("--db", db) as (proc, line):
        url = LINE.fullmatch(line.rstrip("\n")).group(0).split(" on ")[1] + "/slm/webservice/v2.0"

        def writer() -> None:
            with httpx.Client(headers={"ZSESSIONID": ADMIN_KEY}, timeout=10) as c:
                for i in range(100_000):
                    if stop.is_set():
                        return
                    try:
                        r = c.post(f"{url}/defect/create", json={"Defect": {"Name": f"w{i}"}})
                    except httpx.TransportError:
                        return
                    if r.status_code == 200 and r.json()["CreateResult"]["Errors"] == []:
                        acknowledged.append(f"w{i}")

        thread = threading.Thread(target=writer)
        thread.start()
        while len(acknowledged) < 40 and thread.is_alive():
            stop.wait(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        thread.join(timeout=30)
    assert len(acknowledged) >= 40
    with serving("--db", db) as (_, line):
        url = LINE.fullmatch(line.rstrip("\n")).group(0).split(" on ")[1] + "/slm/webservice/v2.0"
        with httpx.Client(headers={"ZSESSIONID": ADMIN_KEY}, timeout=20) as c:
            rows = c.get(f"{url}/defect", params={"fetch": "Name", "pagesize": 2000}).json()["QueryResult"]["Results"]
    stored = {row["Name"] for row in rows}
    assert set(acknowledged) <= stored
    assert len(stored) - len(acknowledged) <= 1  # at most the one write in flight at the kill


def test_serve_refuses_bad_arguments() -> None:
    for args in (["--port", "70000"], ["--tls", "--cert", "only-cert.pem"], ["--latency", "fast"],
                 ["--latency", "10:-5"], ["--max-concurrent-per-user", "0"], ["--max-concurrent-per-user", "x"]):
        r = subprocess.run([sys.executable, "-m", "pyral.emulator", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and r.stdout == "", (args, r.stdout, r.stderr)
