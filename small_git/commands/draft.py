"""`draft intent|constraints --from FILE|-`: an agent's proposal for a human-owned file (spec §1).

The draft is written atomically to `.small-drafts/<kind>.small.yml` beside `.small/` (a committable folder,
so a remote agent can propose through a branch). Nothing under `.small/` changes; a human reviews the draft
and runs `accept`. The draft is checked as the artifact it would replace, so the agent learns at once
whether `accept` will take it: exit 1 (draft saved, findings printed) when it would not.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SmallError
from small_git.report import console
from small_git.report.text import print_findings
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.reader import configured_limits, resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope
from small_git.workflow.drafts import check_kind, draft_display_path, draft_findings, draft_path


def _read_source(source: str) -> bytes:
    limit = configured_limits().max_bytes
    if source in ("-", "stdin"):
        data = sys.stdin.buffer.read(limit + 1)
        where = "stdin"
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read(limit + 1)
        except FileNotFoundError:
            raise SmallError(
                f"{source}: no such file", exit_code=EXIT_USAGE, hint="pass --from with a file path, or - to read stdin"
            ) from None
        except OSError as exc:
            raise SmallError(f"cannot read {source}: {exc.strerror}", exit_code=EXIT_USAGE) from None
        where = source
    if len(data) > limit:
        raise SmallError(f"{where} is over the {limit}-byte limit", exit_code=EXIT_USAGE)
    if not data.strip():
        raise SmallError(f"{where} is empty", exit_code=EXIT_USAGE, hint="a draft is a whole artifact file")
    return data


@dataclass(frozen=True)
class DraftRequest:
    kind: str  # intent | constraints
    source: str  # a file, or - for stdin
    directory: str | None = None
    scope: str = "root"


def run(request: DraftRequest) -> int:
    kind = request.kind
    check_kind(kind)
    root = resolve_root(request.directory)
    small_dir(root)
    enforce_scope(root, request.scope, "draft")
    data = _read_source(request.source)
    target = draft_path(root, kind)
    with workspace_lock(root):
        target.parent.mkdir(exist_ok=True)
        atomic_write(target, data)
    console.out(f"Draft saved: {draft_display_path(kind)}")
    try:
        findings = draft_findings(kind, data)
    except SmallError as exc:
        console.err(f"error: the draft does not parse: {exc.message}")
        console.err("Fix the draft and run draft again; accept refuses it as it is.")
        return EXIT_INVALID
    if findings:
        print_findings(findings)
        console.err(f"The draft has {len(findings)} problem(s); accept refuses it until they are fixed.")
        return EXIT_INVALID
    console.out(f"Next: a human reviews it and runs: small accept {kind}")
    return EXIT_OK
