#!/usr/bin/env bash
# Create .venv with the whole project ([all] extras) and .venv-upstream with upstream pyral 1.7.0.
# Idempotent: re-running only installs what changed. Used by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.pyral-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[all]"
  touch "$stamp"
fi
if [ "${PYRAL_SKIP_UPSTREAM:-0}" != "1" ]; then
  if [ ! -x .venv-upstream/bin/python ]; then
    "$PY" -m venv .venv-upstream
  fi
  if ! .venv-upstream/bin/python -c "import pyral, sys; sys.exit(0 if pyral.__version__ == (1, 7, 0) else 1)" 2>/dev/null; then
    .venv-upstream/bin/python -m pip install -q --disable-pip-version-check --ignore-requires-python "pyral==1.7.0"
  fi
fi
