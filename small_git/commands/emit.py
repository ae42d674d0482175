"""`emit`: the whole state of a workspace as one JSON document on stdout (read-only; `--check` adds the
checker's verdict).

By default every section is emitted; `--include` (the reference's comma-separated list) selects some. Unlike
the reference, sections that were not asked for are left out rather than emitted empty, and the artifacts are
emitted as they are in the files (snake_case keys, as in YAML).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from small_git import PROTOCOL_VERSION, __version__
from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol.artifacts import ALL_FILES, display_path
from small_git.protocol.cross_rules import entries_of, tasks_of
from small_git.protocol.findings import sort_key
from small_git.report import json_report
from small_git.store.workspace_file import enforce_scope
from small_git.workflow.view import View, actionable_tasks, current_task, load_view, recent_entries, status_counts

SECTIONS = ("paths", "status", "intent", "constraints", "plan", "progress", "handoff", "workspace", "enforcement")


def parse_include(raw: str | None) -> tuple[str, ...]:
    if raw is None or not raw.strip():
        return tuple(s for s in SECTIONS if s != "enforcement")
    chosen = []
    for part in raw.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in SECTIONS:
            raise SmallError(
                f"unknown --include section {name!r}", exit_code=EXIT_USAGE, hint=f"choose from: {', '.join(SECTIONS)}"
            )
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def _status(view: View, recent: int, tasks: int) -> dict[str, Any]:
    plan = view.data.get("plan")
    progress = view.data.get("progress")
    entries = entries_of(progress)
    return {
        "total_tasks": len(tasks_of(plan)),
        "tasks_by_status": status_counts(plan),
        "current_task": current_task(plan),
        "next_actionable": actionable_tasks(plan)[:tasks],
        "progress_entries": len(entries),
        "last_timestamp": entries[-1].get("timestamp") if entries else None,
        "recent": recent_entries(progress, recent, signal_only=False),
    }


def _enforcement(view: View) -> dict[str, Any]:
    from small_git.protocol.checker import check_state  # the checker is only needed with --check

    try:
        result = check_state(view.state, strict=False)
    except SmallError as exc:
        return {"exit_code": exc.exit_code, "error": exc.to_dict(), "findings": []}
    return {"exit_code": result.exit_code, "findings": [f.to_dict() for f in sorted(result.findings, key=sort_key)]}


def build(
    view: View, sections: tuple[str, ...], recent: int = 5, tasks: int = 3, run_check: bool = False
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "small_git_version": __version__,
        "protocol_version": PROTOCOL_VERSION,
        "workspace": str(view.root),
    }
    files = {kind: {"path": display_path(kind), "present": view.present(kind)} for kind in ALL_FILES}
    for kind, message in view.problems.items():
        files[kind]["error"] = message
    doc["files"] = files
    if "paths" in sections:
        doc["paths"] = {
            "root": str(view.root),
            "small_dir": str(view.root / ".small"),
            "artifacts": {kind: str(view.root / display_path(kind)) for kind in ALL_FILES},
        }
    if "status" in sections:
        doc["status"] = _status(view, recent, tasks)
    for kind in ALL_FILES:
        if kind in sections:
            doc[kind] = view.data.get(kind)
    if run_check:
        doc["enforcement"] = _enforcement(view)
    return doc


@dataclass(frozen=True)
class EmitRequest:
    directory: str | None = None
    include: str | None = None  # comma-separated sections; None: all but enforcement
    recent: int = 5
    tasks: int = 3
    check: bool = False
    scope: str = "root"


def run(request: EmitRequest) -> int:
    """Always one JSON document on stdout: the state, or `{"command", "exit_code", "error"}`."""
    try:
        if request.recent < 0 or request.tasks < 0:
            raise SmallError("--recent and --tasks must be zero or more", exit_code=EXIT_USAGE)
        sections = parse_include(request.include)
        view = load_view(request.directory)
        enforce_scope(view.root, request.scope, "emit")
    except SmallError as exc:
        json_report.emit(json_report.error_document("emit", exc.exit_code, exc.to_dict()))
        return exc.exit_code
    check = request.check or "enforcement" in sections
    doc = build(view, sections, request.recent, request.tasks, run_check=check)
    json_report.emit(doc)
    if not view.readable:
        return EXIT_USAGE
    if check:
        return int(doc["enforcement"]["exit_code"])
    return EXIT_OK
