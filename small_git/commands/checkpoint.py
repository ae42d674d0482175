"""`checkpoint`: move a task through its lifecycle and record it, as one operation under one lock.

The progress entry is appended first, then the plan is rewritten atomically. A process that dies between the
two leaves a plan status that contradicts the task's last entry: `check` reports it (plan-lags-progress) and
`fix` brings the plan up to date, never touching the log.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import display_path
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.plan_edit import PlanEditor
from small_git.store.progress_log import append_entries
from small_git.store.reader import read_file, resolve_root, small_dir
from small_git.store.runs import ensure_run
from small_git.store.workspace_file import enforce_scope

from .progress import commit_evidence, parse_status, timing, warn

DEFAULT_EVIDENCE = "Recorded checkpoint via small checkpoint"
FAILPOINT_ENV = "SMALL_TEST_FAILPOINT"  # tests only: die at a named point to prove crash safety


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


def failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(99)


def run(request: CheckpointRequest) -> int:
    root = resolve_root(request.directory)
    small_dir(root)
    enforce_scope(root, request.scope, "checkpoint")
    task_id = request.task.strip()
    status = parse_status(request.status)
    stamp, not_before = timing(request.at, request.after)
    commit, warnings = commit_evidence(root, request.commit_evidence)
    with workspace_lock(root):
        raw, problem = read_file(root, display_path("plan"), 64 * 1024 * 1024)
        if problem is not None or raw is None:
            raise SmallError(
                f"{display_path('plan')} {problem or 'is missing'}",
                exit_code=EXIT_USAGE,
                hint="run: small init --force   (it creates only missing files)",
            )
        editor = PlanEditor(raw)
        current = lifecycle.normalise(editor.task(task_id).get("status"))
        refusal = lifecycle.move_error(task_id, current, status, request.reopen)
        if refusal:
            raise SmallError(refusal, exit_code=EXIT_USAGE)
        editor.set_status(task_id, status)
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
        ensure_run(root, editor.result())
        written = append_entries(root, [entry], locked=True, not_before_ns=not_before)[0]
        failpoint("checkpoint-after-progress")
        if editor.result() != raw:
            atomic_write(root / display_path("plan"), editor.result())
    for message in warnings:
        warn(message)
    line = f"checkpoint: {task_id} {current} -> {status} at {written['timestamp']}"
    committed = None
    if request.commit:
        committed = _commit(root, task_id, status)
    if request.json:
        print(
            json.dumps(
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
                },
                indent=2,
            )
        )
    else:
        print(line)
        if committed:
            print(f"committed {committed[:12]} (Small-Task: {task_id}, Small-Status: {status})")
    return EXIT_OK


def _commit(root: Any, task_id: str, status: str) -> str:
    try:
        from small_git.git.evidence import commit_small
    except ImportError:
        raise SmallError("--commit is not available", exit_code=EXIT_USAGE) from None
    return commit_small(root, task_id, status)
