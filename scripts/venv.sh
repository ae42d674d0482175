#!/usr/bin/env bash
# Print the environment folder the scripts use: .venv, or .venv-newest under SMALL_DEPS=newest.
cd "$(dirname "$0")/.."
if [ "${SMALL_DEPS:-locked}" = newest ]; then echo "$PWD/.venv-newest"; else echo "$PWD/.venv"; fi
