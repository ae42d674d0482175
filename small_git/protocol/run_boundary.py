"""Where the current run starts in a progress log.

A run's rules see that run's entries: the plan of a new run must not be judged against an earlier run's
statuses and evidence. The boundary is written in the log itself, by the entry each tool appends when it
replaces the plan with the template (so every reader, git history included, sees the same runs):

| written by | command | entry |
|---|---|---|
| small-git | `reset` | `task_id: meta/reset` |
| small-git | `plan --reset` | `task_id: meta/plan-reset` |
| the reference CLI | `reset` | `task_id: reset`, notes `small reset` or `small reset --keep-intent` |
| the reference CLI | `plan --reset` | `task_id: plan-reset`, notes `small plan --reset` |

The current run is the last such entry and everything after it (the whole log when there is none). The
boundary entry belongs to the run it starts (small-git's carries the new run's replayId). Ids and notes match
exactly, as the tools write them.
"""

from __future__ import annotations

from typing import Any

SMALL_GIT_RUN_STARTS = frozenset({"meta/reset", "meta/plan-reset"})
# the reference's ids are not meta/, so plan tasks could use them: its own notes make them a boundary
REFERENCE_RUN_STARTS = {
    "reset": frozenset({"small reset", "small reset --keep-intent"}),
    "plan-reset": frozenset({"small plan --reset"}),
}
_CANDIDATES = SMALL_GIT_RUN_STARTS | frozenset(REFERENCE_RUN_STARTS)


def starts_run(entry: Any) -> bool:
    """Whether this progress entry is a run boundary (see the table above)."""
    if type(entry) is not dict:
        return False
    task_id = entry.get("task_id")
    if type(task_id) is not str or task_id not in _CANDIDATES:  # the common case: one set lookup
        return False
    if task_id in SMALL_GIT_RUN_STARTS:
        return True
    notes = entry.get("notes")
    return type(notes) is str and notes in REFERENCE_RUN_STARTS[task_id]


def run_start(entries: list[Any]) -> int:
    """The index of the current run's first entry (0 when the log has no boundary)."""
    for index in range(len(entries) - 1, -1, -1):
        if starts_run(entries[index]):
            return index
    return 0


def current_run(entries: list[Any]) -> list[Any]:
    """The current run's entries, in file order."""
    return entries[run_start(entries) :]


def current_run_entries(progress: Any) -> list[Any]:
    """The current run's entries of a parsed progress document (any shape: [] when it has no entry list)."""
    entries = progress.get("entries") if isinstance(progress, dict) else None
    return current_run(entries) if isinstance(entries, list) else []
