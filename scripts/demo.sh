#!/usr/bin/env bash
# Set everything up, then show the main job in a scratch repository: a workspace is initialised, checked,
# committed through the gates, broken (an old progress entry rewritten), and the findings and the refused
# commit are shown. Nothing outside the scratch folder is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BIN="$(pwd)/.venv/bin"
export PATH="$BIN:$PATH"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/small-git-demo.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
# a clean, self-contained git identity for the demo repository
export GIT_CONFIG_NOSYSTEM=1 HOME="$scratch/home" GIT_AUTHOR_NAME="Demo Human" GIT_AUTHOR_EMAIL="human@example.com"
export GIT_COMMITTER_NAME="Demo Human" GIT_COMMITTER_EMAIL="human@example.com"
mkdir -p "$HOME" repo && cd repo

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@" || echo "(exit $?)"; }

git init -q -b main
echo "print('hello')" > app.py
step git small init --intent "Ship the CSV importer"
step git small install
git add -A && git commit -qm "Start the importer" && echo "(committed the workspace)"
step git small plan --add "Parse the CSV header"
step git small checkpoint --task task-2 --status in_progress --no-commit-evidence
step git small checkpoint --task task-2 --status completed --evidence "parser tests pass" --commit
step git small check --strict
step git small handoff
printf '\n# Now rewrite history: change the evidence of an old progress entry by hand.\n'
sed -i.bak 's/parser tests pass/parser tests pass (honest)/' .small/progress.small.yml && rm .small/progress.small.yml.bak
step git diff --stat
step git commit -qam "Tidy the log"
printf '\n# The commit was refused by the pre-commit gate. A broken entry is found by check as well:\n'
git checkout -q -- .small/progress.small.yml
printf '  - task_id: "task-2"\n    status: "completed"\n    timestamp: "2020-01-01T00:00:00.0Z"\n' >> .small/progress.small.yml
step git small check
step git small check --json
git checkout -q -- .small/progress.small.yml
printf '\nDemo finished; the scratch repository is removed.\n'
