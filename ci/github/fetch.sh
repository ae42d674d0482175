#!/usr/bin/env bash
# The Action's second step: fetch what the audit needs. actions/checkout fetches one commit by default; the
# audit compares the old tip with the new one, so it needs the history between them, and the old tip of a
# force push is on no branch any more (GitHub still serves it by id). Whatever cannot be fetched, the audit
# names and refuses to pass (exit 2): fetching never turns a failure into a pass.
set -uo pipefail
remote="${SMALL_REMOTE:-origin}"
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --no-tags --quiet --unshallow "$remote" ||
    echo "::warning title=small-git audit::could not fetch the whole history; the audit will say what is missing"
fi
for sha in "${SMALL_BEFORE:-}" "${SMALL_BASE:-}"; do
  case "$sha" in "" | *[!0-9a-fA-F]*) continue ;; esac
  [ -n "${sha//0/}" ] || continue # all zeros: the ref is new
  git cat-file -e "$sha^{commit}" 2>/dev/null && continue
  git fetch --no-tags --quiet "$remote" "$sha" ||
    echo "::warning title=small-git audit::could not fetch $sha; the audit will say what is missing"
done
exit 0
