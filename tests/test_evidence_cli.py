"""Commits as evidence through the command line: checkpoint records HEAD, check --git judges citations."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import git, small
from support.repo import Repo

from small_git.store.progress_log import append_entries
from small_git.store.reader import read_state


def last_entry(repo: Path) -> dict:  # type: ignore[type-arg]
    data = read_state(repo).data("progress")
    assert isinstance(data, dict)
    return dict(data["entries"][-1])


@pytest.fixture
def repo(repo: Repo) -> Path:
    """A committed workspace with one planned task, then a commit of code."""
    path = repo.path
    for args in (("init", "--intent", "Ship the parser"), ("plan", "--add", "Parse the header")):
        small(path, *args, check=True)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "workspace")
    (path / "parser.py").write_text("def parse(): ...\n")
    git(path, "add", "parser.py")
    git(path, "commit", "-q", "-m", "parser")
    return path


def task_id(repo: Path) -> str:
    plan = read_state(repo).data("plan")
    assert isinstance(plan, dict)
    return str(plan["tasks"][-1]["id"])


def test_checkpoint_records_head_and_check_git_passes(repo: Path) -> None:
    result = small(repo, "checkpoint", "--task", task_id(repo), "--status", "completed", "--evidence", "parses")
    assert result.returncode == 0, result.stderr
    assert last_entry(repo)["commit"] == git(repo, "rev-parse", "HEAD")[:12]
    assert "uncommitted" not in result.stderr
    checked = small(repo, "check", "--git")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_checkpoint_warns_when_the_code_is_not_committed(repo: Path) -> None:
    (repo / "parser.py").write_text("def parse(): return 1\n")
    result = small(repo, "checkpoint", "--task", task_id(repo), "--status", "completed", "--evidence", "parses")
    assert result.returncode == 0 and "parser.py" in result.stderr and "uncommitted" in result.stderr


def test_no_commit_evidence_opts_out(repo: Path) -> None:
    result = small(
        repo,
        "checkpoint",
        "--task",
        task_id(repo),
        "--status",
        "completed",
        "--evidence",
        "parses",
        "--no-commit-evidence",
    )
    assert result.returncode == 0, result.stderr
    assert "commit" not in last_entry(repo)


def test_check_git_refuses_a_commit_that_does_not_exist(repo: Path) -> None:
    append_entries(repo, [{"task_id": "meta/demo", "evidence": "cited", "commit": "0123456789ab"}])
    result = small(repo, "check", "--git")
    assert result.returncode == 1 and "evidence-commit-unknown" in result.stdout + result.stderr
    assert small(repo, "check").returncode == 0  # without --git no history is consulted


def test_check_git_refuses_a_commit_outside_heads_history(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "side.py").write_text("x = 1\n")
    git(repo, "add", "side.py")
    git(repo, "commit", "-q", "-m", "side work")
    git(repo, "checkout", "-q", "main")
    append_entries(repo, [{"task_id": "meta/demo", "evidence": "cited", "commit": git(repo, "rev-parse", "side")[:12]}])
    result = small(repo, "check", "--git")
    assert result.returncode == 1 and "evidence-commit-not-ancestor" in result.stdout + result.stderr
    git(repo, "merge", "-q", "--no-edit", "side")
    assert small(repo, "check", "--git").returncode == 0


def test_check_git_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert small(plain, "init", "--intent", "x").returncode == 0
    assert small(plain, "check", "--git").returncode == 2


def test_checkpoint_commit_commits_the_workspace_with_trailers(repo: Path) -> None:
    code = git(repo, "rev-parse", "HEAD")
    result = small(
        repo,
        "checkpoint",
        "--task",
        task_id(repo),
        "--status",
        "completed",
        "--evidence",
        "parses",
        "--commit",
    )
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD~1") == code
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)")
    assert trailers.splitlines() == [f"Small-Task: {task_id(repo)}", "Small-Status: completed"]
    assert git(repo, "status", "--porcelain", "--", ".small") == ""
    assert last_entry(repo)["commit"] == code[:12]
