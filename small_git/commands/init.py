"""`init`: create a workspace — the five artifacts, `workspace.small.yml`, a first progress entry
(`meta/init`), a handoff, and `.small-cache/` in `.gitignore`. `--force` only creates what is missing; it
never touches an existing file, least of all the progress log."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from small_git import PROTOCOL_VERSION
from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol.artifacts import CACHE_DIR, SMALL_DIR, display_path, filename
from small_git.protocol.emitter import quote
from small_git.protocol.replayid import compute_replay_id
from small_git.protocol.timestamps import format_ns, now_ns
from small_git.report import console
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import new_log_bytes
from small_git.store.reader import resolve_root
from small_git.store.templates import CONSTRAINTS_TEMPLATE, INTENT_TEMPLATE, PLAN_TEMPLATE
from small_git.store.workspace_file import new_workspace, write_workspace
from small_git.workflow.handoff import initial_handoff

GITIGNORE_LINE = f"{CACHE_DIR}/"


def intent_template(intent: str | None) -> bytes:
    if intent is None:
        return INTENT_TEMPLATE
    if not intent.strip():
        raise SmallError("--intent must not be empty", exit_code=EXIT_USAGE)
    return INTENT_TEMPLATE.replace(b'"Define project intent"', quote(intent.strip()).encode("utf-8"))


def ensure_gitignore(root: Path) -> bool:
    """Add `.small-cache/` to root/.gitignore unless a line already says so. True when the file changed."""
    path = root / ".gitignore"
    try:
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        text = ""
    if any(
        line.strip() in (GITIGNORE_LINE, CACHE_DIR, "/" + GITIGNORE_LINE, "/" + CACHE_DIR) for line in text.splitlines()
    ):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write(path, (text + GITIGNORE_LINE + "\n").encode("utf-8", errors="surrogateescape"))
    return True


@dataclass(frozen=True)
class InitRequest:
    directory: str | None = None
    intent: str | None = None  # None: the template's placeholder
    force: bool = False  # create only what is missing


def run(request: InitRequest) -> int:
    intent, force = request.intent, request.force
    root = resolve_root(request.directory)
    folder = root / SMALL_DIR
    if os.path.lexists(folder) and not force:
        raise SmallError(
            f"{folder} already exists",
            exit_code=EXIT_USAGE,
            hint="use --force to create only the files that are missing (nothing is overwritten)",
        )
    if os.path.lexists(folder) and not folder.is_dir():
        raise SmallError(f"{folder} exists and is not a directory", exit_code=EXIT_USAGE)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SmallError(f"cannot create {folder}: {exc.strerror}", exit_code=EXIT_USAGE) from None
    created: list[str] = []
    with workspace_lock(root):
        stamp = format_ns(now_ns())
        templates = {
            "intent": intent_template(intent),
            "constraints": CONSTRAINTS_TEMPLATE,
            "plan": PLAN_TEMPLATE,
        }
        for kind, data in templates.items():
            created += _create(root, kind, data)
        if not (folder / filename("workspace")).exists():
            write_workspace(root, new_workspace("repo-root", stamp))
            created.append(display_path("workspace"))
        entry = {
            "task_id": "meta/init",
            "status": "completed",
            "evidence": "Initialized .small workspace and seeded canonical artifacts",
            "command": "small init",
            "notes": f"small init in {root}",
            "timestamp": stamp,
        }
        created += _create(root, "progress", new_log_bytes([entry]))
        if not (folder / filename("handoff")).exists():
            intent_plan = _read(root, "intent"), _read(root, "plan")
            replay_id = compute_replay_id(*intent_plan, _read(root, "constraints"))
            created += _create(root, "handoff", initial_handoff(replay_id))
        ignored = ensure_gitignore(root)
    console.out(f"Initialized SMALL v{PROTOCOL_VERSION} in {folder}" if created else f"Nothing to create in {folder}")
    for path in created:
        console.out(f"  created {path}")
    if ignored:
        console.out(f"  added {GITIGNORE_LINE} to .gitignore")
    if created:
        console.out('Next: fill in intent.small.yml and constraints.small.yml, then: small plan --add "<first task>"')
    return EXIT_OK


def _read(root: Path, kind: str) -> bytes:
    return (root / display_path(kind)).read_bytes()


def _create(root: Path, kind: str, data: bytes) -> list[str]:
    path = root / display_path(kind)
    if os.path.lexists(path):
        return []
    atomic_write(path, data)
    return [display_path(kind)]
