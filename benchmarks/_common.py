"""Helpers shared by the benchmark scripts (not a benchmark itself).

Starts ``python -m pyral.emulator`` as a child process so its memory can be read from
``/proc/<pid>/status``, and provides small statistics and reporting helpers.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
ADMIN_API_KEY = "_emulatorAdminKey0000000000000000000001"  # pyral.emulator.backend default
ADMIN_USER = "admin@emulator.local"
ADMIN_PASSWORD = "Rally-Emulator-1"
WSAPI = "/slm/webservice/v2.0"


class EmulatorProcess:
    """``python -m pyral.emulator --port 0 [--db PATH] [--tls]`` in a child process."""

    def __init__(self, db: str | None = None, *, tls: bool = False, python: str = sys.executable) -> None:
        cmd = [python, "-m", "pyral.emulator", "--port", "0"]
        if db:
            cmd += ["--db", db]
        if tls:
            cmd.append("--tls")
        env = dict(os.environ, RALLY_EMULATOR_ADMIN_USER=ADMIN_USER, RALLY_EMULATOR_ADMIN_PASSWORD=ADMIN_PASSWORD,
                   RALLY_EMULATOR_ADMIN_API_KEY=ADMIN_API_KEY)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("Rally emulator listening on "):
            self.proc.kill()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[1]
        self.server = self.url.split("://", 1)[1]
        self.pid = self.proc.pid

    def memory(self) -> dict[str, float]:
        """Current (VmRSS) and peak (VmHWM) resident memory in MiB."""
        out: dict[str, float] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
        return out

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RssSampler:
    """Samples a process's VmRSS in the background (VmHWM is the kernel's own peak)."""

    def __init__(self, emu: EmulatorProcess, every: float = 0.2) -> None:
        self.emu, self.every = emu, every
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.emu.memory().get("VmRSS", 0.0))
            except OSError:
                return
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def summarize(samples_s: list[float]) -> dict[str, float]:
    """Median, p95, min, max and mean of timings given in seconds, reported in milliseconds."""
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2),
            "min_ms": round(ms[0], 2), "max_ms": round(ms[-1], 2), "mean_ms": round(statistics.fmean(ms), 2)}


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cpus": os.cpu_count(), "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        info["git_commit"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                            capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        pass
    return info


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": machine(), **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
