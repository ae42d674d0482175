"""`plan`: add, remove and reorder tasks, set dependencies and statuses — editing the text of
`plan.small.yml` so that everything it does not change keeps its formatting and comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from small_git.commands import run_writer
from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.report import console
from small_git.report.plan_list import tasks_screen
from small_git.store.lock import workspace_lock
from small_git.store.plan_edit import PlanEditor
from small_git.store.progress_log import load_log
from small_git.store.reader import resolve_root, small_dir
from small_git.store.templates import PLAN_TEMPLATE
from small_git.store.workspace_file import enforce_scope
from small_git.workflow.entries import parse_status
from small_git.workflow.plan import PLAN, plan_data, read_plan, record, transition
from small_git.workflow.view import task_rows
from small_git.workflow.written import Written


@dataclass(frozen=True)
class PlanRequest:
    add: tuple[str, ...] = ()
    statuses: tuple[tuple[str, str], ...] = ()  # (task id, status), in order
    depends: tuple[str, ...] = ()  # "A:B" = A depends on B
    remove: tuple[str, ...] = ()
    move: str | None = None
    before: str | None = None
    after: str | None = None
    reopen: bool = False
    reset: bool = False
    yes: bool = False
    directory: str | None = None
    scope: str = "root"
    json: bool = False
    messages: list[str] = field(default_factory=list)

    @property
    def edits(self) -> bool:
        return (
            bool(self.add or self.statuses or self.depends or self.remove or self.move or self.before or self.after)
            or self.reset
        )


def _logged_task_ids(root: Path) -> set[str]:
    data = load_log(root) or {}
    entries = data.get("entries")
    return (
        {e["task_id"] for e in entries if isinstance(e, dict) and isinstance(e.get("task_id"), str)}
        if isinstance(entries, list)
        else set()
    )


def _split_dependency(raw: str) -> tuple[str, str]:
    task, sep, dependency = raw.partition(":")
    if not sep or not task.strip() or not dependency.strip():
        raise SmallError(f"--depends takes TASK:DEPENDENCY, got {raw!r}", exit_code=EXIT_USAGE)
    return task.strip(), dependency.strip()


def _edit(root: Path, editor: PlanEditor, request: PlanRequest) -> tuple[list[str], list[dict[str, Any]]]:
    """Apply the requested edits in order; returns (messages, progress entries for status changes)."""
    messages: list[str] = []
    entries: list[dict[str, Any]] = []
    for title in request.add:
        task_id = editor.add_task(title)
        messages.append(f"Added task {task_id}: {title}")
    for task_id, raw_status in request.statuses:
        status = parse_status(raw_status)
        current = transition(editor, task_id, status, request.reopen)
        entry = {
            "task_id": task_id,
            "status": status,
            "evidence": f"Updated {task_id} to {status} via small plan",
            "notes": f"small plan: {current} -> {status}" + (" (reopened)" if request.reopen else ""),
        }
        entries.append(entry)
        messages.append(f"{task_id}: {current} -> {status}")
    for raw in request.depends:
        task_id, dependency = _split_dependency(raw)
        editor.add_dependency(task_id, dependency)
        messages.append(f"{task_id} now depends on {dependency}")
    logged = _logged_task_ids(root) if request.remove else set()
    for task_id in request.remove:
        if task_id in logged:
            raise SmallError(
                f"cannot remove {task_id}: progress entries name it, and they would no longer match the plan",
                exit_code=EXIT_USAGE,
                hint=f"cancel it instead: small checkpoint --task {task_id} --status cancelled",
            )
        editor.remove_task(task_id)
        messages.append(f"Removed task {task_id}")
    if request.move or request.before or request.after:
        if not request.move:
            raise SmallError("--before/--after need --move ID", exit_code=EXIT_USAGE)
        editor.move_task(request.move, request.before, request.after)
        messages.append(
            f"Moved {request.move} " + (f"before {request.before}" if request.before else f"after {request.after}")
        )
    return messages, entries


def _rows(root: Path) -> list[dict[str, Any]]:
    plan = plan_data(root, required=True)
    if not isinstance(plan, dict) or not isinstance(plan.get("tasks", []), list):
        raise SmallError(
            f"{PLAN} holds no list of tasks", exit_code=EXIT_USAGE, file=PLAN, hint="small check names the problem"
        )
    return task_rows(plan)


def _list(root: Path, request: PlanRequest, written: Written) -> int:
    """No edits: the tasks (a missing plan is first created from the template, as the reference does)."""
    if read_plan(root) is None:
        with workspace_lock(root):
            if read_plan(root) is None:
                record(root, None, PlanEditor(PLAN_TEMPLATE), [])
                written.messages.append("Creating new plan from template")
                if not request.json:
                    console.out("Creating new plan from template")
    rows = _rows(root)
    written.details["tasks"] = rows
    if not request.json:
        console.out(tasks_screen(rows))
    return EXIT_OK


def run(request: PlanRequest) -> int:
    return run_writer("plan", request.json, lambda written: _run(request, written))


def _run(request: PlanRequest, written: Written) -> int:
    root = resolve_root(request.directory)
    small_dir(root)
    written.start(root)
    enforce_scope(root, request.scope, "plan", allow_examples=False)
    if not request.edits:
        return _list(root, request, written)
    if request.reset and not request.yes:
        raise SmallError("--reset replaces the whole plan; confirm with --yes", exit_code=EXIT_USAGE)
    with workspace_lock(root):
        raw = read_plan(root)
        messages: list[str] = []
        entries: list[dict[str, Any]] = []
        if raw is None or request.reset:
            messages.append("Plan reset to template" if request.reset else "Creating new plan from template")
            if request.reset:
                entries.append(
                    {
                        "task_id": "meta/plan-reset",
                        "status": "completed",
                        "evidence": "Reset plan.small.yml to template",
                        "notes": "small plan --reset",
                    }
                )
        editor = PlanEditor(PLAN_TEMPLATE if raw is None or request.reset else raw)
        edited, status_entries = _edit(root, editor, request)
        messages += edited
        entries += status_entries
        result = editor.result()
        if result != raw or entries:
            written.entries += record(root, raw, editor, entries)
        else:
            messages.append("No changes made to plan")
    written.messages += messages
    if request.json:
        written.details["tasks"] = _rows(root)
        return EXIT_OK
    for message in messages:
        console.out(message)
    return EXIT_OK
