#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install small-git into it with its test tools. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "small-git needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# hatchling is listed so the packaging test can build a wheel without network access to a build backend
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]" hatchling
