"""The git layer in-process: blobs at a commit and in the index (GIT_INDEX_FILE), tree modes, workspaces."""

from __future__ import annotations

import os

import pytest
from support.env import HUMAN
from support.repo import Repo, seed
from support.workspace import entry

from small_git.git import plumbing as git
from small_git.git.runner import GitError
from small_git.git.states import SYMLINK_PROBLEM, state_at, workspaces_in

PROGRESS = ".small/progress.small.yml"


@pytest.fixture
def repo(repo: Repo) -> Repo:
    """The repository with a committed workspace, without the hooks."""
    return seed(repo, install=False)


def staged_log(repo: Repo) -> bytes | None:
    state = state_at(None, "", repo.path)
    return state.files["progress"].raw if state is not None else None


def committed_log(repo: Repo) -> bytes | None:
    state = state_at("HEAD", "", repo.path)
    return state.files["progress"].raw if state is not None else None


def test_committed_and_staged_logs(repo: Repo) -> None:
    committed = committed_log(repo)
    assert committed is not None and committed == repo.read(PROGRESS).encode()
    repo.append_progress(entry("task-2", 1))
    assert staged_log(repo) == committed  # not staged yet: the work tree is never read
    repo.git("add", PROGRESS)
    assert staged_log(repo) == repo.read(PROGRESS).encode()


def test_the_index_read_honours_git_index_file(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    other_index = repo.path / ".git" / "other-index"
    repo.git("read-tree", "HEAD", env={"GIT_INDEX_FILE": str(other_index)})
    repo.append_progress(entry("task-2", 1))
    repo.git("add", PROGRESS)  # the default index changes; the other one does not
    monkeypatch.setenv("GIT_INDEX_FILE", str(other_index))
    assert staged_log(repo) == committed_log(repo)
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert staged_log(repo) == repo.read(PROGRESS).encode()


def test_state_at_commit_and_index_and_symlinks(repo: Repo) -> None:
    at_head = state_at("HEAD", "", repo.path)
    assert at_head is not None and at_head.files["progress"].raw == repo.read(PROGRESS).encode()
    assert at_head.layout is not None and [e.name for e in at_head.layout][0] == "constraints.small.yml"
    assert state_at("HEAD", "elsewhere/", repo.path) is None
    (repo.path / ".small/plan.small.yml").unlink()
    os.symlink("intent.small.yml", repo.path / ".small/plan.small.yml")
    repo.git("add", "-A")
    staged = state_at(None, "", repo.path)
    assert staged is not None and staged.files["plan"].problem == SYMLINK_PROBLEM
    assert [e.mode for e in git.ls_index([".small/plan.small.yml"], repo.path)] == [git.SYMLINK_MODE]


def test_workspaces_and_commit_meta(repo: Repo) -> None:
    repo.write_workspace("examples/demo/")
    repo.commit("second workspace\n\nSmall-Task: task-2")
    assert workspaces_in("HEAD", repo.path) == ["", "examples/demo/"]
    meta = git.commit_meta("HEAD", repo.path)
    assert meta.sha == repo.head() and meta.author_email == HUMAN.email
    assert meta.parents == [repo.git("rev-parse", "HEAD^").stdout.strip()]
    assert "Small-Task: task-2" in meta.message and meta.signature is None
    assert git.changed_paths("HEAD^", "HEAD", repo.path)[0].startswith("examples/demo/.small/")


def test_git_failure_is_a_usage_error(repo: Repo) -> None:
    with pytest.raises(GitError) as caught:
        git.run_git(["cat-file", "-p", "no-such-object"], repo.path)
    assert caught.value.exit_code == 2 and "cat-file" in caught.value.message
