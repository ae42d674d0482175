"""git small audit [<range>] [--json]: the CI gate over a range of real commits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.repo import Repo, seeded_repo
from support.workspace import FIRST_ENTRY, entry

PROGRESS = ".small/progress.small.yml"


def history(tmp_path: Path) -> tuple[Repo, str, str]:
    """main: seed, a valid append, a bypassed rewrite, a valid append. Returns (repo, good, bad commit)."""
    repo = seeded_repo(tmp_path, install=False)
    repo.append_progress(entry("task-2", 1))
    repo.commit("append")
    good = repo.head()
    repo.write_progress([dict(FIRST_ENTRY, evidence="rewritten"), entry("task-2", 1)])
    repo.commit("rewrite")
    bad = repo.head()
    repo.append_progress(entry("task-2", 2))
    repo.commit("append again")
    return repo, good, bad


def test_audit_of_a_clean_range_passes(tmp_path: Path) -> None:
    repo, good, _ = history(tmp_path)
    proc = repo.small("audit", good)
    assert proc.returncode == 0 and "audit passed: 2 commits checked" in proc.stdout


def test_audit_names_the_commit_that_rewrote_progress(tmp_path: Path) -> None:
    repo, good, bad = history(tmp_path)
    proc = repo.small("audit", f"{good}..HEAD")
    assert proc.returncode == 1
    assert f"commit {bad[:12]}" in proc.stderr and "[progress-rewrite]" in proc.stderr
    assert "audit failed: 1 finding in 2 commits" in proc.stderr
    assert repo.small("audit").returncode == 1  # the whole history of HEAD by default
    new_branch = repo.small("audit", "0" * 40 + "..HEAD")  # CI's "before" on a new branch
    assert new_branch.returncode == 1 and "[progress-rewrite]" in new_branch.stderr


def test_audit_json_is_one_document(tmp_path: Path) -> None:
    repo, good, bad = history(tmp_path)
    proc = repo.small("audit", f"{good}..HEAD", "--json")
    document = json.loads(proc.stdout)
    assert proc.returncode == 1 and document["exit_code"] == 1 and document["commits"] == 2
    assert [f["rule"] for f in document["findings"]] == ["progress-rewrite"]
    assert document["findings"][0]["file"] == PROGRESS and bad[:12] in document["findings"][0]["message"]


def test_audit_usage_errors_exit_2(tmp_path: Path) -> None:
    repo, _, _ = history(tmp_path)
    for bad_range in ("nope..HEAD", "HEAD...HEAD~1", "..HEAD", "no-such-branch"):
        proc = repo.small("audit", bad_range)
        assert proc.returncode == 2, bad_range
        assert "error:" in proc.stderr


def test_shallow_clone_missing_history_exits_2_with_the_fetch_command(tmp_path: Path) -> None:
    repo, good, _ = history(tmp_path)
    clone = Repo(tmp_path / "shallow")
    repo.run("git", "clone", "-q", "--depth", "1", f"file://{repo.path}", clone.path)
    proc = clone.small("audit", f"{good}..HEAD")
    assert proc.returncode == 2 and "git fetch" in proc.stderr
    whole = clone.small("audit")
    assert whole.returncode == 2 and "shallow" in whole.stderr and "--unshallow" in whole.stderr


def test_sha256_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo256")
    repo.path.mkdir()
    if repo.git("init", "-q", "--object-format=sha256", check=False).returncode != 0:
        pytest.skip("this git cannot create SHA-256 repositories")
    repo.write_workspace()
    repo.commit("seed")
    repo.install()
    repo.append_progress(entry("task-2", 1))
    repo.commit("append")
    repo.write_progress([dict(FIRST_ENTRY, evidence="rewritten"), entry("task-2", 1)])
    assert "[progress-rewrite]" in repo.commit("rewrite", check=False).stderr
    assert repo.small("audit").returncode == 0


def test_audit_catches_a_merge_that_dropped_the_other_side(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    base = repo.head()
    repo.git("checkout", "-q", "-b", "feature")
    repo.append_progress(entry("task-2", 2))
    repo.commit("feature appends")
    repo.git("checkout", "-q", "main")
    repo.append_progress(entry("task-2", 1))
    repo.commit("main appends")
    repo.git("merge", "-q", "--no-verify", "-s", "ours", "-m", "merge, keeping only ours", "feature")
    proc = repo.small("audit", f"{base}..HEAD")
    assert proc.returncode == 1 and "[progress-merge-lost-entry]" in proc.stderr
    assert "parent 2" in proc.stderr
