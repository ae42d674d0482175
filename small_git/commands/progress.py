"""`progress add`: append one entry to the progress log (the plan is not changed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import display_path
from small_git.protocol.cross_rules import s2_would_flag
from small_git.report import console, json_report
from small_git.report.console import warn
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import append_entries
from small_git.store.reader import resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope, run_replay_id
from small_git.workflow.entries import commit_evidence, parse_status, timing
from small_git.workflow.handoff import existing_handoff
from small_git.workflow.plan import plan_data, plan_status

DEFAULT_EVIDENCE = "Recorded progress via small progress add"


@dataclass(frozen=True)
class ProgressRequest:
    task: str
    status: str
    evidence: str | None = None
    notes: str | None = None
    at: str | None = None
    after: str | None = None
    directory: str | None = None
    scope: str = "root"
    json: bool = False
    commit_evidence: bool = True


def _refuse_unknown_task(plan: Any, handoff: Any, entry: dict[str, Any]) -> None:
    """The log cannot take an entry back, so nothing is appended that `check --strict` would flag (S2)."""
    if s2_would_flag(plan, handoff, entry):
        task = entry["task_id"]
        raise SmallError(
            f"task {task} is not in {display_path('plan')}; `check --strict` would flag the entry (S2), and the "
            "progress log cannot take it back, so nothing was appended",
            exit_code=EXIT_USAGE,
            rule="S2",
            hint="use a task id the plan has (small plan lists them), a meta/ id for bookkeeping, or add the task "
            'first: small plan --add "<title>" (ids are numbered task-N)',
        )


def run(request: ProgressRequest) -> int:
    root = resolve_root(request.directory)
    small_dir(root)
    enforce_scope(root, request.scope, "progress add")
    task = request.task.strip()
    if not task:
        raise SmallError("--task must not be empty", exit_code=EXIT_USAGE)
    status = parse_status(request.status)
    stamp, not_before = timing(request.at, request.after)
    commit, warnings = commit_evidence(root, request.commit_evidence)
    entry: dict[str, Any] = {
        "task_id": task,
        "status": status,
        "evidence": request.evidence if request.evidence else DEFAULT_EVIDENCE,
    }
    if request.notes:
        entry["notes"] = request.notes
    if commit:
        entry["commit"] = commit
    if stamp:
        entry["timestamp"] = stamp
    with workspace_lock(root):
        plan = plan_data(root)
        _refuse_unknown_task(plan, existing_handoff(root), {**entry, "replayId": run_replay_id(root)})
        written = append_entries(root, [entry], locked=True, not_before_ns=not_before)[0]
    known, current = plan_status(plan, task)
    for message in warnings:
        warn(message)
    if not known and not task.startswith("meta/"):
        warn(f"task {task} is not in {display_path('plan')}")
    elif known and current is not None and lifecycle.contradicts(current, status):
        warn(
            f"{task} is {current} in the plan; `small check` reports plan-lags-progress until the plan "
            "agrees "
            f"(move tasks with: small checkpoint --task {task} --status {status})"
        )
    if request.json:
        json_report.emit({"workspace": str(root), "entry": written, "task_exists_in_plan": known})
    else:
        console.out(f"progress added: {task} {status} {written['timestamp']}")
    return EXIT_OK
