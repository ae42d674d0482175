"""Commits as evidence (spec §6.4): the HEAD a progress entry cites, and `checkpoint --commit`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import CACHE_DIR, DRAFTS_DIR, SMALL_DIR

# 12 hex digits: short enough that the reference's strict mode never takes it for a secret (32+ characters),
# long enough to stay unambiguous in any real repository.
SHORT_SHA_LENGTH = 12
_NOT_CODE = (SMALL_DIR, CACHE_DIR, DRAFTS_DIR)
_SHOWN_PATHS = 3


def run_git(cwd: Path, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in `cwd`, inheriting the environment (hooks rely on GIT_DIR, GIT_INDEX_FILE, quarantine)."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            env=os.environ.copy(),
        )
    except FileNotFoundError:
        raise SmallError(
            "git is not installed or not on PATH", exit_code=EXIT_USAGE, hint="install git 2.30 or newer"
        ) from None
    except NotADirectoryError:
        raise SmallError(f"{cwd} is not a directory", exit_code=EXIT_USAGE) from None
    if check and result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}"
        raise SmallError(f"git {args[0]} failed in {cwd}: {detail}", exit_code=EXIT_USAGE)
    return result


def _inside_work_tree(root: Path) -> bool:
    if not root.is_dir():
        return False
    result = run_git(root, "rev-parse", "--is-inside-work-tree", check=False)
    return result.returncode == 0 and result.stdout.strip() == "true"


def head_commit_evidence(root: Path) -> tuple[str | None, list[str]]:
    """(12-hex HEAD sha or None when root is not in a git work tree or has no commits, warnings) — warn when
    files outside .small/ have uncommitted changes (HEAD then predates the work)."""
    if shutil.which("git") is None or not _inside_work_tree(root):
        return None, []  # without git there is no commit to cite; the entry is still worth writing
    head = run_git(
        root, "rev-parse", "--verify", "--quiet", f"--short={SHORT_SHA_LENGTH}", "HEAD^{commit}", check=False
    )
    if head.returncode != 0 or not head.stdout.strip():
        return None, []
    sha = head.stdout.strip()
    changed = uncommitted_code(root)
    if not changed:
        return sha, []
    shown = ", ".join(changed[:_SHOWN_PATHS]) + (
        f" and {len(changed) - _SHOWN_PATHS} more" if len(changed) > _SHOWN_PATHS else ""
    )
    warning = (
        f"uncommitted changes outside {SMALL_DIR}/ ({shown}): the recorded commit {sha} predates them; "
        "commit the code first so the evidence names it, or pass --no-commit-evidence"
    )
    return sha, [warning]


def uncommitted_code(root: Path) -> list[str]:
    """Paths (relative to the repository top) with staged, unstaged or untracked changes that are not
    workspace state (`.small/`, `.small-drafts/`, `.small-cache/` of any workspace)."""
    status = run_git(root, "status", "--porcelain=v1", "-z", "--untracked-files=normal", check=False)
    if status.returncode != 0:
        return []
    paths: list[str] = []
    records = status.stdout.split("\0")
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if len(record) < 4:
            continue
        code, path = record[:2], record[3:]
        if "R" in code or "C" in code:
            index += 1  # a rename or copy is followed by its source path
        if not any(part in _NOT_CODE for part in Path(path).parts):
            paths.append(path)
    return paths


def commit_small(root: Path, task: str, status: str) -> str:
    """git add the workspace's .small/ and commit it with trailers 'Small-Task: <task>' and
    'Small-Status: <status>'; returns the new commit sha;
    SmallError when there is nothing to commit or git fails."""
    for label, value in (("task id", task), ("status", status)):
        if not value.strip() or "\n" in value or "\r" in value:
            raise SmallError(f"cannot commit: the {label} {value!r} must be one non-empty line", exit_code=EXIT_USAGE)
    if not _inside_work_tree(root):
        raise SmallError(
            f"--commit needs a git work tree, and {root} is not in one",
            exit_code=EXIT_USAGE,
            hint="run: git init   (or drop --commit)",
        )
    pathspec = f":(literal){SMALL_DIR}"
    run_git(root, "add", "--all", "--", pathspec)
    staged = run_git(root, "diff", "--cached", "--quiet", "--", pathspec, check=False)
    if staged.returncode == 0:
        raise SmallError(f"nothing to commit: {root / SMALL_DIR} has no changes", exit_code=EXIT_USAGE)
    message = f"small: {task} {status}\n\nSmall-Task: {task}\nSmall-Status: {status}\n"
    # `--only` commits just the workspace state, leaving anything else the user staged for their own commit.
    # The hooks run as for any commit: this is an ordinary commit through the gates.
    result = run_git(root, "commit", "--quiet", "--only", "--file=-", "--", pathspec, stdin=message, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        raise SmallError(
            f"git commit of {SMALL_DIR}/ failed: {detail}",
            exit_code=EXIT_USAGE,
            hint="fix what git or the hook reports, then run the checkpoint again with --commit",
        )
    return run_git(root, "rev-parse", "HEAD").stdout.strip()
