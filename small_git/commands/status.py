"""`status`: a compact view of a workspace — intent, current task, counts, recent entries, handoff freshness.

Read-only and tolerant: a missing file is shown as missing, an unreadable one is shown with its error (and the
command then exits 2, as every command does on unreadable input).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol.artifacts import ALL_FILES, CANONICAL, display_path, filename
from small_git.protocol.cross_rules import entries_of, tasks_of
from small_git.report.colour import PLAIN, Palette, palette
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


def _one_line(value: Any, limit: int = 100) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_text(doc: dict[str, Any], colours: Palette = PLAIN) -> str:
    lines = [f"Workspace: {doc['workspace']}" + (f" ({doc['kind']})" if doc["kind"] else "")]
    missing = [filename(k) for k in CANONICAL if doc["files"][k] == "missing"]
    if missing:
        lines.append(f"Missing: {', '.join(missing)}")
    for problem in doc["problems"]:
        lines.append(f"Unreadable: {problem['file']}: {_one_line(problem['message'], 160)}")
    lines.append(f"Intent: {_one_line(doc['intent']) or '(none)'}")
    if doc["replay_id"]:
        lines.append(f"Run: {doc['replay_id'][:16]}...")
    plan = doc["plan"]
    counts = ", ".join(colours.status(s, f"{n} {s}") for s, n in plan["tasks_by_status"].items() if n)
    lines.append(f"Plan: {plan['total_tasks']} task(s)" + (f" ({counts})" if counts else ""))
    lines.append(f"Current task: {plan['current_task'] or '(none)'}")
    if plan["next_actionable"]:
        lines.append(f"Next actionable: {', '.join(plan['next_actionable'])}")
    progress = doc["progress"]
    lines.append(f"Progress: {progress['entries']} entr{'y' if progress['entries'] == 1 else 'ies'}")
    for entry in progress["recent"]:
        what = entry.get("evidence") if entry.get("evidence") is not None else entry.get("notes", "")
        lines.append(
            f"  {entry.get('timestamp', '?')}  {entry.get('task_id', '?')}  "
            f"{colours.status(str(entry.get('status', '-')))}  {_one_line(what, 80)}"
        )
    handoff = doc["handoff"]
    if not handoff["present"]:
        lines.append("Handoff: none (write one: small handoff)")
    else:
        fresh = handoff["freshness"]
        label = {"fresh": colours.good("fresh"), "stale": colours.bad("STALE"), "unknown": "freshness unknown"}[
            fresh["state"]
        ]
        at = f" at {fresh['commit']}" if fresh["commit"] else ""
        lines.append(f"Handoff: {label}{at}" + (f" - {fresh['reason']}" if fresh["reason"] else ""))
        if fresh["state"] == "stale":
            lines.append("  regenerate it before you stop: small handoff")
        if handoff["summary"]:
            lines.append(f"  {_one_line(handoff['summary'])}")
    for draft in doc["drafts"]:
        lines.append(f"Draft awaiting a human: {draft} (review, then: small accept {Path(draft).name.split('.')[0]})")
    return "\n".join(lines)


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
    print(json.dumps(doc, indent=2, default=str) if request.json else render_text(doc, palette(sys.stdout)))
    return EXIT_OK if view.readable else EXIT_USAGE
