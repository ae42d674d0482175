#!/usr/bin/env bash
# Set everything up, then run the linters CI runs: ruff check, ruff format --check and mypy (code and tests),
# each with the project's configuration in pyproject.toml.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
bin="$(bash scripts/venv.sh)/bin"
rc=0
"$bin/ruff" check . || rc=1
"$bin/ruff" format --check . || rc=1
"$bin/mypy" || rc=1
exit "$rc"
