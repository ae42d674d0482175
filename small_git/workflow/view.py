"""A workspace loaded for viewing (status, emit, doctor): tolerant of missing and broken files, plus the task
scheduling the views and the handoff share."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from small_git.errors import SmallError
from small_git.protocol.artifacts import ALL_FILES
from small_git.protocol.cross_rules import entries_of, task_status, tasks_of
from small_git.protocol.state import State
from small_git.store.reader import read_state, resolve_root

STATUS_ORDER = ("pending", "in_progress", "blocked", "completed", "cancelled")
# Entries that record machinery rather than work; views hide them from "recent".
_NOISE_PREFIXES = ("meta/apply",)


@dataclass
class View:
    """One workspace, loaded without failing on missing or broken files."""

    root: Path
    state: State
    data: dict[str, Any] = field(default_factory=dict)  # kind -> parsed data (absent or broken: missing)
    problems: dict[str, str] = field(default_factory=dict)  # kind -> why it could not be read

    def present(self, kind: str) -> bool:
        return self.state.present(kind)

    @property
    def readable(self) -> bool:
        return not self.problems


def load_view(directory: str | os.PathLike[str] | None) -> View:
    """Raises SmallError (exit 2) only when there is no `.small/` folder at all."""
    root = resolve_root(directory)
    state = read_state(root)
    view = View(root, state)
    for kind in ALL_FILES:
        try:
            doc = state.load(kind)
        except SmallError as exc:
            view.problems[kind] = exc.message
            continue
        if doc is not None:
            view.data[kind] = doc.data
    return view


def _deps(task: dict[str, Any]) -> list[str]:
    for key in ("dependencies", "depends_on"):
        value = task.get(key)
        if isinstance(value, list):
            return [d for d in value if isinstance(d, str)]
    return []


def normalised_status(task: dict[str, Any]) -> str:
    return task_status(task) or "pending"


def actionable_tasks(plan: Any) -> list[str]:
    """Pending tasks whose dependencies are all completed, in plan order."""
    tasks = tasks_of(plan)
    status_by_id = {t["id"]: normalised_status(t) for t in tasks if isinstance(t.get("id"), str)}
    return [
        str(t["id"])
        for t in tasks
        if isinstance(t.get("id"), str)
        and normalised_status(t) == "pending"
        and all(status_by_id.get(d) == "completed" for d in _deps(t))
    ]


def current_task(plan: Any) -> str | None:
    """The first in-progress task, else the first actionable one, else the first blocked one."""
    tasks = [t for t in tasks_of(plan) if isinstance(t.get("id"), str)]
    for wanted in ("in_progress",):
        for task in tasks:
            if normalised_status(task) == wanted:
                return str(task["id"])
    ready = actionable_tasks(plan)
    if ready:
        return ready[0]
    for task in tasks:
        if normalised_status(task) == "blocked":
            return str(task["id"])
    return None


def status_counts(plan: Any) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for task in tasks_of(plan):
        status = normalised_status(task)
        counts[status] = counts.get(status, 0) + 1
    return counts


def recent_entries(progress: Any, limit: int, *, signal_only: bool = True) -> list[dict[str, Any]]:
    """The last `limit` entries in file order (newest first)."""
    entries = entries_of(progress)
    if signal_only:
        entries = [
            e for e in entries if not (isinstance(e.get("task_id"), str) and e["task_id"].startswith(_NOISE_PREFIXES))
        ]
    return list(reversed(entries[-limit:])) if limit > 0 else []


def task_rows(plan: Any) -> list[dict[str, Any]]:
    """Each task of the plan, in plan order, as `{"id", "status", "title", "dependencies"}` (what `small plan`
    lists). Whatever shape the plan has: an id or title that is not text is shown as it is, a missing status
    reads as pending."""
    rows = []
    for task in tasks_of(plan):
        title = task.get("title")
        rows.append(
            {
                "id": task.get("id"),
                "status": normalised_status(task),
                "title": title if title is not None else "",
                "dependencies": _deps(task),
            }
        )
    return rows
