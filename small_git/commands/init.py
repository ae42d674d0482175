"""`init`: create a workspace — the five artifacts, `workspace.small.yml`, a first progress entry
(`meta/init`), a handoff, and `.small-cache/` in `.gitignore`. `--force` only creates what is missing; it
never touches an existing file, least of all the progress log."""

from __future__ import annotations

import os
from dataclasses import dataclass

from small_git import PROTOCOL_VERSION
from small_git.commands import run_writer
from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol.artifacts import SMALL_DIR, display_path
from small_git.protocol.emitter import quote
from small_git.report import console
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import load_log
from small_git.store.reader import resolve_root
from small_git.store.templates import INTENT_TEMPLATE
from small_git.workflow.init import GITIGNORE_LINE, create_missing, ensure_gitignore
from small_git.workflow.written import Written


def intent_template(intent: str | None) -> bytes:
    if intent is None:
        return INTENT_TEMPLATE
    if not intent.strip():
        raise SmallError("--intent must not be empty", exit_code=EXIT_USAGE)
    return INTENT_TEMPLATE.replace(b'"Define project intent"', quote(intent.strip()).encode("utf-8"))


@dataclass(frozen=True)
class InitRequest:
    directory: str | None = None
    intent: str | None = None  # None: the template's placeholder
    force: bool = False  # create only what is missing
    json: bool = False


def run(request: InitRequest) -> int:
    return run_writer("init", request.json, lambda written: _run(request, written))


def _run(request: InitRequest, written: Written) -> int:
    intent, force = request.intent, request.force
    root = resolve_root(request.directory)
    written.start(root)
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
    data = intent_template(intent)
    with workspace_lock(root):
        created = create_missing(root, data)
        ignored = ensure_gitignore(root)
        if request.json and display_path("progress") in created:  # the first entry, as written
            log = load_log(root) or {}
            written.entries += [e for e in log.get("entries") or [] if isinstance(e, dict)]
    lines = [f"Initialized SMALL v{PROTOCOL_VERSION} in {folder}" if created else f"Nothing to create in {folder}"]
    lines += [f"  created {path}" for path in created]
    if ignored:
        lines.append(f"  added {GITIGNORE_LINE} to .gitignore")
    if created:
        lines.append('Next: fill in intent.small.yml and constraints.small.yml, then: small plan --add "<first task>"')
    written.messages += lines
    written.details.update(created=created, gitignore_updated=ignored)
    if not request.json:
        for line in lines:
            console.out(line)
    return EXIT_OK
