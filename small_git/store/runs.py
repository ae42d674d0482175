"""Starting a run: the replayId is computed once, from the files as they are when the run starts, and kept
in `workspace.small.yml` (spec §4)."""

from __future__ import annotations

from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import SMALL_DIR, filename
from small_git.protocol.replayid import compute_replay_id
from small_git.store.reader import read_artifact
from small_git.store.workspace_file import run_replay_id, set_run_replay_id


def formula_id(root: Path, plan: bytes | None = None) -> str:
    """The reference's auto replayId of the workspace (with `plan` standing in for the plan on disk)."""
    intent = read_artifact(root, "intent")
    plan_bytes = plan if plan is not None else read_artifact(root, "plan")
    if intent is None or plan_bytes is None:
        missing = "intent" if intent is None else "plan"
        raise SmallError(
            f"{SMALL_DIR}/{filename(missing)} is missing; the replayId needs intent and plan",
            exit_code=EXIT_USAGE,
            hint="run: small init --force   (it creates only missing files)",
        )
    return compute_replay_id(intent, plan_bytes, read_artifact(root, "constraints"))


def ensure_run(root: Path, plan: bytes | None = None) -> str:
    """The current run's id, starting the run (and recording it) if none is (caller holds the lock)."""
    current = run_replay_id(root)
    if current is not None:
        return current
    replay_id = formula_id(root, plan)
    set_run_replay_id(root, replay_id)
    return replay_id
