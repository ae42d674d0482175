"""`checkpoint`: move a task through its lifecycle and record it, as one operation under one lock.

The progress entry is appended first, then the plan is rewritten atomically. A process that dies between the
two leaves a plan status that contradicts the task's last entry: `check` reports it (plan-lags-progress) and
`fix` brings the plan up to date, never touching the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_OK
from small_git.git.plumbing import short_sha
from small_git.report import console, json_report
from small_git.report.console import warn
from small_git.store.lock import workspace_lock
from small_git.store.plan_edit import PlanEditor
from small_git.store.progress_log import last_entry
from small_git.store.reader import resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope
from small_git.workflow.entries import commit_evidence, failed_apply, parse_status, timing
from small_git.workflow.plan import read_plan, record, transition

DEFAULT_EVIDENCE = "Recorded checkpoint via small checkpoint"


@dataclass(frozen=True)
class CheckpointRequest:
    task: str
    status: str
    evidence: str | None = None
    notes: str | None = None
    reopen: bool = False
    at: str | None = None
    after: str | None = None
    directory: str | None = None
    scope: str = "root"
    json: bool = False
    commit_evidence: bool = True
    commit: bool = False
    default_evidence: str = DEFAULT_EVIDENCE


def run(request: CheckpointRequest) -> int:
    root = resolve_root(request.directory)
    small_dir(root)
    enforce_scope(root, request.scope, "checkpoint")
    task_id = request.task.strip()
    status = parse_status(request.status)
    stamp, not_before = timing(request.at, request.after)
    commit, warnings = commit_evidence(root, request.commit_evidence)
    with workspace_lock(root):
        raw = read_plan(root, required=True)
        editor = PlanEditor(raw)
        current = transition(editor, task_id, status, request.reopen)
        failed = failed_apply(last_entry(root), task_id) if status == "completed" else None
        entry: dict[str, Any] = {
            "task_id": task_id,
            "status": status,
            "evidence": request.evidence or request.default_evidence,
        }
        notes = request.notes or ""
        if request.reopen:
            notes = f"reopened from {current}" + (f": {notes}" if notes else "")
        if notes:
            entry["notes"] = notes
        if commit:
            entry["commit"] = commit
        if stamp:
            entry["timestamp"] = stamp
        written = record(root, raw, editor, [entry], not_before_ns=not_before)[0]
    for message in warnings:
        warn(message)
    if failed:
        warnings.append(f"the last apply of {task_id} failed ({failed}); {task_id} is recorded completed all the same")
        warn(warnings[-1])
    line = f"checkpoint: {task_id} {current} -> {status} at {written['timestamp']}"
    committed = None
    if request.commit:
        committed = _commit(root, task_id, status)
    if request.json:
        json_report.emit(
            {
                "task_id": task_id,
                "status": status,
                "previous_status": current,
                "progress_entry": written,
                "files": ["plan.small.yml", "progress.small.yml"],
                "workspace": str(root),
                "plan_status": status,
                "checkpoint": line,
                "checkpoint_at": written["timestamp"],
                "commit": committed,
                "warnings": warnings,
            }
        )
    else:
        console.out(line)
        if committed:
            console.out(f"committed {short_sha(committed)} (Small-Task: {task_id}, Small-Status: {status})")
    return EXIT_OK


def _commit(root: Path, task_id: str, status: str) -> str:
    from small_git.git.evidence import commit_small  # only with --commit

    return commit_small(root, task_id, status)
