"""git small textconv-cache: git's textconv cache for `.small/`, filled from one process, in the format git
reads (git log -p then starts no driver at all and prints what the driver would have)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.repo import Repo, seeded_repo
from support.workspace import entry

PLAN = ".small/plan.small.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = seeded_repo(tmp_path)
    for second in range(1, 4):
        repo.append_progress(entry("task-2", second))
        repo.commit(f"step {second}", "--no-verify")
    repo.write(PLAN, repo.read(PLAN).replace('status: "in_progress"', 'status: "completed"'))
    repo.append_progress(entry("task-2", 9, status="completed"))
    repo.commit("done", "--no-verify")
    # a driver that counts its runs, then renders as the installed one does
    counter = tmp_path / "runs.txt"
    script = repo.write(
        "driver.sh",
        f'#!/bin/sh\necho run >> "{counter}"\nexec "{sys.executable}" -m small_git.commands.textconv "$@"\n',
    )
    script.chmod(0o755)
    repo.git("config", "diff.small.textconv", str(script))
    repo.git("update-ref", "-d", "refs/notes/textconv/small", check=False)
    return repo


def runs(repo: Repo) -> int:
    counter = repo.path.parent / "runs.txt"
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_after_the_fill_git_log_starts_no_driver_and_shows_the_same(repo: Repo) -> None:
    proc = repo.small("textconv-cache")
    assert proc.returncode == 0, proc.stderr
    assert "rendered" in proc.stdout
    cached = repo.git("log", "-p", "--", ".small/").stdout
    assert runs(repo) == 0
    uncached = repo.git("-c", "diff.small.cachetextconv=false", "log", "-p", "--", ".small/").stdout
    assert runs(repo) > 0
    assert cached == uncached and "+entries[4] " in cached


def test_a_second_fill_renders_nothing_new(repo: Repo) -> None:
    first = repo.small("textconv-cache").stdout
    second = repo.small("textconv-cache").stdout
    assert "0 blobs rendered" not in first and second.startswith("textconv cache: 0 blobs rendered")


def test_a_cache_of_another_driver_is_replaced(repo: Repo) -> None:
    repo.small("textconv-cache")
    repo.git("config", "diff.small.textconv", f"{sys.executable} -m small_git.commands.textconv")
    refilled = repo.small("textconv-cache").stdout
    assert "0 blobs rendered" not in refilled
    subject = repo.git("log", "-1", "--format=%s", "refs/notes/textconv/small").stdout.strip()
    assert subject == f"{sys.executable} -m small_git.commands.textconv"


def test_a_range_fills_only_its_blobs(repo: Repo) -> None:
    proc = repo.small("textconv-cache", "HEAD~1..HEAD")
    assert proc.returncode == 0 and proc.stdout.startswith("textconv cache: 4 blobs rendered"), proc.stdout


def test_without_the_driver_it_says_to_install(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    proc = repo.small("textconv-cache")
    assert proc.returncode == 2 and "git small install" in proc.stderr
