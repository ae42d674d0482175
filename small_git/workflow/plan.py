"""The plan as the writing commands use it: one way to read it, and one way to move a task (the transition
checkpoint, apply --checkpoint and plan --status share)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, overload

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import display_path
from small_git.store.atomic import atomic_write
from small_git.store.plan_edit import PlanEditor
from small_git.store.progress_log import append_entries
from small_git.store.reader import parse_yaml, read_artifact
from small_git.store.runs import ensure_run

PLAN = display_path("plan")
MISSING_HINT = "run: small init --force   (it creates only missing files)"
FAILPOINT_ENV = "SMALL_TEST_FAILPOINT"  # tests only: die at a named point to prove crash safety
AFTER_PROGRESS = "checkpoint-after-progress"


@overload
def read_plan(root: Path, *, required: Literal[True]) -> bytes: ...
@overload
def read_plan(root: Path, *, required: bool = False) -> bytes | None: ...
def read_plan(root: Path, *, required: bool = False) -> bytes | None:
    """The plan's bytes, or None when there is none (a SmallError, exit 2, when `required`, or when the path
    must not be read)."""
    raw = read_artifact(root, "plan")
    if raw is None and required:
        raise SmallError(f"{PLAN} is missing", exit_code=EXIT_USAGE, file=PLAN, hint=MISSING_HINT)
    return raw


def plan_data(root: Path, *, required: bool = False) -> Any:
    """The parsed plan, or None when there is none."""
    raw = read_plan(root, required=required)
    return None if raw is None else parse_yaml(raw, PLAN).data


def plan_status(plan: Any, task_id: str) -> tuple[bool, str | None]:
    """(task is in the plan, its status)."""
    tasks = plan.get("tasks") if isinstance(plan, dict) else None
    for task in tasks if isinstance(tasks, list) else []:
        if isinstance(task, dict) and task.get("id") == task_id:
            return True, lifecycle.normalise(task.get("status"))
    return False, None


def transition(editor: PlanEditor, task_id: str, status: str, reopen: bool) -> str:
    """Move the task in the editor; returns its previous status. Refused (exit 2, naming the allowed moves)
    when the lifecycle does not allow the move."""
    current = lifecycle.normalise(editor.task(task_id).get("status"))
    refusal = lifecycle.move_error(task_id, current, status, reopen)
    if refusal:
        raise SmallError(refusal, exit_code=EXIT_USAGE)
    editor.set_status(task_id, status)
    return current


def failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        os._exit(99)


def record(
    root: Path,
    raw: bytes | None,
    editor: PlanEditor,
    entries: list[dict[str, Any]],
    *,
    not_before_ns: int | None = None,
) -> list[dict[str, Any]]:
    """Write an edited plan and the entries that record it (caller holds the lock): the run is started if
    none is, then the log, then the plan, so an interruption in between leaves a plan that lags its log,
    which `check` reports and `fix` repairs. Returns the entries as written."""
    result = editor.result()
    ensure_run(root, result)
    written = append_entries(root, entries, locked=True, not_before_ns=not_before_ns) if entries else []
    failpoint(AFTER_PROGRESS)
    if result != raw:
        atomic_write(root / PLAN, result)
    return written
