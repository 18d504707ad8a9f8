"""Regenerate the chart images of docs/lookback.md from the demo emulator.

    .venv/bin/python scripts/lookback_docs_images.py

Starts an in-process demo emulator, then runs ``pyral chart`` for the "Online Store 1.0"
release from its first day to today: ``docs/img/lookback-cfd.png`` and
``docs/img/lookback-burnup.png``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from pyral import Rally
from pyral.cli.main import cli
from pyral.emulator import Emulator

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
PROJECT, RELEASE = "Online Store", "Online Store 1.0"


def main() -> int:
    DOCS_IMG.mkdir(exist_ok=True)
    with Emulator(demo=True) as emu:
        with Rally(emu.url, apikey=emu.admin_api_key, warn=False, project=PROJECT) as rally:
            release = next(rally.get("Release", fetch="ReleaseStartDate", query=f'Name = "{RELEASE}"'))
            first = str(release.ReleaseStartDate)[:10]
        today = datetime.now(UTC).date().isoformat()
        for kind in ("cfd", "burnup"):
            args = ["--server", emu.url, "--apikey", emu.admin_api_key, "--project", PROJECT, "chart", kind,
                    "--release", RELEASE, "--from", first, "--to", today,
                    "-o", str(DOCS_IMG / f"lookback-{kind}.png")]
            cli.main(args, prog_name="pyral", standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
