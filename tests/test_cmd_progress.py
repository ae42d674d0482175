"""`small progress add`: entries, --at/--after, --json, warnings, commit evidence in git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import git, small
from support.workspace import check_exit, progress_bytes

from small_git.protocol.timestamps import parse_ns
from small_git.protocol.yamlsafe import load_yaml


def _init(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    small(root, "init", check=True)
    return root


def test_progress_add_appends_one_entry(tmp_path: Path) -> None:
    root = _init(tmp_path)
    before = progress_bytes(root)
    result = small(
        root,
        "progress",
        "add",
        "--task",
        "task-1",
        "--status",
        "IN_PROGRESS",
        "--evidence",
        "pytest: 3 passed",
        "--notes",
        "parser",
        "--json",
        "--no-commit-evidence",
        check=True,
    )
    shown = json.loads(result.stdout)
    assert shown["task_exists_in_plan"] is True
    assert shown["entry"]["status"] == "in_progress" and shown["entry"]["notes"] == "parser"
    assert progress_bytes(root).startswith(before)
    assert load_yaml(progress_bytes(root), "p").data["entries"][-1] == shown["entry"]
    assert check_exit(root, strict=True) == 0


def test_at_after_and_bad_input(tmp_path: Path) -> None:
    root = _init(tmp_path)
    at = small(
        root,
        "progress",
        "add",
        "--task",
        "meta/x",
        "--status",
        "completed",
        "--at",
        "2999-01-01T00:00:00.5+01:00",
        "--no-commit-evidence",
        check=True,
    )
    assert "2998-12-31T23:00:00.500000000Z" in at.stdout
    after = small(
        root,
        "progress",
        "add",
        "--task",
        "meta/x",
        "--status",
        "completed",
        "--after",
        "2998-12-31T23:00:00.5Z",
        "--no-commit-evidence",
        "--json",
        check=True,
    )
    assert parse_ns(json.loads(after.stdout)["entry"]["timestamp"]) == parse_ns("2998-12-31T23:00:00.500000001Z")
    before = progress_bytes(root)
    for args in (
        ["--at", "2001-01-01T00:00:00.1Z"],
        ["--at", "yesterday"],
        ["--status", "done"],
        ["--at", "2999-02-01T00:00:00.1Z", "--after", "2999-02-01T00:00:00.1Z"],
    ):
        full = ["progress", "add", "--task", "meta/x", "--status", "completed", *args, "--no-commit-evidence"]
        result = small(root, *full)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert progress_bytes(root) == before


def test_a_task_the_plan_does_not_have_is_refused_as_check_strict_would_flag_it(tmp_path: Path) -> None:
    root = _init(tmp_path)
    small(root, "plan", "--add", "Work", check=True)  # the run starts: entries now carry its replayId
    before = progress_bytes(root)
    code, out, err = small(root, "progress", "add", "--task", "task-9", "--status", "pending", "--no-commit-evidence")
    assert code == 2 and out == ""
    assert "task task-9 is not in .small/plan.small.yml" in err and "(S2)" in err and "nothing was appended" in err
    assert "small plan" in err  # the fix names how to see and add tasks
    assert progress_bytes(root) == before
    code, out, _ = small(root, "progress", "add", "--task", "task-9", "--status", "pending", "--json")
    assert code == 2 and json.loads(out)["error"]["rule"] == "S2"
    # what would have happened: once the handoff names the run, check --strict flags the entry for good
    small(root, "handoff", check=True)
    assert check_exit(root, strict=True) == 0
    # meta/ ids are bookkeeping, never flagged; known tasks pass
    small(root, "progress", "add", "--task", "meta/note", "--status", "completed", "--no-commit-evidence", check=True)
    small(root, "progress", "add", "--task", "task-2", "--status", "in_progress", "--no-commit-evidence", check=True)


def test_what_check_strict_never_flags_is_appended_with_a_warning(tmp_path: Path) -> None:
    root = _init(tmp_path)  # no run yet: the entry carries no replayId, and S2 judges the handoff's run only
    unknown = small(
        root, "progress", "add", "--task", "task-9", "--status", "pending", "--no-commit-evidence", check=True
    )
    assert "warning: task task-9 is not in .small/plan.small.yml" in unknown.stderr
    small(root, "handoff", check=True)
    assert check_exit(root, strict=True) == 0


def test_contradicting_status_warns(tmp_path: Path) -> None:
    root = _init(tmp_path)
    lag = small(
        root,
        "progress",
        "add",
        "--task",
        "task-1",
        "--status",
        "completed",
        "--no-commit-evidence",
        check=True,
    )
    assert "plan-lags-progress" in lag.stderr


def test_commit_evidence_in_a_git_repository(tmp_path: Path) -> None:
    root = _init(tmp_path)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    head = git(root, "rev-parse", "HEAD").strip()
    (root / "code.py").write_text("print(1)\n")
    result = small(root, "progress", "add", "--task", "task-1", "--status", "in_progress", "--json", check=True)
    entry = json.loads(result.stdout)["entry"]
    assert entry["commit"] == head[:12] and entry["evidence"]
    assert "uncommitted changes" in result.stderr
    plain = small(
        root,
        "progress",
        "add",
        "--task",
        "task-1",
        "--status",
        "in_progress",
        "--json",
        "--no-commit-evidence",
        check=True,
    )
    assert "commit" not in json.loads(plain.stdout)["entry"]
    assert check_exit(root, strict=True) == 0


@pytest.mark.parametrize(
    "evidence",
    [
        "deployed with password=hunter2",
        "see http://example.com/ci/42",
        "AKIA" + "IOSFODNN7EXAMPLE",
        "aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0",  # a whole value the reference's strict mode calls a secret
    ],
)
def test_progress_add_refuses_what_strict_check_would_flag_and_leaves_the_log_alone(
    tmp_path: Path, evidence: str
) -> None:
    root = _init(tmp_path)
    before = progress_bytes(root)
    result = small(root, "progress", "add", "--task", "task-1", "--status", "in_progress", "--evidence", evidence)
    assert result.returncode == 2, result.stderr
    assert "refusing to append" in result.stderr
    assert progress_bytes(root) == before
    assert small(root, "check", "--strict").returncode == 0
