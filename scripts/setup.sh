#!/usr/bin/env bash
# Create .venv with the whole project ([all] extras) and .venv-upstream with upstream pyral 1.7.0.
# Idempotent: re-running only installs what changed. Used by scripts/demo.sh and scripts/test.sh.
# The upstream venv, the Node toolkit and the third-party clients' venvs install in the background while .venv
# installs (on a fresh clone most of the time is waiting on downloads); the script fails if any fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# No .pyc files at install time (compiling every module of pandas, matplotlib, mypy... is most of the
# install's CPU): Python compiles, once, only the modules that are imported.
PIP=(-m pip install -q --disable-pip-version-check --no-compile)

upstream() {
  if [ ! -x .venv-upstream/bin/python ]; then
    "$PY" -m venv .venv-upstream
  fi
  if ! .venv-upstream/bin/python -c "import pyral, sys; sys.exit(0 if pyral.__version__ == (1, 7, 0) else 1)" 2>/dev/null; then
    # Compiled here: the upstream drivers run with PYTHONDONTWRITEBYTECODE=1, so they could not cache it.
    .venv-upstream/bin/python -m pip install -q --disable-pip-version-check --ignore-requires-python "pyral==1.7.0"
  fi
}

# The official Rally Node toolkit (npm rally, pinned in package-lock.json) for the third-party
# conformance run in tests/thirdparty/node_rally; reinstalled only when the lock file changes.
node_toolkit() {
  local node_dir=tests/thirdparty/node_rally
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# rally-cli 2.0.4 (PyPI, package rallycli), pinned with its dependencies in
# tests/thirdparty/rallycli_client/requirements.txt, in .venv-rallycli for tests/thirdparty/test_rallycli.py;
# reinstalled only when that file changes.  rally-cli needs Python < 3.13 (PYTHON_RALLYCLI picks one).
rallycli_venv() {
  local req=tests/thirdparty/rallycli_client/requirements.txt stamp=.venv-rallycli/.rallycli-installed
  if [ ! -x .venv-rallycli/bin/python ]; then
    "${PYTHON_RALLYCLI:-$PY}" -m venv .venv-rallycli
  fi
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ]; then
    # Compiled here: the driver's imports (pydantic, aiohttp, dateparser...) are then read from .pyc.
    .venv-rallycli/bin/python -m pip install -q --disable-pip-version-check -r "$req"
    touch "$stamp"
  fi
}

# rally-tui 1.2.0 (PyPI), unmodified, for tests/thirdparty/test_rally_tui.py, in two venvs from the same
# pins: .venv-thirdparty-tui-upstream with upstream pyral 1.7.0 (--ignore-requires-python, as above) and
# .venv-thirdparty-tui with our pyral (2.0.0 satisfies rally-tui's pyral>=1.6.0), added by
# thirdparty_tui_ours once .venv is installed (two builds of this tree at once would share its egg-info).
TUI_PINS=tests/thirdparty/tui_driver/requirements-tui.txt
thirdparty_tui() {
  local venv
  for venv in .venv-thirdparty-tui .venv-thirdparty-tui-upstream; do
    if [ ! -x "$venv/bin/python" ]; then
      "$PY" -m venv "$venv"
    fi
  done
  if [ ! -f .venv-thirdparty-tui-upstream/.tui-installed ] || [ "$TUI_PINS" -nt .venv-thirdparty-tui-upstream/.tui-installed ]; then
    .venv-thirdparty-tui-upstream/bin/python "${PIP[@]}" --ignore-requires-python -r "$TUI_PINS" "pyral==1.7.0"
    touch .venv-thirdparty-tui-upstream/.tui-installed
  fi
  if [ ! -f .venv-thirdparty-tui/.tui-pins ] || [ "$TUI_PINS" -nt .venv-thirdparty-tui/.tui-pins ]; then
    .venv-thirdparty-tui/bin/python "${PIP[@]}" --no-deps -r "$TUI_PINS"  # every dependency is pinned there
    touch .venv-thirdparty-tui/.tui-pins
  fi
}
thirdparty_tui_ours() {
  if [ ! -f .venv-thirdparty-tui/.tui-installed ] || [ pyproject.toml -nt .venv-thirdparty-tui/.tui-installed ]; then
    .venv-thirdparty-tui/bin/python "${PIP[@]}" --no-deps -e .
    .venv-thirdparty-tui/bin/python -m pip check -q --disable-pip-version-check
    touch .venv-thirdparty-tui/.tui-installed
  fi
}

pids=()
trap 'wait' EXIT  # never leave an install running behind a failure
if [ "${PYRAL_SKIP_UPSTREAM:-0}" != "1" ]; then
  upstream & pids+=("$!")
fi
if [ "${PYRAL_SKIP_RALLYCLI:-0}" != "1" ]; then
  rallycli_venv & pids+=("$!")
fi
if [ "${PYRAL_SKIP_NODE:-0}" != "1" ] && command -v npm >/dev/null 2>&1; then
  node_toolkit & pids+=("$!")
fi

if [ "${PYRAL_SKIP_TUI:-0}" != "1" ]; then
  thirdparty_tui & pids+=("$!")
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.pyral-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python "${PIP[@]}" -e ".[all]"
  touch "$stamp"
fi
for pid in "${pids[@]}"; do
  wait "$pid"
done
if [ "${PYRAL_SKIP_TUI:-0}" != "1" ]; then
  thirdparty_tui_ours
fi
