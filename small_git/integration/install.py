"""Installing and removing small-git's hooks, diff driver and merge driver in one repository.

Hooks go where git really looks (`git rev-parse --git-path hooks`: `core.hooksPath`, worktrees). A hook that
was already there is kept beside ours as `<hook>.small-git-prev`, run first by our shim, and put back by
`uninstall`. Installing twice changes nothing; the shim records the absolute path of the `git-small` that
installed it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git import plumbing as git
from small_git.integration.hook_names import HOOK_NAMES, STDIN_HOOKS

HOOKS = HOOK_NAMES
SHIM_MARKER = "# small-git hook shim"
PREVIOUS_SUFFIX = ".small-git-prev"
MERGE_DRIVER_COMMAND = "merge-driver"
ATTRIBUTES_BEGIN = "# small-git: begin (managed by git small install)"
ATTRIBUTES_END = "# small-git: end"
ATTRIBUTE_LINES = (
    "**/.small/*.small.yml diff=small",
    "**/.small/progress.small.yml merge=small-progress",
    "**/.small/plan.small.yml merge=small-plan",
)


@dataclass
class InstallReport:
    hooks_dir: Path
    installed: list[str] = field(default_factory=list)
    chained: list[str] = field(default_factory=list)  # hooks that were there before and now run first
    restored: list[str] = field(default_factory=list)  # uninstall: previous hooks put back
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # uninstall: hooks that are not ours, left alone
    drivers: bool = False


def hooks_dir(repo: Path) -> Path:
    if git.is_bare(repo):
        raise SmallError(
            f"{repo} is a bare repository; the commit hooks need a work tree",
            exit_code=EXIT_USAGE,
            hint="a server takes the pre-receive gate instead: git small install --server (docs/server.md)",
        )
    return git.git_path("hooks", repo)


def runner() -> tuple[str, str]:
    """(the executable the shim checks, the shell words that run small-git) for the running installation."""
    invoked = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if invoked is not None and invoked.name in ("git-small", "small") and invoked.is_file():
        exe = str(invoked.absolute())
        return exe, shlex.quote(exe)
    beside = Path(sys.executable).parent / "git-small"
    if beside.is_file():
        return str(beside), shlex.quote(str(beside))
    found = shutil.which("git-small")
    if found:
        return found, shlex.quote(found)
    return sys.executable, f"{shlex.quote(sys.executable)} -m small_git"


def template(name: str = "shim.sh") -> str:
    """A hook template from `hooks/` (the installed wheel's copy, or the source tree's)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "hooks" / name, here.parent.parent / "hooks" / name):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise SmallError(
        f"the hook template hooks/{name} is missing from this installation", exit_code=3, hint="reinstall small-git"
    )


def shim_text(hook: str) -> str:
    exe, run = runner()
    return (
        template()
        .replace("@HOOK@", shlex.quote(hook))
        .replace("@EXE@", shlex.quote(exe))
        .replace("@STDIN@", "yes" if hook in STDIN_HOOKS else "no")
        .replace("@RUN@", run)
    )


def is_our_shim(path: Path) -> bool:
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with path.open("rb") as handle:
            return SHIM_MARKER.encode() in handle.read(512)
    except OSError:
        return False


def write_executable(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o755)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def install(repo: Path, drivers: bool = True) -> InstallReport:
    directory = hooks_dir(repo)
    directory.mkdir(parents=True, exist_ok=True)
    report = InstallReport(directory)
    for hook in HOOKS:
        path = directory / hook
        previous = directory / (hook + PREVIOUS_SUFFIX)
        if (path.exists() or path.is_symlink()) and not is_our_shim(path):
            if previous.exists() or previous.is_symlink():
                raise SmallError(
                    f"{path} is not small-git's hook, and {previous.name} is already taken",
                    exit_code=EXIT_USAGE,
                    file=str(path),
                    hint=f"merge the two hooks into {previous} by hand, remove {path}, "
                    "then run git small install again",
                )
            os.rename(path, previous)
        if previous.exists() or previous.is_symlink():
            report.chained.append(hook)
        write_executable(path, shim_text(hook))
        report.installed.append(hook)
    if drivers:
        register_drivers(repo)
        report.drivers = True
    return report


def uninstall(repo: Path) -> InstallReport:
    directory = hooks_dir(repo)
    report = InstallReport(directory)
    for hook in HOOKS:
        path = directory / hook
        previous = directory / (hook + PREVIOUS_SUFFIX)
        if not is_our_shim(path):
            if path.exists() or path.is_symlink():
                report.skipped.append(hook)
            continue
        path.unlink()
        report.removed.append(hook)
        if previous.exists() or previous.is_symlink():
            os.rename(previous, path)
            report.restored.append(hook)
    unregister_drivers(repo)
    return report


# --- diff and merge drivers -------------------------------------------------------------------------


def textconv_command() -> str:
    """The diff driver: git starts it once per blob, so it runs the rendering without the command line's
    start-up (`git small textconv` does the same work)."""
    return f"{shlex.quote(sys.executable)} -m small_git.commands.textconv"


def register_drivers(repo: Path) -> None:
    """`git config` entries for the drivers, and the attributes that select them, kept in `info/attributes`
    (local to this clone, so nothing is committed)."""
    _, run = runner()
    settings = {
        "diff.small.textconv": textconv_command(),
        "diff.small.cachetextconv": "true",  # git keeps each blob's rendering: converted once, not per diff
        "merge.small-progress.name": "small-git: append-only merge of progress.small.yml",
        "merge.small-progress.driver": f"{run} {MERGE_DRIVER_COMMAND} %O %A %B %L %P",
        "merge.small-plan.name": "small-git: plan.small.yml merged by task id when lines conflict",
        "merge.small-plan.driver": f"{run} {MERGE_DRIVER_COMMAND} %O %A %B %L %P",
    }
    for key, value in settings.items():
        git.run_git(["config", "--local", key, value], repo)
    attributes = git.git_path("info/attributes", repo)
    kept = _without_block(attributes)
    block = [ATTRIBUTES_BEGIN, *ATTRIBUTE_LINES, ATTRIBUTES_END]
    attributes.parent.mkdir(parents=True, exist_ok=True)
    _write_text(attributes, "\n".join(kept + block) + "\n")


def unregister_drivers(repo: Path) -> None:
    for section in ("diff.small", "merge.small-progress", "merge.small-plan"):
        git.run_git(["config", "--local", "--remove-section", section], repo, check=False)
    attributes = git.git_path("info/attributes", repo)
    if attributes.is_file():
        kept = _without_block(attributes)
        _write_text(attributes, "\n".join(kept) + "\n" if kept else "")


def _without_block(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    kept, inside = [], False
    for line in lines:
        if line == ATTRIBUTES_BEGIN:
            inside = True
        elif line == ATTRIBUTES_END and inside:
            inside = False
        elif not inside:
            kept.append(line)
    return kept


def _write_text(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
