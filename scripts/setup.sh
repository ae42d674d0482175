#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install small-git into it with its test and lint tools, at the exact
# versions of requirements/lock.txt. Idempotent.
#   SMALL_DEPS=newest  use .venv-newest instead, with the newest versions pyproject.toml allows (no lock), to
#                      meet an upgrade on purpose before scripts/lock.sh records it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "small-git needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 2
fi
venv="$(bash scripts/venv.sh)"
if [ ! -x "$venv/bin/python" ]; then
  "$PYTHON" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
case "${SMALL_DEPS:-locked}" in
  locked) "${pip[@]}" -r requirements/lock.txt -e ".[dev]" ;;
  newest) "${pip[@]}" --upgrade --upgrade-strategy eager -e ".[dev]" ;;
  *) echo "SMALL_DEPS must be 'locked' (the default) or 'newest'" >&2; exit 2 ;;
esac
# Test-only and optional: the Mermaid parser the review test uses (skipped where node is absent).
bash scripts/setup-node.sh
# Byte-compile the package: an editable install leaves that to the first import, which writes nothing under
# PYTHONDONTWRITEBYTECODE=1 (common in CI images), so every hook and command would compile small-git again.
"$venv/bin/python" -m compileall -q small_git >/dev/null
