"""`reset`: start a new run — a new plan and handoff, a new replayId, `run` metadata naming the previous
replayId. The progress log is kept whole; earlier runs' entries stay bound to their own replayId."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from small_git.commands import run_writer
from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol.artifacts import display_path
from small_git.protocol.replayid import next_run_id
from small_git.report import console
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import append_entries
from small_git.store.reader import resolve_root, small_dir
from small_git.store.runs import formula_id
from small_git.store.templates import INTENT_TEMPLATE, PLAN_TEMPLATE
from small_git.store.workspace_file import enforce_scope, read_workspace, run_replay_id, set_run_replay_id
from small_git.workflow.handoff import existing_handoff, handoff_replay_id, write_handoff
from small_git.workflow.written import Written


@dataclass(frozen=True)
class ResetRequest:
    directory: str | None = None
    yes: bool = False
    keep_intent: bool = True
    scope: str = "root"
    # asks the user (the CLI passes its prompt); without it, or without a terminal, --yes is needed
    confirm: Callable[[str], bool] | None = None
    json: bool = False  # (the CLI's prompt then goes to stderr)


def run(request: ResetRequest) -> int:
    return run_writer("reset", request.json, lambda written: _run(request, written))


def _say(request: ResetRequest, written: Written, line: str) -> None:
    written.messages.append(line)
    if not request.json:
        console.out(line)


def _run(request: ResetRequest, written: Written) -> int:
    yes, keep_intent, confirm = request.yes, request.keep_intent, request.confirm
    root = resolve_root(request.directory)
    small_dir(root)
    written.start(root)
    enforce_scope(root, request.scope, "reset", allow_examples=False)
    if read_workspace(root) is None:
        raise SmallError(
            f"{display_path('workspace')} is missing; a run needs it to keep its replayId",
            exit_code=EXIT_USAGE,
            hint="run: small init --force   (it creates only missing files)",
        )
    if not yes:
        if confirm is None or not sys.stdin.isatty():
            raise SmallError("reset starts a new run (new plan and handoff); confirm with --yes", exit_code=EXIT_USAGE)
        if not confirm("Start a new run? The plan and handoff are replaced; progress is kept"):
            written.details["cancelled"] = True
            _say(request, written, "Reset cancelled.")
            return EXIT_OK
    with workspace_lock(root):
        previous = run_replay_id(root) or handoff_replay_id(existing_handoff(root))
        if not keep_intent:
            atomic_write(root / display_path("intent"), INTENT_TEMPLATE)
        new_id = next_run_id(formula_id(root, PLAN_TEMPLATE), previous)
        # The run id first, so the reset entry is bound to the new run; the log before plan and handoff, so
        # an interruption leaves a state that `fix` completes (it regenerates a handoff of an older run).
        set_run_replay_id(root, new_id)
        entry = {
            "task_id": "meta/reset",
            "status": "completed",
            "evidence": "Started a new run" + (f"; previous replayId {previous}" if previous else ""),
            "notes": "small reset" + ("" if keep_intent else " (intent reset to template)"),
        }
        appended = append_entries(root, [entry], locked=True)[0]
        written.entries.append(appended)
        atomic_write(root / display_path("plan"), PLAN_TEMPLATE)
        run_info = {"created_at": appended["timestamp"], "transition_reason": "reset"}
        if previous:
            run_info["previous_replay_id"] = previous
        write_handoff(root, run=run_info)
    written.details.update(cancelled=False, replay_id=new_id, previous_replay_id=previous)
    _say(
        request,
        written,
        f"Reset: {display_path('plan')}, {display_path('handoff')}" + ("" if keep_intent else ", intent"),
    )
    _say(request, written, f"New run {new_id[:16]}..." + (f" (previous {previous[:16]}...)" if previous else ""))
    return EXIT_OK
