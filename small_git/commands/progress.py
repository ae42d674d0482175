"""`progress add`: append one entry to the progress log (the plan is not changed)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import STATUSES, display_path
from small_git.protocol.timestamps import TimestampError, parse_ns
from small_git.protocol.yamlsafe import load_yaml
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import append_entries
from small_git.store.reader import read_file, resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope

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


def parse_status(raw: str, allowed: tuple[str, ...] = STATUSES) -> str:
    status = raw.strip().lower()
    if status not in allowed:
        raise SmallError(f"invalid status {raw!r} (must be one of: {', '.join(allowed)})", exit_code=EXIT_USAGE)
    return status


def commit_evidence(root: Path, enabled: bool) -> tuple[str | None, list[str]]:
    """HEAD as 12 hex digits plus warnings, or (None, []) outside git or when disabled (spec §6.4)."""
    if not enabled:
        return None, []
    try:
        from small_git.git.evidence import head_commit_evidence
    except ImportError:
        return None, []
    return head_commit_evidence(root)


def read_plan_data(root: Path) -> Any:
    """The parsed plan, or None when there is none."""
    raw, problem = read_file(root, display_path("plan"), 64 * 1024 * 1024)
    if problem is not None:
        raise SmallError(f"{display_path('plan')} {problem}", exit_code=EXIT_USAGE)
    return None if raw is None else load_yaml(raw, display_path("plan")).data


def plan_status(plan: Any, task_id: str) -> tuple[bool, str | None]:
    """(task is in the plan, its status)."""
    tasks = plan.get("tasks") if isinstance(plan, dict) else None
    for task in tasks if isinstance(tasks, list) else []:
        if isinstance(task, dict) and task.get("id") == task_id:
            return True, lifecycle.normalise(task.get("status"))
    return False, None


def timing(at: str | None, after: str | None) -> tuple[str | None, int | None]:
    """(`timestamp` to give the entry, `not_before_ns`) from --at / --after."""
    if at and after:
        raise SmallError("only one of --at or --after may be set", exit_code=EXIT_USAGE)
    try:
        if at:
            parse_ns(at)
            return at, None
        if after:
            return None, parse_ns(after) + 1
    except TimestampError as exc:
        raise SmallError(f"invalid timestamp {at or after!r}: {exc}", exit_code=EXIT_USAGE) from None
    return None, None


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


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
        plan = read_plan_data(root)
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
        print(json.dumps({"workspace": str(root), "entry": written, "task_exists_in_plan": known}, indent=2))
    else:
        print(f"progress added: {task} {status} {written['timestamp']}")
    return EXIT_OK
