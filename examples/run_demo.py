#!/usr/bin/env python
"""The demo: start the Rally emulator with its demo data and run the seed's sample scripts.

    bash scripts/demo.sh              # or: .venv/bin/python examples/run_demo.py
    .venv/bin/python examples/run_demo.py --tls --port 8443 --user admin

Each sample (gettc.py, wksprj.py, allusers.py, crdefect.py, updefect.py, showtasks.py) runs
as its own process with the ``--rallyServer= --rallyUser= --rallyPassword= --rallyWorkspace=
--rallyProject=`` options pyral's ``rallyWorkset`` reads, exactly as you would run it against
a real Rally.  The exit status is non-zero when any sample fails.  ``--keep`` leaves the
emulator running afterwards so you can try the samples (or your own scripts) by hand.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from pyral.emulator import Emulator
from pyral.emulator.demo import USERS

HERE = Path(__file__).resolve().parent
WORKSPACE = "Default Workspace"
PROJECT = "Online Store"


def wsapi(emu: Emulator, user: str, password: str, path: str, **params: str) -> list[dict]:
    """A plain WSAPI query (no pyral involved) used to pick real FormattedIDs for the samples."""
    with httpx.Client(verify=False, auth=(user, password), timeout=30) as http:
        reply = http.get(f"{emu.wsapi_url}/{path}", params=params)
        reply.raise_for_status()
        return list(reply.json()["QueryResult"]["Results"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed certificate")
    parser.add_argument("--user", choices=("sally", "admin"), default="sally",
                        help="run the samples as Sally Submitter (default) or as the emulator admin")
    parser.add_argument("--keep", action="store_true", help="keep the emulator running at the end")
    opts = parser.parse_args(argv)

    started = time.perf_counter()
    emu = Emulator(port=opts.port, tls=opts.tls, demo=True).start()
    load = time.perf_counter() - started
    try:
        if opts.user == "admin":
            user, password = emu.admin_user, emu.admin_password
        else:
            sally = next(u for u in USERS if u.display_name == "Sally Submitter")
            user, password = sally.username, str(sally.password)
        print("=" * 78)
        print(f"Rally emulator with demo data at {emu.url}  (WSAPI: {emu.wsapi_url})")
        print(f"started in {load:.2f}s; running the pyral 1.1.0 sample scripts as {user}")
        print(f"workspace {WORKSPACE!r}, project {PROJECT!r}")
        print("=" * 78)

        # Real FormattedIDs from the demo data, in the samples' project (plain WSAPI, no pyral).
        project = wsapi(emu, user, password, "project", query=f'(Name = "{PROJECT}")', fetch="ObjectID")[0]
        scope = {"project": f"/project/{project['ObjectID']}", "projectScopeDown": "false",
                 "order": "FormattedID", "fetch": "FormattedID", "pagesize": "1"}
        test_case = wsapi(emu, user, password, "testcase", query="(DefectStatus != NONE)",
                          **scope)[0]["FormattedID"]
        story = wsapi(emu, user, password, "hierarchicalrequirement",
                      query="((TaskStatus = IN_PROGRESS) AND (DirectChildrenCount = 0))", **scope)[0]["FormattedID"]

        common = [f"--rallyServer={emu.url}", f"--rallyUser={user}", f"--rallyPassword={password}",
                  f"--rallyWorkspace={WORKSPACE}", f"--rallyProject={PROJECT}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RALLY_") and k != "APIKEY"}
        if opts.tls and emu.cert:
            env["SSL_CERT_FILE"] = emu.cert  # trust the emulator's self-signed certificate (httpx reads it)

        def launch(script: str, *args: str) -> tuple[str, subprocess.Popen[str]]:
            shown = " ".join(_quote(a) for a in (script, *args))
            proc = subprocess.Popen([sys.executable, str(HERE / script), *args, *common], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, env=env, cwd=HERE)
            return shown, proc

        failures = 0

        def show(job: tuple[str, subprocess.Popen[str]]) -> str:
            """Wait for a sample and print its command line and output."""
            nonlocal failures
            shown, proc = job
            try:
                out, _ = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            print(f"\n$ python {shown}")
            print(out.rstrip() or "(no output)")
            if proc.returncode != 0:
                failures += 1
                print(f"!! {shown.split()[0]} exited with status {proc.returncode}")
            return out

        # The samples that do not depend on each other run side by side; output stays in order.
        jobs = [launch("gettc.py", test_case), launch("wksprj.py"), launch("allusers.py")]
        creating = launch("crdefect.py", "Checkout page rejects valid postal codes", "Major Problem",
                          "High Attention", "Entering a valid 9-digit ZIP code shows 'invalid postal code'.")
        tasks = launch("showtasks.py", story)
        for job in jobs:
            show(job)
        match = re.search(r"FormattedID:\s*(DE\d+)", show(creating))
        if match:
            show(launch("updefect.py", match.group(1), "Acme Corp", "2030-06-30T00:00:00Z",
                        "Customer escalation; fix targeted for the next patch release."))
        else:
            failures += 1
            print("!! no FormattedID in crdefect.py's output; updefect.py skipped")
        show(tasks)

        print("\n" + "=" * 78)
        print("all samples ran successfully" if not failures else f"{failures} sample(s) failed")
        if opts.keep:
            print(f"emulator still running at {emu.url} (user {user}, password {password}); Ctrl-C stops it")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return 1 if failures else 0
    finally:
        emu.stop()


def _quote(arg: str) -> str:
    return f'"{arg}"' if (" " in arg or "'" in arg) else arg


if __name__ == "__main__":
    sys.exit(main())
