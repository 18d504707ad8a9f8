#!/usr/bin/env bash
# The whole test suite: lint, types, and every test (emulator, client, upstream pyral 1.7.0, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests benchmarks examples scripts
.venv/bin/mypy
.venv/bin/lint-imports
PYRAL_UPSTREAM_PYTHON="$PWD/.venv-upstream/bin/python" .venv/bin/python -m pytest -n 2 "$@"
