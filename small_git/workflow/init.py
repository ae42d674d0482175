"""Creating a workspace's files (`init`, `init --force`, and `fix` after an interrupted `init`).

Only files that are missing are created, each atomically; nothing that exists is touched, least of all the
progress log. The order (intent, constraints, plan, workspace, progress, handoff) is what an interrupted
`init` leaves a prefix of.
"""

from __future__ import annotations

import os
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import CACHE_DIR, display_path
from small_git.protocol.replayid import compute_replay_id
from small_git.protocol.timestamps import format_ns, now_ns
from small_git.store.atomic import atomic_write
from small_git.store.progress_log import load_log, new_log_bytes
from small_git.store.reader import read_any_file, read_artifact
from small_git.store.templates import CONSTRAINTS_TEMPLATE, INTENT_TEMPLATE, PLAN_TEMPLATE
from small_git.store.workspace_file import new_workspace, write_workspace
from small_git.workflow.handoff import initial_handoff

INIT_TASK = "meta/init"
GITIGNORE_LINE = f"{CACHE_DIR}/"
WORKSPACE_KIND = "repo-root"


def init_entry(stamp: str) -> dict[str, str]:
    """The first progress entry. It names no path: a folder name can look like a token (a mktemp name, a
    macOS TMPDIR), and nothing small-git writes may fail its own strict check."""
    return {
        "task_id": INIT_TASK,
        "status": "completed",
        "evidence": "Initialized .small workspace and seeded canonical artifacts",
        "command": "small init",
        "timestamp": stamp,
    }


def create_missing(root: Path, intent: bytes = INTENT_TEMPLATE) -> list[str]:
    """Create the files of `root/.small/` that are missing (caller holds the lock). Returns their paths."""
    stamp = format_ns(now_ns())
    created: list[str] = []
    for kind, data in (("intent", intent), ("constraints", CONSTRAINTS_TEMPLATE), ("plan", PLAN_TEMPLATE)):
        created += _create(root, kind, data)
    if not os.path.lexists(root / display_path("workspace")):
        write_workspace(root, new_workspace(WORKSPACE_KIND, stamp))
        created.append(display_path("workspace"))
    created += _create(root, "progress", new_log_bytes([init_entry(stamp)]))
    if not os.path.lexists(root / display_path("handoff")):
        intent_now, plan_now = read_artifact(root, "intent") or b"", read_artifact(root, "plan") or b""
        replay_id = compute_replay_id(intent_now, plan_now, read_artifact(root, "constraints"))
        created += _create(root, "handoff", initial_handoff(replay_id))
    return created


def interrupted_init(root: Path) -> bool:
    """Whether nothing has happened in the workspace since an `init` that may have been cut short: some file
    is missing, and the progress log is absent or holds nothing but the init entry."""
    missing = [k for k in ("intent", "constraints", "plan", "workspace", "progress", "handoff") if not _exists(root, k)]
    if not missing:
        return False
    if "progress" in missing:
        return True
    try:
        log = load_log(root) or {}
    except SmallError:
        return False  # a log that cannot be read or parsed is not the one init writes
    entries = log.get("entries")
    return isinstance(entries, list) and all(isinstance(e, dict) and e.get("task_id") == INIT_TASK for e in entries)


def ensure_gitignore(root: Path) -> bool:
    """Add `.small-cache/` to root/.gitignore unless a line already says so. True when the file changed."""
    path = root / ".gitignore"
    raw, problem = read_any_file(path)
    if problem is not None:
        raise SmallError(f"{path} {problem}", exit_code=EXIT_USAGE, file=".gitignore")
    text = (raw or b"").decode("utf-8", errors="surrogateescape")
    if any(
        line.strip() in (GITIGNORE_LINE, CACHE_DIR, "/" + GITIGNORE_LINE, "/" + CACHE_DIR) for line in text.splitlines()
    ):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write(path, (text + GITIGNORE_LINE + "\n").encode("utf-8", errors="surrogateescape"))
    return True


def _exists(root: Path, kind: str) -> bool:
    return os.path.lexists(root / display_path(kind))


def _create(root: Path, kind: str, data: bytes) -> list[str]:
    if _exists(root, kind):
        return []
    atomic_write(root / display_path(kind), data)
    return [display_path(kind)]
