"""`status`: a compact view of a workspace — intent, current task, counts, recent entries, handoff freshness.

Read-only and tolerant: a missing file is shown as missing, an unreadable one is shown with its error (and the
command then exits 2, as every command does on unreadable input). The helpers here (tolerant loading, task
scheduling, handoff freshness) are shared with `emit` and `doctor`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from small_git.commands.handoff import COMMIT_LINK_PREFIX
from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.git import plumbing as git
from small_git.protocol.artifacts import (
    ALL_FILES,
    CACHE_DIR,
    CANONICAL,
    DRAFTS_DIR,
    HUMAN_OWNED,
    display_path,
    filename,
)
from small_git.protocol.cross_rules import entries_of, task_status, tasks_of
from small_git.protocol.state import State
from small_git.store.reader import read_state, resolve_root

OPEN_STATUSES = ("pending", "in_progress", "blocked")
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
    status_by_id = {t.get("id"): normalised_status(t) for t in tasks}
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


def pending_drafts(root: Path) -> list[str]:
    return [f"{DRAFTS_DIR}/{filename(k)}" for k in HUMAN_OWNED if (root / DRAFTS_DIR / filename(k)).is_file()]


# --- handoff freshness (spec §6.4) ----------------------------------------------------------------------


def handoff_commit(handoff: Any) -> str | None:
    """The commit a handoff was generated at: `handoff` records it as a `links` item whose url is
    `git:<sha>` (reference-valid: links are free-form url/description pairs)."""
    if not isinstance(handoff, dict) or not isinstance(handoff.get("links"), list):
        return None
    for link in handoff["links"]:
        url = link.get("url") if isinstance(link, dict) else None
        if isinstance(url, str) and url.startswith(COMMIT_LINK_PREFIX):
            sha = url[len(COMMIT_LINK_PREFIX) :].strip()
            if 7 <= len(sha) <= 64 and all(c in "0123456789abcdef" for c in sha.lower()):
                return sha
    return None


def handoff_freshness(root: Path, handoff: Any) -> dict[str, Any]:
    """`{"state": fresh|stale|unknown, "commit", "reason", "changed": [paths…], "changed_count"}`.

    Stale means code or `.small/` changed after the recorded commit (committed or not, untracked files
    included); the handoff file itself, the workspace metadata and runtime scratch (`.small-cache/`) do not
    count, so the commit that only adds the handoff keeps it fresh."""
    result: dict[str, Any] = {"state": "unknown", "commit": None, "reason": None, "changed": [], "changed_count": 0}
    if handoff is None:
        result["reason"] = "no handoff"
        return result
    commit = handoff_commit(handoff)
    result["commit"] = commit
    top_path = git.top_level(root) if root.is_dir() else None
    if top_path is None:
        result["reason"] = "not a git work tree"
        return result
    if commit is None:
        result["reason"] = "the handoff does not record its commit (regenerate it: small handoff)"
        return result
    full = git.rev_parse(f"{commit}^{{commit}}", top_path)
    if full is None:
        result["reason"] = f"the recorded commit {commit} is not in this repository"
        return result
    ignored = set()
    for kind in ("handoff", "workspace"):
        try:
            ignored.add((root / display_path(kind)).resolve().relative_to(top_path.resolve()).as_posix())
        except ValueError:
            pass
    # Against the work tree (committed and uncommitted changes alike), plus untracked files.
    changed_out = git.run_git(["diff", "--name-only", "-z", "--no-renames", full, "--"], top_path, check=False)
    untracked_out = git.run_git(["ls-files", "--others", "--exclude-standard", "-z"], top_path, check=False)
    changed = sorted(
        {
            p
            for p in (changed_out + "\0" + untracked_out).split("\0")
            if p and p not in ignored and CACHE_DIR not in Path(p).parts
        }
    )
    result.update(state="stale" if changed else "fresh", changed=changed[:20], changed_count=len(changed))
    if changed:
        result["reason"] = f"{len(changed)} path(s) changed since the handoff was generated"
    return result


# --- the command --------------------------------------------------------------------------------------


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


def render_text(doc: dict[str, Any]) -> str:
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
    counts = ", ".join(f"{n} {s}" for s, n in plan["tasks_by_status"].items() if n)
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
            f"{entry.get('status', '-')}  {_one_line(what, 80)}"
        )
    handoff = doc["handoff"]
    if not handoff["present"]:
        lines.append("Handoff: none (write one: small handoff)")
    else:
        fresh = handoff["freshness"]
        label = {"fresh": "fresh", "stale": "STALE", "unknown": "freshness unknown"}[fresh["state"]]
        at = f" at {fresh['commit']}" if fresh["commit"] else ""
        lines.append(f"Handoff: {label}{at}" + (f" - {fresh['reason']}" if fresh["reason"] else ""))
        if fresh["state"] == "stale":
            lines.append("  regenerate it before you stop: small handoff")
        if handoff["summary"]:
            lines.append(f"  {_one_line(handoff['summary'])}")
    for draft in doc["drafts"]:
        lines.append(f"Draft awaiting a human: {draft} (review, then: small accept {Path(draft).name.split('.')[0]})")
    return "\n".join(lines)


def run(directory: str | None = None, as_json: bool = False, recent: int = 5, tasks: int = 3) -> int:
    if recent < 0 or tasks < 0:
        raise SmallError("--recent and --tasks must be zero or more", exit_code=EXIT_USAGE)
    view = load_view(directory)
    doc = summarise(view, recent, tasks)
    print(json.dumps(doc, indent=2, default=str) if as_json else render_text(doc))
    return EXIT_OK if view.readable else EXIT_USAGE
