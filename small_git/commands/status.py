"""`status`: a compact view of a workspace — intent, current task, counts, recent entries, handoff freshness.

Read-only and tolerant: a missing file is shown as missing, an unreadable one is shown with its error (and the
command then exits 2, as every command does on unreadable input).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol.artifacts import ALL_FILES, display_path
from small_git.protocol.cross_rules import entries_of, tasks_of
from small_git.report import console, json_report
from small_git.report.status import status_screen
from small_git.workflow.drafts import pending_drafts
from small_git.workflow.freshness import handoff_freshness
from small_git.workflow.view import View, actionable_tasks, current_task, load_view, recent_entries, status_counts


def summarise(view: View, recent: int = 5, tasks: int = 3) -> dict[str, Any]:
    """The `status --json` document."""
    intent = view.data.get("intent")
    plan = view.data.get("plan")
    progress = view.data.get("progress")
    handoff = view.data.get("handoff")
    workspace = view.data.get("workspace")
    run = workspace.get("run") if isinstance(workspace, dict) else None
    resume = handoff.get("resume") if isinstance(handoff, dict) else None
    entries = entries_of(progress)
    return {
        "workspace": str(view.root),
        "kind": workspace.get("kind") if isinstance(workspace, dict) else None,
        "files": {
            kind: ("unreadable" if kind in view.problems else "present" if view.present(kind) else "missing")
            for kind in ALL_FILES
        },
        "problems": [{"file": display_path(k), "message": m} for k, m in view.problems.items()],
        "intent": intent.get("intent") if isinstance(intent, dict) else None,
        "replay_id": run.get("replay_id") if isinstance(run, dict) else None,
        "plan": {
            "total_tasks": len(tasks_of(plan)),
            "tasks_by_status": status_counts(plan),
            "current_task": current_task(plan),
            "next_actionable": actionable_tasks(plan)[: max(tasks, 0)],
        },
        "progress": {
            "entries": len(entries),
            "last_timestamp": entries[-1].get("timestamp") if entries else None,
            "recent": recent_entries(progress, recent),
        },
        "handoff": {
            "present": view.present("handoff"),
            "summary": handoff.get("summary") if isinstance(handoff, dict) else None,
            "current_task_id": resume.get("current_task_id") if isinstance(resume, dict) else None,
            "freshness": handoff_freshness(view.root, handoff),
        },
        "drafts": pending_drafts(view.root),
    }


@dataclass(frozen=True)
class StatusRequest:
    directory: str | None = None
    json: bool = False
    recent: int = 5  # progress entries shown
    tasks: int = 3  # next actionable tasks shown


def run(request: StatusRequest) -> int:
    if request.recent < 0 or request.tasks < 0:
        raise SmallError("--recent and --tasks must be zero or more", exit_code=EXIT_USAGE)
    view = load_view(request.directory)
    doc = summarise(view, request.recent, request.tasks)
    if request.json:
        json_report.emit(doc)
    else:
        console.out(status_screen(doc))
    return EXIT_OK if view.readable else EXIT_USAGE
