"""`small reset`: a new run with a new replayId, run metadata naming the previous one, progress kept."""

from __future__ import annotations

from pathlib import Path

from support.cli import small
from support.repo import init_workspace
from support.workspace import check_exit, progress_bytes

from small_git.protocol.yamlsafe import load_yaml


def load(root: Path, kind: str) -> dict:
    return load_yaml((root / f".small/{kind}.small.yml").read_bytes(), kind).data


def test_reset_starts_a_new_run_every_time(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Parse", *d)
    small(tmp_path, "checkpoint", "--task", "task-2", "--status", "completed", "--no-commit-evidence", *d)
    first = load(root, "workspace")["run"]["replay_id"]
    seen = {first}
    for _ in range(2):  # the second reset has the same intent and template plan: the formula repeats
        log = progress_bytes(root)
        previous = load(root, "workspace")["run"]["replay_id"]
        code, out, _ = small(tmp_path, "reset", "--yes", *d)
        assert code == 0 and "New run" in out
        new = load(root, "workspace")["run"]["replay_id"]
        assert new not in seen
        seen.add(new)
        assert progress_bytes(root).startswith(log)
        handoff = load(root, "handoff")
        assert handoff["replayId"] == {"value": new, "source": "auto"}
        assert handoff["run"]["transition_reason"] == "reset" and handoff["run"]["previous_replay_id"] == previous
        last = load(root, "progress")["entries"][-1]
        assert (last["task_id"], last["replayId"], last["timestamp"]) == (
            "meta/reset",
            new,
            handoff["run"]["created_at"],
        )
        assert [t["id"] for t in load(root, "plan")["tasks"]] == ["task-1"]
        assert check_exit(root, strict=True) == 0
    small(tmp_path, "handoff", *d)  # the same run: its run metadata is kept
    assert load(root, "handoff")["run"]["transition_reason"] == "reset"


def test_reset_needs_confirmation_when_not_interactive(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    plan = (root / ".small/plan.small.yml").read_bytes()
    code, _, err = small(tmp_path, "reset", "--dir", str(root))
    assert code == 2 and "--yes" in err
    assert (root / ".small/plan.small.yml").read_bytes() == plan
