#!/usr/bin/env bash
# The demo: the seed's sample scripts (examples/) run against the embedded emulator with --demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
PYRAL_SKIP_UPSTREAM=1 bash scripts/setup.sh
exec .venv/bin/python examples/run_demo.py "$@"
