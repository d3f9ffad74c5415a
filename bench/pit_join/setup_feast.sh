#!/usr/bin/env bash
# Creates .venv-feast (repo root) for bench/pit_join/feast_peer.py; does nothing when it is
# already there with the same pins. Feast gets its own venv so that its requirements do not
# disturb .venv's pins; it is built on the interpreter that .venv/bin/python resolves to.
#
# The duckdb extra brings Feast's DuckDB offline store (ibis + duckdb), which feast_peer.py
# uses; duckdb is pinned to .venv's version, so that Feast runs on the same engine as the
# DuckDB ASOF peer in run.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv-feast
PINS="feast[duckdb,redis]==0.67.0 ibis-framework==12.0.0 duckdb==1.4.2"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.pins" 2>/dev/null)" = "$PINS" ]; then
  exit 0
fi
BASE_PY=$(.venv/bin/python -c 'import sys; print(sys._base_executable)')
"$BASE_PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install --quiet $PINS
echo "$PINS" > "$VENV/.pins"
"$VENV/bin/python" -c "import feast, duckdb; print('feast', feast.__version__, 'duckdb', duckdb.__version__, 'in $VENV')"
