"""Commits as evidence (spec §6.4): the HEAD a progress entry cites, and `checkpoint --commit`."""

from __future__ import annotations

import shutil
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git import runner
from small_git.git.runner import GitResult
from small_git.protocol.artifacts import CACHE_DIR, DRAFTS_DIR, SMALL_DIR

# 12 hex digits: short enough that the reference's strict mode never takes it for a secret (32+ characters),
# long enough to stay unambiguous in any real repository.
SHORT_SHA_LENGTH = 12
_NOT_CODE = (SMALL_DIR, CACHE_DIR, DRAFTS_DIR)
_SHOWN_PATHS = 3


def _git(root: Path, *args: str, stdin: str | None = None, check: bool = True) -> GitResult:
    """git in `root` with the caller's environment (a commit runs the hooks and the user's own tools)."""
    data = stdin.encode("utf-8", "surrogateescape") if stdin is not None else None
    return runner.run(args, root, input=data, check=check, gate=False)


def _inside_work_tree(root: Path) -> bool:
    if not root.is_dir():
        return False
    result = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    return result.ok and result.text.strip() == "true"


def head_commit_evidence(root: Path) -> tuple[str | None, list[str]]:
    """(12-hex HEAD sha or None when root is not in a git work tree or has no commits, warnings) — warn when
    files outside .small/ have uncommitted changes (HEAD then predates the work)."""
    if shutil.which("git") is None or not _inside_work_tree(root):
        return None, []  # without git there is no commit to cite; the entry is still worth writing
    head = _git(root, "rev-parse", "--verify", "--quiet", f"--short={SHORT_SHA_LENGTH}", "HEAD^{commit}", check=False)
    if not head.ok or not head.text.strip():
        return None, []
    sha = head.text.strip()
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
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=normal", check=False)
    if not status.ok:
        return []
    paths: list[str] = []
    records = status.text.split("\0")
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
    _git(root, "add", "--all", "--", pathspec)
    staged = _git(root, "diff", "--cached", "--quiet", "--", pathspec, check=False)
    if staged.ok:
        raise SmallError(f"nothing to commit: {root / SMALL_DIR} has no changes", exit_code=EXIT_USAGE)
    message = f"small: {task} {status}\n\nSmall-Task: {task}\nSmall-Status: {status}\n"
    # `--only` commits just the workspace state, leaving anything else the user staged for their own commit.
    # The hooks run as for any commit: this is an ordinary commit through the gates.
    result = _git(root, "commit", "--quiet", "--only", "--file=-", "--", pathspec, stdin=message, check=False)
    if not result.ok:
        detail = result.error_text.strip() or result.text.strip()
        raise SmallError(
            f"git commit of {SMALL_DIR}/ failed: {detail}",
            exit_code=EXIT_USAGE,
            hint="fix what git or the hook reports, then run the checkpoint again with --commit",
        )
    return _git(root, "rev-parse", "HEAD").text.strip()
