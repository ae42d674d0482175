"""Lineage through the installed hooks: checkpoint, rebase, the post-rewrite hook and the pre-push gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import git, run, small
from support.repo import Repo

from small_git.store.reader import read_state

pytestmark = pytest.mark.slow  # each test takes seconds: they start first

PROGRESS = ".small/progress.small.yml"


@pytest.fixture
def repo(repo: Repo, tmp_path: Path) -> Path:
    """Hooks installed; `main` pushed; branch `work` has a code commit and a checkpoint citing it."""
    path = repo.path
    for args in (
        ("init", "--intent", "Ship the parser"),
        ("plan", "--add", "Parse the header"),
        ("install",),
    ):
        repo.small(*args, check=True)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "workspace")
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(path, "remote", "add", "origin", str(tmp_path / "remote.git"))
    git(path, "push", "-q", "origin", "main")
    git(path, "checkout", "-q", "-b", "work")
    (path / "parser.py").write_text("def parse(): ...\n")
    git(path, "add", "parser.py")
    git(path, "commit", "-q", "-m", "parser")
    plan = read_state(path).data("plan")
    assert isinstance(plan, dict)
    task = str(plan["tasks"][-1]["id"])
    done = small(path, "checkpoint", "--task", task, "--status", "completed", "--evidence", "parses", "--commit")
    assert done.returncode == 0, done.stderr
    git(path, "checkout", "-q", "main")
    (path / "README").write_text("upstream moved on\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "readme")
    git(path, "push", "-q", "origin", "main")
    git(path, "checkout", "-q", "work")
    return path


def test_rebase_then_push_needs_the_reconcile_entries_and_passes_with_them(repo: Path) -> None:
    before = (repo / PROGRESS).read_bytes()
    cited = git(repo, "rev-parse", "HEAD~1")[:12]
    rebased = run(repo, "git", "rebase", "main")
    assert rebased.returncode == 0, rebased.stderr
    assert "reconcile" in rebased.stderr  # the post-rewrite hook says what it appended
    after = (repo / PROGRESS).read_bytes()
    assert after.startswith(before) and b"meta/reconcile-commits" in after[len(before) :]
    assert cited.encode() in after[len(before) :]

    # pushed as it is, the branch cites a commit outside its history
    refused = run(repo, "git", "push", "origin", "work")
    assert refused.returncode != 0 and "evidence-commit-not-ancestor" in refused.stderr

    git(repo, "commit", "-q", "-m", "reconcile rewritten commits", "--", PROGRESS)
    pushed = run(repo, "git", "push", "origin", "work")
    assert pushed.returncode == 0, pushed.stderr
    checked = small(repo, "check", "--git")
    assert checked.returncode == 0, checked.stdout + checked.stderr
