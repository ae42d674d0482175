#!/usr/bin/env bash
# Test-only, optional: install the pinned Mermaid parser of tests/mermaid/ (package-lock.json) with npm, so
# the review test can parse the plan graph with Mermaid's own parser. Without node and npm, or when npm cannot
# install, it says so and the test skips with that reason. Idempotent: nothing is done when the installed
# packages match the lock file. The product never needs node.
set -uo pipefail
cd "$(dirname "$0")/../tests/mermaid"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup-node: node or npm is not on PATH; the Mermaid parser test will be skipped" >&2
  exit 0
fi
stamp=node_modules/.small-git-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
if npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
  cp package-lock.json "$stamp"
else
  echo "setup-node: npm ci failed in tests/mermaid; the Mermaid parser test will be skipped" >&2
fi
exit 0
