#!/usr/bin/env bash
# Set everything up and run the whole test suite. Extra arguments go to pytest.
#   The tests run on every core (pytest-xdist, `-n auto`) unless the arguments choose (`-n 1`, `-p no:xdist`),
#   or SMALL_TEST_WORKERS sets the number of workers.
#   CI=true adds line coverage of small_git with its floor (pyproject.toml, [tool.coverage.report]): the
#   table is printed, and coverage under the floor fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
args=()
case " $* " in
  *" -n "* | *" -n="* | *" --numprocesses"* | *" -p no:xdist "* | *" -pno:xdist "*) ;;
  *) args+=(-n "${SMALL_TEST_WORKERS:-auto}") ;;
esac
if [ "${CI:-}" = true ]; then
  args+=(--cov --cov-report=term:skip-covered)
fi
"$(bash scripts/venv.sh)/bin/pytest" "${args[@]}" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
