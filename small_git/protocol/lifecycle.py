"""The task lifecycle (spec §4) and the rule that a plan's status agrees with the task's progress.

`pending`, `in_progress` and `blocked` are open; `completed` and `cancelled` are final. An open task may move
to any status; a final task moves only when reopened (`--reopen`), which the appended entry records.

`plan-lags-progress` reports a plan that has not followed a move the log records: what a transition
(`checkpoint`, `plan --status`) leaves behind when it dies between its progress append and its plan write.
What it reads, and why (so that the reference CLI's ordinary flows pass, docs/conformance.md):
- only the current run's entries (protocol/run_boundary.py): a new run's plan is not judged by an older run;
- not the entries that record a command's run (`command_sha256`, written by both tools' `apply`): their status
  is the command's outcome, and the reference's `apply` records `completed` without moving the plan;
- a plan that is ahead of the log is no contradiction: a final plan status after an open entry is what the
  reference's `plan --done` leaves (it appends nothing when the task already has an entry with evidence or
  notes), unless that entry records a reopen, which the plan then has not followed;
- `pending` and `in_progress` agree with each other (logging progress on a task is not moving it).
"""

from __future__ import annotations

from typing import Any

from small_git.protocol.artifacts import STATUSES, display_path
from small_git.protocol.findings import Finding
from small_git.protocol.run_boundary import current_run_entries
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


def records_command(entry: dict[str, Any]) -> bool:
    """An entry that records a command's run (both tools' `apply`): its status is the command's outcome."""
    return "command_sha256" in entry


def records_reopen(entry: dict[str, Any]) -> bool:
    """An entry written by a reopening move: `checkpoint --reopen` ("reopened from completed: ...") or
    `plan --status ... --reopen` ("small plan: completed -> pending (reopened)")."""
    notes = entry.get("notes")
    return isinstance(notes, str) and (notes.startswith(REOPEN_NOTE) or notes.endswith(REOPEN_SUFFIX))


REOPEN_NOTE = "reopened from "
REOPEN_SUFFIX = "(reopened)"


def last_decisions(progress: Any) -> dict[str, tuple[str, bool]]:
    """Per task, (status, recorded a reopen) of its last status-bearing entry in the current run that is not
    a command record."""
    last: dict[str, tuple[str, bool]] = {}
    for entry in current_run_entries(progress):
        if not isinstance(entry, dict):
            continue
        task_id, status = entry.get("task_id"), entry.get("status")
        if isinstance(task_id, str) and task_id.strip() and isinstance(status, str) and status in STATUSES:
            if not records_command(entry):
                last[task_id.strip()] = (status, records_reopen(entry))
    return last


def contradicts(plan_status: object, last_status: str, reopened: bool = False) -> bool:
    """Whether the plan has not followed the last move the log records (the rules in the module docstring)."""
    plan = normalise(plan_status)
    if plan == last_status or (plan in _WORKING and last_status in _WORKING):
        return False
    # the plan moved on to a final status without a new entry, unless the entry reopened the task
    return not (plan in FINAL and last_status in OPEN and not reopened)


def lagging_tasks(plan: Any, progress: Any) -> list[tuple[int, str, str, str]]:
    """(index, task id, plan status, last progress status) of every task whose plan status contradicts it."""
    tasks = plan.get("tasks") if isinstance(plan, dict) else None
    last = last_decisions(progress)
    out = []
    for index, task in enumerate(tasks if isinstance(tasks, list) else []):
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            continue
        task_id = task["id"].strip()
        if task_id in last and contradicts(task.get("status"), *last[task_id]):
            out.append((index, task_id, normalise(task.get("status")), last[task_id][0]))
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
                f"task {task_id!r} is {plan_status} in the plan but its last move in this run's progress says {last}",
                line,
                "run: small fix   (it updates the plan from the progress log)",
                stage="verify",
            )
        )
    return findings
