"""The git layer in-process: blobs at a commit and in the index (GIT_INDEX_FILE), tree modes, workspaces."""

from __future__ import annotations

import os

import pytest
from support.env import HUMAN
from support.repo import Repo, seed
from support.workspace import entry

from small_git.git import plumbing as git
from small_git.git.states import SYMLINK_PROBLEM, state_at, workspaces_in

PROGRESS = ".small/progress.small.yml"


@pytest.fixture
def repo(repo: Repo) -> Repo:
    """The repository with a committed workspace, without the hooks."""
    return seed(repo, install=False)


def test_show_blob_and_staged_blob(repo: Repo) -> None:
    committed = git.show_blob("HEAD", PROGRESS, repo.path)
    assert committed is not None and committed == repo.read(PROGRESS).encode()
    assert git.show_blob("HEAD", ".small/nope.yml", repo.path) is None
    repo.append_progress(entry("task-2", 1))
    assert git.staged_blob(PROGRESS, repo.path) == committed  # not staged yet: the work tree is never read
    repo.git("add", PROGRESS)
    assert git.staged_blob(PROGRESS, repo.path) == repo.read(PROGRESS).encode()


def test_staged_blob_honours_git_index_file(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    other_index = repo.path / ".git" / "other-index"
    repo.git("read-tree", "HEAD", env={"GIT_INDEX_FILE": str(other_index)})
    repo.append_progress(entry("task-2", 1))
    repo.git("add", PROGRESS)  # the default index changes; the other one does not
    monkeypatch.setenv("GIT_INDEX_FILE", str(other_index))
    assert git.staged_blob(PROGRESS, repo.path) == git.show_blob("HEAD", PROGRESS, repo.path)
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert git.staged_blob(PROGRESS, repo.path) == repo.read(PROGRESS).encode()


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
    with pytest.raises(git.GitError) as caught:
        git.run_git(["cat-file", "-p", "no-such-object"], repo.path)
    assert caught.value.exit_code == 2 and "cat-file" in caught.value.message
