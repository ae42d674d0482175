"""`small checkpoint`: lifecycle moves, the entry it appends, and an interruption between its two writes."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import installed_small, small
from support.repo import init_workspace
from support.workspace import check_exit, progress_bytes

from small_git.protocol.yamlsafe import load_yaml


def plan_status(root: Path, index: int = 0) -> str | None:
    return load_yaml((root / ".small/plan.small.yml").read_bytes(), "plan").data["tasks"][index].get("status")


def last_entry(root: Path) -> dict:
    return load_yaml(progress_bytes(root), "p").data["entries"][-1]


def test_checkpoint_moves_the_task_and_records_it(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root), "--no-commit-evidence"]
    code, out, _ = small(tmp_path, "checkpoint", "--task", "task-1", "--status", "in_progress", *d)
    assert code == 0 and "task-1 pending -> in_progress" in out
    code, out, _ = small(
        tmp_path,
        "checkpoint",
        "--task",
        "task-1",
        "--status",
        "completed",
        "--evidence",
        "pytest: 9 passed",
        "--json",
        *d,
    )
    shown = json.loads(out)
    assert code == 0 and shown["progress_entry"] == last_entry(root) and shown["previous_status"] == "in_progress"
    assert plan_status(root) == "completed"
    assert last_entry(root)["evidence"] == "pytest: 9 passed" and len(last_entry(root)["replayId"]) == 64
    assert check_exit(root, strict=True) == 0


def test_final_status_needs_reopen_which_is_recorded(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root), "--no-commit-evidence"]
    assert small(tmp_path, "checkpoint", "--task", "task-1", "--status", "cancelled", *d)[0] == 0
    log = progress_bytes(root)
    code, _, err = small(tmp_path, "checkpoint", "--task", "task-1", "--status", "in_progress", *d)
    assert code == 2 and "--reopen" in err and "pending, in_progress, completed, blocked" in err
    code, _, err = small(tmp_path, "checkpoint", "--task", "task-9", "--status", "completed", *d)
    assert code == 2 and "not in the plan" in err
    assert progress_bytes(root) == log and plan_status(root) == "cancelled"
    code, _, _ = small(
        tmp_path,
        "checkpoint",
        "--task",
        "task-1",
        "--status",
        "in_progress",
        "--reopen",
        "--notes",
        "edge case",
        *d,
    )
    assert code == 0 and plan_status(root) == "in_progress"
    assert last_entry(root)["notes"] == "reopened from cancelled: edge case"
    code, _, err = small(tmp_path, "checkpoint", "--task", "task-1", "--status", "blocked", "--reopen", *d)
    assert code == 2 and "--reopen is for completed or cancelled" in err


def test_interrupted_checkpoint_is_detected_and_repaired(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    plan_before = (root / ".small/plan.small.yml").read_bytes()
    died = installed_small(  # the failpoint ends the process (os._exit): it needs one of its own
        root,
        "checkpoint",
        "--task",
        "task-1",
        "--status",
        "completed",
        "--evidence",
        "done",
        "--no-commit-evidence",
        env={"SMALL_TEST_FAILPOINT": "checkpoint-after-progress"},
    )
    assert died.returncode == 99
    assert (root / ".small/plan.small.yml").read_bytes() == plan_before
    assert last_entry(root)["status"] == "completed"
    checked = small(root, "check")
    assert checked.returncode == 1 and "plan-lags-progress" in checked.stdout + checked.stderr
    log = progress_bytes(root)
    fixed = small(root, "fix", check=True)
    assert "task-1 pending -> completed" in fixed.stdout
    assert progress_bytes(root) == log
    assert plan_status(root) == "completed"
    assert small(root, "check", "--strict").returncode == 0


def test_checkpoint_commit_in_git(tmp_path: Path) -> None:
    from support.cli import git

    root = init_workspace(tmp_path / "p")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    head = git(root, "rev-parse", "HEAD").strip()
    result = small(root, "checkpoint", "--task", "task-1", "--status", "completed", "--evidence", "ok", "--commit")
    assert result.returncode == 0, result.stderr
    assert last_entry(root)["commit"] == head[:12]
    message = git(root, "log", "-1", "--format=%B")
    assert "Small-Task: task-1" in message and "Small-Status: completed" in message
    assert git(root, "status", "--porcelain", "--", ".small") == ""


def test_completing_a_task_right_after_its_apply_failed_warns_naming_the_command(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--no-commit-evidence"]
    assert small(root, "apply", "--task", "task-1", "--cmd", "echo nope; exit 4").returncode == 4
    code, out, err = small(root, "checkpoint", "--task", "task-1", "--status", "completed", *d)
    assert code == 0 and "task-1 pending -> completed" in out  # a warning, not a refusal
    log = last_entry(root)  # the checkpoint's own entry; the apply's outcome is the one before
    assert log["status"] == "completed"
    assert "warning: the last apply of task-1 failed (exit 4: echo nope; exit 4 (log: .small-cache/logs/apply." in err
    # after a successful apply, or for another task's failure, or for a move other than completed: no warning
    small(root, "checkpoint", "--task", "task-1", "--status", "in_progress", "--reopen", *d, check=True)
    assert small(root, "apply", "--task", "task-1", "--cmd", "true").returncode == 0
    assert "warning" not in small(root, "checkpoint", "--task", "task-1", "--status", "completed", *d).stderr
    small(root, "plan", "--add", "Next", check=True)
    assert small(root, "apply", "--task", "task-1", "--cmd", "exit 1").returncode == 1
    assert "warning" not in small(root, "checkpoint", "--task", "task-2", "--status", "completed", *d).stderr


def test_apply_checkpoint_blocked_then_completed_warns_in_the_json_too(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    assert small(root, "apply", "--task", "task-1", "--checkpoint", "--", "false").returncode == 1
    code, out, err = small(
        root, "checkpoint", "--task", "task-1", "--status", "completed", "--no-commit-evidence", "--json"
    )
    assert code == 0 and "exit 1: false" in err
    assert any("exit 1: false" in w for w in json.loads(out)["warnings"])
