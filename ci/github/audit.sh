#!/usr/bin/env bash
# The Action's last step: `git small audit` on the event's ref update (a push's before/after/forced; a pull
# request's branch since it left its base), its findings as workflow annotations and a job summary. The
# step's exit code is the audit's: 0 passed, 1 findings, 2 history missing or a usage error, 3 a defect.
set -uo pipefail
report="${RUNNER_TEMP:-/tmp}/small-git-audit.json"
after="${SMALL_AFTER:-}"
git small --version | head -n 1
# The policy comes from the workflow's inputs, never from the commits being judged: git config variables
# of this step only.
policy=(small.humanLevel "${SMALL_HUMAN_LEVEL:-identity}")
if [ -n "${SMALL_ALLOWED_SIGNERS:-}" ]; then
  printf '%s\n' "$SMALL_ALLOWED_SIGNERS" >"${RUNNER_TEMP:-/tmp}/small-git-allowed-signers"
  policy+=(small.allowedSignersFile "${RUNNER_TEMP:-/tmp}/small-git-allowed-signers")
fi
count=${GIT_CONFIG_COUNT:-0}
for ((i = 0; i < ${#policy[@]}; i += 2)); do
  export "GIT_CONFIG_KEY_$count=${policy[i]}" "GIT_CONFIG_VALUE_$count=${policy[i + 1]}"
  count=$((count + 1))
done
export GIT_CONFIG_COUNT=$count
if [ -n "$after" ] && [ -z "${after//0/}" ]; then
  echo "small-git audit: ${SMALL_REF:-the ref} was deleted; there is nothing to judge (branch protection or a ruleset keeps protected branches)"
  echo "exit-code=0" >>"${GITHUB_OUTPUT:-/dev/null}"
  exit 0
fi
if [ -n "$after" ]; then
  args=(--new "$after" --ref "${SMALL_REF:-HEAD}")
  [ -n "${SMALL_BEFORE:-}" ] && args+=(--old "$SMALL_BEFORE")
  case "${SMALL_FORCED:-}" in true) args+=(--forced) ;; false) args+=(--no-forced) ;; esac
else
  args=(--from-ci github) # a pull request, or an event without before/after: read GITHUB_EVENT_PATH
fi
git small audit --json "${args[@]}" >"$report"
code=$?
"${SMALL_GIT_PYTHON:-python3}" -m small_git.integration.ci_report github "$report" \
  --summary "${GITHUB_STEP_SUMMARY:-/dev/null}" --output "${GITHUB_OUTPUT:-/dev/null}" --workdir "$PWD"
shown=$?
if [ "$shown" -ne "$code" ]; then
  echo "::error title=small-git audit::the audit exited $code but its report says $shown; the job fails"
  [ "$code" -ne 0 ] || code=3
fi
exit "$code"
