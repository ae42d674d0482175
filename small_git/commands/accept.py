"""`accept intent|constraints`: a human makes a draft the canonical file (spec §1, §6.3).

Under the workspace lock: the draft is checked as the artifact it replaces (refused with the findings, exit 1,
when invalid), atomically written over `.small/<kind>.small.yml`, recorded as a `meta/accept-<kind>` progress
entry naming both versions by digest, and then removed. A crash part-way leaves the draft in place, so running
`accept` again finishes the job. Accepting is a human's step: it is refused in an environment that carries an
agent marker (the commit gates would refuse the resulting commit anyway).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SmallError
from small_git.gates.authority import agent_markers_present, load_policy
from small_git.git.evidence import SHORT_SHA_LENGTH
from small_git.protocol.artifacts import SMALL_DIR, display_path, filename
from small_git.protocol.findings import Finding
from small_git.report import console, json_report
from small_git.report.text import print_findings
from small_git.store.atomic import atomic_write, fsync_directory
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import append_entries
from small_git.store.reader import read_file, resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope
from small_git.workflow.drafts import (
    check_kind,
    draft_display_path,
    draft_findings,
    draft_path,
    reference_draft_display_path,
    reference_draft_exists,
)


def _digest(data: bytes | None) -> str:
    """As short as a cited commit: a 32+ character token would read as a secret to the reference's strict mode."""
    return "none" if data is None else hashlib.sha256(data).hexdigest()[:SHORT_SHA_LENGTH]


def _refuse_agents(root: Path) -> None:
    """The markers the commit gates honour: the built-in ones and `git config small.agentMarker`."""
    markers = agent_markers_present(os.environ, load_policy(root).agent_markers)
    if markers:
        raise SmallError(
            f"accept is a human's step, and this environment says an agent runs it ({', '.join(markers)})",
            exit_code=EXIT_USAGE,
            rule="human-file-agent-change",
            hint="a human runs accept from their own shell; agents propose with: small draft",
        )


def _read_draft(root: Path, kind: str) -> bytes:
    raw, problem = read_file(root, draft_display_path(kind))
    if problem is not None:
        raise SmallError(f"{draft_display_path(kind)} {problem}", exit_code=EXIT_USAGE, file=draft_display_path(kind))
    if raw is None and reference_draft_exists(root, kind):
        theirs = reference_draft_display_path(kind)
        raise SmallError(
            f"no draft to accept: {draft_display_path(kind)} does not exist, but the reference CLI's draft "
            f"{theirs} does. small-git does not accept it as it is: the reference keeps a draft after accepting "
            "it, so it may be one that was accepted (or replaced) long ago",
            exit_code=EXIT_USAGE,
            file=draft_display_path(kind),
            hint=f"review it, then make it small-git's draft and accept that: small draft {kind} --from {theirs} "
            f"&& small accept {kind}",
        )
    if raw is None:
        raise SmallError(
            f"no draft to accept: {draft_display_path(kind)} does not exist",
            exit_code=EXIT_USAGE,
            hint=f"write one first: small draft {kind} --from <file>",
        )
    return raw


def accept(root: Path, kind: str) -> tuple[list[Finding], dict[str, Any] | None]:
    """(findings, None) when the draft is refused; ([], the recorded entry) when it was accepted."""
    with workspace_lock(root):
        raw = _read_draft(root, kind)
        findings = draft_findings(kind, raw)
        if findings:
            return findings, None
        current, _ = read_file(root, display_path(kind))
        atomic_write(root / SMALL_DIR / filename(kind), raw)
        entry = {
            "task_id": f"meta/accept-{kind}",
            "status": "completed",
            "evidence": f"Accepted draft {draft_display_path(kind)} as {display_path(kind)} "
            f"(sha256 {_digest(raw)}, replacing {_digest(current)})",
            "notes": f"small accept {kind}",
        }
        written = append_entries(root, [entry], locked=True)
        with contextlib.suppress(FileNotFoundError):
            draft_path(root, kind).unlink()
        fsync_directory(draft_path(root, kind).parent)
    return [], written[0]


@dataclass(frozen=True)
class AcceptRequest:
    kind: str  # intent | constraints
    directory: str | None = None
    scope: str = "root"
    json: bool = False


def run(request: AcceptRequest) -> int:
    kind, as_json = request.kind, request.json
    check_kind(kind)
    root = resolve_root(request.directory)
    small_dir(root)
    enforce_scope(root, request.scope, "accept")
    _refuse_agents(root)
    findings, entry = accept(root, kind)
    code = EXIT_INVALID if findings else EXIT_OK
    if as_json:
        json_report.emit(
            {
                "command": "accept",
                "workspace": str(root),
                "kind": kind,
                "accepted": entry is not None,
                "entry": entry,
                "findings": [f.to_dict() for f in findings],
                "exit_code": code,
            }
        )
        return code
    if findings:
        print_findings(findings)
        console.err(
            f"Refused: {draft_display_path(kind)} has {len(findings)} problem(s); {display_path(kind)} is "
            "unchanged. Fix the draft (or ask for a new one) and accept again."
        )
        return code
    console.out(f"Accepted {draft_display_path(kind)} as {display_path(kind)} (recorded as meta/accept-{kind}).")
    console.out(
        f'Next: commit it as yourself: git add -A {SMALL_DIR} && git commit -m "Accept {kind}" '
        "(include the removed draft if it was committed)"
    )
    return code
