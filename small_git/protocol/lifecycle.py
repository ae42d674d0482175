"""The task lifecycle (spec §4) and the rule that a plan's status agrees with the task's progress.

`pending`, `in_progress` and `blocked` are open; `completed` and `cancelled` are final. An open task may move
to any status; a final task moves only when reopened (`--reopen`), which the appended entry records.
"""

from __future__ import annotations

from typing import Any

from small_git.protocol.artifacts import STATUSES, display_path
from small_git.protocol.findings import Finding
from small_git.protocol.yamlsafe import Document

OPEN = ("pending", "in_progress", "blocked")
FINAL = ("completed", "cancelled")
# Statuses that only a checkpoint sets in the plan; logging `in_progress` against a `pending` task is ordinary
# progress reporting, not a contradiction (the reference's own examples do it).
_WORKING = frozenset(("pending", "in_progress"))
RULE = "plan-lags-progress"


def normalise(status: object) -> str:
    """Plan statuses are compared trimmed and lower-cased; a missing or blank one means pending."""
    if not isinstance(status, str) or not status.strip():
        return "pending"
    return status.strip().lower()


def is_final(status: object) -> bool:
    return normalise(status) in FINAL


def allowed_moves(current: object, reopen: bool = False) -> tuple[str, ...]:
    """The statuses a task in `current` may move to."""
    status = normalise(current)
    if status in FINAL:
        return tuple(s for s in STATUSES if s != status) if reopen else ()
    return STATUSES


def move_error(task_id: str, current: object, new: str, reopen: bool) -> str | None:
    """Why the move is refused (naming the allowed moves), or None when it is allowed."""
    status = normalise(current)
    if new not in STATUSES:
        return f"invalid status {new!r} (must be one of: {', '.join(STATUSES)})"
    if reopen and status not in FINAL:
        return f"--reopen is for completed or cancelled tasks; {task_id} is {status} (drop --reopen)"
    if new in allowed_moves(status, reopen):
        return None
    if status in FINAL and not reopen:
        others = ", ".join(s for s in STATUSES if s != status)
        return (
            f"{task_id} is {status}, a final status; it moves only when reopened: "
            f"pass --reopen to move it to one of: {others}"
        )
    return f"{task_id} cannot move from {status} to {new}; allowed: {', '.join(allowed_moves(status, reopen))}"


def last_statuses(progress: Any) -> dict[str, str]:
    """The status of each task's last progress entry that has one."""
    last: dict[str, str] = {}
    entries = progress.get("entries") if isinstance(progress, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        task_id, status = entry.get("task_id"), entry.get("status")
        if isinstance(task_id, str) and task_id.strip() and isinstance(status, str) and status in STATUSES:
            last[task_id.strip()] = status
    return last


def contradicts(plan_status: object, last_status: str) -> bool:
    plan = normalise(plan_status)
    return plan != last_status and not (plan in _WORKING and last_status in _WORKING)


def lagging_tasks(plan: Any, progress: Any) -> list[tuple[int, str, str, str]]:
    """(index, task id, plan status, last progress status) of every task whose plan status contradicts it."""
    tasks = plan.get("tasks") if isinstance(plan, dict) else None
    last = last_statuses(progress)
    out = []
    for index, task in enumerate(tasks if isinstance(tasks, list) else []):
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            continue
        task_id = task["id"].strip()
        if task_id in last and contradicts(task.get("status"), last[task_id]):
            out.append((index, task_id, normalise(task.get("status")), last[task_id]))
    return out


def lifecycle_findings(
    plan: Document | Any, progress: Document | Any, plan_path: str = display_path("plan")
) -> list[Finding]:
    """`plan-lags-progress`: a plan status that contradicts the task's last progress entry (for example a
    checkpoint interrupted between its progress append and its plan write)."""
    plan_doc = plan if isinstance(plan, Document) else None
    plan_data = plan.data if isinstance(plan, Document) else plan
    progress_data = progress.data if isinstance(progress, Document) else progress
    findings = []
    for index, task_id, plan_status, last in lagging_tasks(plan_data, progress_data):
        line = plan_doc.line_of(("tasks", index, "status")) if plan_doc else None
        findings.append(
            Finding(
                RULE,
                plan_path,
                f"task {task_id!r} is {plan_status} in the plan but its last progress entry says {last}",
                line,
                "run: small fix   (it updates the plan from the progress log)",
                stage="verify",
            )
        )
    return findings
