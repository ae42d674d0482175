#!/usr/bin/env bash
# The Action's first step: install small-git from the action's own copy (so the version is the one the
# workflow pins) into a fresh virtualenv, and put it on PATH for the steps after it.
set -euo pipefail
python="${SMALL_PYTHON:-python3}"
source="${SMALL_SOURCE:-${GITHUB_ACTION_PATH:?}}"
venv="${RUNNER_TEMP:-/tmp}/small-git-venv"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "::error title=small-git audit::small-git needs Python 3.11 or newer ($python is not): add actions/setup-python before this action, or set its python input"
  exit 2
fi
"$python" -m venv "$venv"
# SMALL_PIP_ARGS: extra words for pip (an index of your own, say), split on spaces on purpose
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ${SMALL_PIP_ARGS:-} "$source"
echo "$venv/bin" >>"${GITHUB_PATH:?}"
echo "SMALL_GIT_PYTHON=$venv/bin/python" >>"${GITHUB_ENV:?}"
echo "small-git installed in $venv"
