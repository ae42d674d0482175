"""git small log [<range>]: what happened to `.small/`, commit by commit, from git history alone.

`--entries` (also `git small blame`) says instead which commit added each progress entry of the head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.gates.history import read_history
from small_git.gates.history_model import BlameLine, CommitStory, WorkspaceStory
from small_git.git.plumbing import top_level
from small_git.report import console, json_report
from small_git.report.colour import palette
from small_git.report.history_text import blame_document, format_blame, format_log, log_document
from small_git.report.progress import Progress


@dataclass(frozen=True)
class LogRequest:
    rev_range: str | None = None
    task: str | None = None
    run: str | None = None  # a replayId or a prefix of one
    author: str | None = None  # a regular expression over "Name <email>", case-insensitive
    entries: bool = False  # blame: the commit that added each entry of the head
    reverse: bool = False  # oldest first
    json: bool = False
    directory: str | None = None


def _author_pattern(author: str | None) -> re.Pattern[str] | None:
    if author is None:
        return None
    try:
        return re.compile(author, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(author), re.IGNORECASE)


def _run_matches(run: str | None, wanted: str | None) -> bool:
    return wanted is None or (run is not None and run.startswith(wanted))


def _filtered(ws: WorkspaceStory, request: LogRequest) -> WorkspaceStory | None:
    """The part of a workspace's story the filters keep, or None when nothing is left."""
    wanted_run = request.run.lower() if request.run else None
    if request.task is None and wanted_run is None:
        return ws
    entries = [
        e
        for e in ws.entries
        if (request.task is None or e.task_id == request.task)
        and (
            wanted_run is None
            or _run_matches(e.entry.get("replayId") if isinstance(e.entry, dict) else None, wanted_run)
            or (not (isinstance(e.entry, dict) and "replayId" in e.entry) and _run_matches(ws.run, wanted_run))
        )
    ]
    in_run = _run_matches(ws.run, wanted_run)
    tasks = [t for t in ws.tasks if (request.task is None or t.task_id == request.task) and in_run]
    kept = replace(
        ws,
        entries=entries,
        tasks=tasks,
        run_started=ws.run_started and in_run and request.task is None,
        human=ws.human if request.task is None and in_run else [],
        redactions=ws.redactions if request.task is None and in_run else [],
        reconciles=[r for r in ws.reconciles if any(e.index == r.index for e in entries)],
        rewritten=ws.rewritten if request.task is None and in_run else [],
        findings=ws.findings if request.task is None and in_run else [],
        unreadable=ws.unreadable if in_run else None,
    )
    return None if kept.empty() else kept


def select(stories: list[CommitStory], request: LogRequest) -> list[CommitStory]:
    pattern = _author_pattern(request.author)
    chosen = []
    for story in stories:
        if pattern is not None and not pattern.search(str(story.commit.author)):
            continue
        workspaces = [kept for ws in story.workspaces if (kept := _filtered(ws, request)) is not None]
        if workspaces:
            chosen.append(replace(story, workspaces=workspaces))
    return chosen if request.reverse else list(reversed(chosen))


def select_blame(lines: list[BlameLine], request: LogRequest) -> list[BlameLine]:
    pattern = _author_pattern(request.author)
    wanted_run = request.run.lower() if request.run else None
    out = []
    for line in lines:
        entry = line.entry if isinstance(line.entry, dict) else {}
        if request.task is not None and entry.get("task_id") != request.task:
            continue
        if wanted_run is not None and not _run_matches(entry.get("replayId"), wanted_run):
            continue
        if pattern is not None and (line.commit is None or not pattern.search(str(line.commit.author))):
            continue
        out.append(line)
    return out


def run(request: LogRequest) -> int:
    cwd = Path(request.directory or ".").absolute()
    if not cwd.is_dir():
        raise SmallError(f"{cwd} is not a folder", exit_code=EXIT_USAGE)
    repo = top_level(cwd) or cwd
    with Progress("reading history") as progress:
        history = read_history(repo, request.rev_range, with_findings=not request.entries, progress=progress)
    if request.entries:
        lines = select_blame(history.blame, request)
        if request.json:
            json_report.emit(blame_document(history, lines, request.rev_range))
        else:
            console.write(format_blame(lines, palette()))
        return EXIT_OK
    stories = select(history.commits, request)
    if request.json:
        json_report.emit(log_document(history, stories, request.rev_range))
    else:
        console.write(format_log(stories, palette()))
    return EXIT_OK
