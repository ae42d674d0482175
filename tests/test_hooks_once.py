"""A commit through the installed hooks judges its change once and renders it once.

pre-commit leaves its judgement to commit-msg when no editor opens on the message and small-git's shim is the
commit-msg hook too (integration/deferral.py); commit-msg renders the commit's `.small/` versions into the
textconv cache and leaves a mark, so the post-commit shim starts nothing for that commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.repo import Repo, seeded_repo
from support.workspace import entry

from small_git.git.processes import commit_opens_editor

PROGRESS = ".small/progress.small.yml"
REWRITE = ("rewrites an old entry", 'evidence: "x"')


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return seeded_repo(tmp_path)


def rewrite_old_entry(repo: Repo) -> None:
    text = repo.read(PROGRESS)
    start = text.index("evidence: ")
    end = text.index("\n", start)
    repo.write(PROGRESS, text[:start] + 'evidence: "rewritten"' + text[end:])
    repo.git("add", "-A")


@pytest.mark.parametrize(
    ("args", "opens"),
    [
        (["-m", "x"], False),
        (["-am", "x"], False),
        (["--message=x"], False),
        (["-F", "msg.txt"], False),
        (["-C", "HEAD"], False),
        (["--amend", "--no-edit"], False),
        (["--amend", "-m", "x"], False),
        (["-m", "x", "-e"], True),
        (["-m", "x", "--edit"], True),
        (["-e", "-m", "x", "--no-edit"], False),
        (["-c", "HEAD"], True),
        (["--fixup=HEAD"], True),
        (["-t", "template.txt", "-m", "x"], True),
        (["--amend"], True),
        ([], True),
        (["-m"], False),  # git refuses it before any hook runs
        (["--", "-m", "x"], True),  # paths, not options
        (["-q", "-m", "--edit"], False),  # "--edit" is the message
    ],
)
def test_which_commits_open_an_editor(args: list[str], opens: bool) -> None:
    assert commit_opens_editor(args) is opens


def test_with_the_message_given_the_change_is_judged_once_by_commit_msg(repo: Repo) -> None:
    rewrite_old_entry(repo)
    refused = repo.git("commit", "-q", "-m", "tidy", check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("refused (1 finding)") == 1
    assert "small-git commit-msg: refused" in refused.stderr and "[progress-rewrite]" in refused.stderr


def test_with_an_editor_to_open_pre_commit_refuses_before_it_opens(repo: Repo, tmp_path: Path) -> None:
    opened = tmp_path / "editor-opened"
    editor = repo.write("editor.sh", f'#!/bin/sh\ntouch "{opened}"\necho "a message" > "$1"\n')
    editor.chmod(0o755)
    rewrite_old_entry(repo)
    refused = repo.git("commit", "-q", check=False, env={"GIT_EDITOR": str(editor)})
    assert refused.returncode == 1 and "small-git pre-commit: refused" in refused.stderr
    assert not opened.exists()


def test_when_another_tool_owns_commit_msg_pre_commit_judges(repo: Repo) -> None:
    hook = repo.path / ".git/hooks/commit-msg"
    hook.write_text("#!/bin/sh\nexit 0\n")
    rewrite_old_entry(repo)
    refused = repo.git("commit", "-q", "-m", "tidy", check=False)
    assert refused.returncode == 1 and "small-git pre-commit: refused" in refused.stderr


def test_a_variable_saying_commit_msg_follows_is_not_trusted_from_outside(repo: Repo) -> None:
    (repo.path / ".git/hooks/commit-msg").unlink()
    rewrite_old_entry(repo)
    refused = repo.git("commit", "-q", "-m", "tidy", check=False, env={"SMALL_GIT_COMMIT_MSG_FOLLOWS": "1"})
    assert refused.returncode == 1 and "small-git pre-commit: refused" in refused.stderr


def fake_post_commit_python(repo: Repo) -> tuple[Path, dict[str, str]]:
    """Make the post-commit shim run a `git-small` that only records its runs (the one on PATH, which the
    returned environment sets); returns the record and that environment."""
    shim = repo.path / ".git/hooks/post-commit"
    text = shim.read_text()
    line = next(line for line in text.splitlines() if line.startswith("small_git="))
    shim.write_text(text.replace(line, "small_git=/nonexistent/git-small"))
    ran = repo.path.parent / "post-commit-ran"
    fake = repo.path.parent / "bin" / "git-small"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{ran}"\n')
    fake.chmod(0o755)
    return ran, {"PATH": f"{fake.parent}:/usr/bin:/bin"}


def cached(repo: Repo, blob: str) -> str | None:
    note = repo.git("notes", "--ref=textconv/small", "list", blob, check=False)
    return repo.git("cat-file", "blob", note.stdout.strip()).stdout if note.returncode == 0 else None


def test_commit_msg_renders_the_commit_and_post_commit_starts_nothing(repo: Repo) -> None:
    ran, env = fake_post_commit_python(repo)
    repo.append_progress(entry("task-2", 1))
    repo.commit("step 1", env=env)
    assert not ran.exists()
    assert not (repo.path / ".git/small-git/textconv-ready").exists()  # the mark was used once
    blob = repo.git("rev-parse", f"HEAD:{PROGRESS}").stdout.strip()
    rendering = repo.git("-c", "diff.small.cachetextconv=false", "show", "--format=", "HEAD", "--", PROGRESS).stdout
    assert "+entries[" in rendering
    shown = repo.git("show", "--format=", "HEAD", "--", PROGRESS).stdout
    assert cached(repo, blob) is not None and shown == rendering


def test_a_commit_commit_msg_did_not_see_is_rendered_by_post_commit(repo: Repo) -> None:
    ran, env = fake_post_commit_python(repo)
    repo.append_progress(entry("task-2", 1))
    repo.commit("step 1", "--no-verify", env=env)
    assert ran.read_text() == "hook post-commit\n"


def test_a_stale_mark_is_not_taken_for_another_commit(repo: Repo) -> None:
    """A mark left by a commit that commit-msg let through but git did not write (say the disk filled up)
    names the same parent as the next commit: post-commit compares the change itself."""
    parent = repo.head()
    repo.append_progress(entry("task-2", 1))
    repo.git("add", "-A")
    staged = repo.git("diff-index", "--cached", "--raw", "--no-abbrev", parent, "--", PROGRESS).stdout
    repo.git("reset", "-q", "--hard")
    (repo.path / ".git/small-git").mkdir(exist_ok=True)
    (repo.path / ".git/small-git/textconv-ready").write_text(f"{parent}\n{staged}")
    ran, env = fake_post_commit_python(repo)
    repo.append_progress(entry("task-2", 2))
    repo.commit("another step", "--no-verify", env=env)
    assert ran.read_text() == "hook post-commit\n"
