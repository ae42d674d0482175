"""git small textconv-cache: git's textconv cache for `.small/`, filled from one process, in the format git
reads (git log -p then starts no driver at all and prints what the driver would have)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.repo import Repo, prebuilt_repo, seeded_repo
from support.workspace import entry

PLAN = ".small/plan.small.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A seeded repository with four more commits, its diff driver counting its runs in tmp_path/runs.txt,
    and no textconv cache (built once per run, copied)."""
    return prebuilt_repo(f"{__name__}.repo", counted, tmp_path)


def counted(tmp_path: Path) -> Repo:
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


# --- the normal flow: install fills the cache, the hooks keep it filled ---------------------------------------

PROGRESS = ".small/progress.small.yml"
HANDOFF = ".small/handoff.small.yml"
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")  # commits made where small-git's hooks do not run


@pytest.fixture
def installed(tmp_path: Path) -> Repo:
    """A seeded repository with small-git installed as users install it (the real driver, the hooks)."""
    return seeded_repo(tmp_path)


def cached(repo: Repo, blob: str) -> bool:
    return repo.git("notes", "--ref=textconv/small", "list", blob, check=False).returncode == 0


def blob_at(repo: Repo, rev: str, path: str = PROGRESS) -> str:
    return repo.git("rev-parse", f"{rev}:{path}").stdout.strip()


def cache_commit(repo: Repo) -> str:
    return repo.git("rev-parse", "-q", "--verify", "refs/notes/textconv/small", check=False).stdout.strip()


def assert_log_reads_the_cache(repo: Repo, *revs: str) -> None:
    """git log -p prints what the uncached driver prints, and renders nothing itself: git writes a new cache
    commit for every blob it has to convert, so the cache ref does not move."""
    before = cache_commit(repo)
    assert before
    shown = repo.git("log", "-p", *revs, "--", ".small/").stdout
    assert cache_commit(repo) == before, "git log -p had to run the driver"
    uncached = repo.git("-c", "diff.small.cachetextconv=false", "log", "-p", *revs, "--", ".small/").stdout
    assert shown == uncached and "+entries[" in shown


def history(repo: Repo, steps: range, *git_args: str) -> None:
    for second in steps:
        repo.append_progress(entry("task-2", second))
        repo.git("add", "-A")
        repo.git(*git_args, "commit", "-q", "--no-verify", "-m", f"step {second}")


def test_install_fills_the_cache_for_head_and_the_local_branches(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    history(repo, range(1, 4))
    repo.git("switch", "-q", "-c", "side")
    history(repo, range(4, 6))
    repo.git("switch", "-q", "main")
    proc = repo.small("install")
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stdout.splitlines() if "textconv cache" in line)
    assert "rendered in" in line and "HEAD and local branches" in line and "0 .small/ versions" not in line
    for rev in ("main", "main~2", "side", "side~1"):
        assert cached(repo, blob_at(repo, rev))
    assert_log_reads_the_cache(repo, "--branches")
    again = repo.small("install").stdout
    assert "0 .small/ versions rendered" in again and "already cached" in again


def test_a_commit_through_the_hooks_renders_its_new_versions(installed: Repo) -> None:
    repo = installed
    assert cache_commit(repo)  # install filled it
    history(repo, range(1, 3))
    repo.write(HANDOFF, repo.read(HANDOFF) + "# handed over\n")
    repo.commit("handoff", "--no-verify")
    for rev in ("HEAD~2", "HEAD~1"):
        assert cached(repo, blob_at(repo, rev))
    assert cached(repo, blob_at(repo, "HEAD", HANDOFF))
    assert_log_reads_the_cache(repo)


def test_a_commit_that_leaves_small_alone_starts_no_python(installed: Repo) -> None:
    repo = installed
    shim = repo.path / ".git/hooks/post-commit"
    text = shim.read_text()
    line = next(line for line in text.splitlines() if line.startswith("small_git="))
    shim.write_text(text.replace(line, "small_git=/nonexistent/git-small"))  # so the shim runs the one on PATH
    ran = repo.path.parent / "small-git-ran"
    folder = repo.path.parent / "bin"
    folder.mkdir()
    (folder / "git-small").write_text(f'#!/bin/sh\necho "$@" >> "{ran}"\n')
    (folder / "git-small").chmod(0o755)
    env = {"PATH": f"{folder}:/usr/bin:/bin"}
    repo.write("src/app.py", "print('changed')\n")
    repo.git("commit", "-q", "--no-verify", "-a", "-m", "code", env=env)
    assert not ran.exists()
    repo.append_progress(entry("task-2", 1))
    repo.git("commit", "-q", "--no-verify", "-a", "-m", "progress", env=env)
    assert ran.read_text() == "hook post-commit\n"


def test_a_merge_renders_what_it_brings(installed: Repo) -> None:
    repo = installed
    repo.git("switch", "-q", "-c", "side")
    history(repo, range(1, 3), *NO_HOOKS)  # made elsewhere: not in this cache
    repo.git("switch", "-q", "main")
    repo.write("src/app.py", "print('main')\n")
    repo.commit("code on main")
    assert not cached(repo, blob_at(repo, "side"))
    proc = repo.git("merge", "-q", "--no-edit", "side")
    assert proc.returncode == 0, proc.stderr
    assert cached(repo, blob_at(repo, "side")) and cached(repo, blob_at(repo, "side~1"))
    assert_log_reads_the_cache(repo)


def test_a_fast_forward_pull_renders_what_it_brings(tmp_path: Path, installed: Repo) -> None:
    repo = installed
    upstream = Repo(tmp_path / "upstream")
    repo.git("clone", "-q", repo.path, upstream.path)
    history(upstream, range(1, 4))
    repo.git("pull", "-q", "--ff-only", upstream.path, "main")
    for rev in ("HEAD", "HEAD~1", "HEAD~2"):
        assert cached(repo, blob_at(repo, rev))
    assert_log_reads_the_cache(repo)


def test_a_fetch_renders_what_it_brings_and_a_commit_starts_nothing_more(tmp_path: Path, installed: Repo) -> None:
    repo = installed
    upstream = Repo(tmp_path / "upstream")
    repo.git("clone", "-q", repo.path, upstream.path)
    history(upstream, range(1, 4))
    tracking = "refs/remotes/upstream/main"
    repo.git("fetch", "-q", upstream.path, f"main:{tracking}")  # a new remote-tracking branch
    for back in range(3):
        assert cached(repo, blob_at(repo, f"{tracking}~{back}"))
    assert_log_reads_the_cache(repo, f"main..{tracking}")
    history(upstream, range(4, 6))
    repo.git("fetch", "-q", upstream.path, f"main:{tracking}")  # the same branch, moved on
    assert cached(repo, blob_at(repo, tracking)) and cached(repo, blob_at(repo, f"{tracking}~1"))
    assert_log_reads_the_cache(repo, f"main..{tracking}")
    # a transaction that moves no remote-tracking ref (a branch, the cache's own notes) renders nothing
    before = cache_commit(repo)
    repo.git("branch", "elsewhere", tracking)
    assert cache_commit(repo) == before


def test_a_branch_switch_renders_the_branch(installed: Repo) -> None:
    repo = installed
    repo.git("switch", "-q", "-c", "side")
    history(repo, range(1, 3), *NO_HOOKS)
    repo.git("switch", "-q", "main")
    repo.git("update-ref", "-d", "refs/notes/textconv/small")
    repo.git("switch", "-q", "side")
    assert cached(repo, blob_at(repo, "side")) and cached(repo, blob_at(repo, "side~1"))
    assert_log_reads_the_cache(repo, "main..side")


def test_a_rebase_and_an_amend_render_the_rewritten_versions(installed: Repo) -> None:
    repo = installed
    repo.git("switch", "-q", "-c", "side")
    history(repo, range(1, 3), *NO_HOOKS)
    repo.git("switch", "-q", "main")
    repo.write(HANDOFF, repo.read(HANDOFF) + "# main's note\n")
    repo.commit("handoff on main", "--no-verify")
    repo.git("switch", "-q", "side")
    repo.git(*NO_HOOKS, "commit", "-q", "--allow-empty", "-m", "marker")
    repo.git("update-ref", "-d", "refs/notes/textconv/small")
    proc = repo.git("rebase", "-q", "main")
    assert proc.returncode == 0, proc.stderr
    assert cached(repo, blob_at(repo, "HEAD", HANDOFF))
    assert cached(repo, blob_at(repo, "HEAD~1")) and cached(repo, blob_at(repo, "HEAD~2"))
    repo.append_progress(entry("task-2", 7))
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "--no-verify", "-m", "marker, amended")
    assert cached(repo, blob_at(repo, "HEAD"))
    assert_log_reads_the_cache(repo, "main..HEAD")


def test_post_rewrite_renders_the_new_commits_it_is_told_of(installed: Repo) -> None:
    repo = installed
    old = repo.head()
    history(repo, range(1, 3), *NO_HOOKS)
    repo.git("update-ref", "-d", "refs/notes/textconv/small")
    pairs = f"{old} {repo.head()}\n"
    proc = repo.small("hook", "post-rewrite", "amend", input=pairs)
    assert proc.returncode == 0, proc.stderr
    # HEAD's change shows HEAD~1's version as its old side; HEAD~1's own change is not in the list
    assert cached(repo, blob_at(repo, "HEAD")) and cached(repo, blob_at(repo, "HEAD~1"))
    assert not cached(repo, blob_at(repo, "HEAD~2"))


def test_the_switch_turns_the_automatic_fills_off(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    repo.git("config", "small.textconvCache", "false")
    assert "textconv cache: off here" in repo.small("install").stdout
    assert not cache_commit(repo)
    history(repo, range(1, 2))
    assert not cache_commit(repo)
    repo.git("log", "-p")  # git still caches what it renders itself
    assert cached(repo, blob_at(repo, "HEAD"))


def test_a_failing_cache_update_is_one_line_and_never_fails_the_commit(installed: Repo) -> None:
    repo = installed
    repo.append_progress(entry("task-2", 1))
    repo.git("add", "-A")
    proc = repo.git("commit", "-q", "--no-verify", "-m", "x", env={"SMALL_MAX_FILE_BYTES": "lots"})
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines() == [
        "small-git: the textconv cache was not updated (SMALL_MAX_FILE_BYTES='lots' is not a positive whole "
        "number up to 1000000000000000000)"
    ]
    shim = repo.path / ".git/hooks/post-commit"
    text = shim.read_text()
    line = next(line for line in text.splitlines() if line.startswith("small_git="))
    shim.write_text(text.replace(line, "small_git=/nonexistent/git-small"))
    repo.append_progress(entry("task-2", 2))
    repo.git("add", "-A")
    proc = repo.git("commit", "-q", "--no-verify", "-m", "y", env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines() == [
        "small-git: post-commit could not update the textconv cache of .small/ (git log -p renders it instead)"
    ]


def test_a_bounded_fill_renders_the_newest_versions_and_says_what_it_left_out(installed: Repo) -> None:
    from small_git.integration.textconv_cache import fill, left_out_note

    repo = installed

    history(repo, range(1, 6), *NO_HOOKS)
    repo.git("update-ref", "-d", "refs/notes/textconv/small")
    newest = len(repo.git("cat-file", "blob", blob_at(repo, "HEAD")).stdout.encode())
    filled = fill(repo.path, ["HEAD"], budget=newest)
    assert filled.rendered == 1 and filled.left_out > 0
    assert cached(repo, blob_at(repo, "HEAD")) and not cached(repo, blob_at(repo, "HEAD~1"))
    note = left_out_note(filled)
    assert note is not None and f"{filled.left_out} older" in note and "git small textconv-cache" in note
