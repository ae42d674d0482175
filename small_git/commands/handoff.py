"""`handoff`: regenerate `handoff.small.yml` from the plan, deterministically.

The same state gives byte-identical output: nothing here reads the clock. The resume point is the task in
progress, else the first pending task whose dependencies are completed, else the first blocked task. Existing
`links` are kept; the commit the handoff was generated at is recorded as a `git:<sha>` link (spec §6.4). An
in-progress task does not block a handoff.
"""

from __future__ import annotations

from dataclasses import dataclass

from small_git.commands import run_writer
from small_git.errors import EXIT_OK
from small_git.protocol.artifacts import display_path
from small_git.report import console
from small_git.store.lock import workspace_lock
from small_git.store.reader import parse_yaml, resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope
from small_git.workflow.handoff import write_handoff
from small_git.workflow.written import Written


@dataclass(frozen=True)
class HandoffRequest:
    summary: str | None = None
    replay_id: str | None = None
    directory: str | None = None
    scope: str = "root"
    record_commit: bool = True
    json: bool = False


def run(request: HandoffRequest) -> int:
    return run_writer("handoff", request.json, lambda written: _run(request, written))


def _run(request: HandoffRequest, written: Written) -> int:
    root = resolve_root(request.directory)
    small_dir(root)
    written.start(root)
    enforce_scope(root, request.scope, "handoff", allow_examples=False)
    with workspace_lock(root):
        data, replay_id, source = write_handoff(
            root, summary=request.summary, replay_id=request.replay_id, record_commit=request.record_commit
        )
    resume = parse_yaml(data, display_path("handoff")).data["resume"]
    steps = resume["next_steps"]
    lines = [
        f"Generated {display_path('handoff')} with {len(steps)} next step{'s' if len(steps) != 1 else ''}",
        f"replayId: {replay_id[:16]}... (source: {source})",
    ]
    written.messages += lines
    written.details.update(
        replay_id=replay_id, replay_id_source=source, current_task_id=resume.get("current_task_id"), next_steps=steps
    )
    if not request.json:
        for line in lines:
            console.out(line)
    return EXIT_OK
