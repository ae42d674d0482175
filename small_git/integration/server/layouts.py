"""Where a forge runs a repository's pre-receive hooks, and installing small-git's gate there.

Each forge documents its own place (docs/server.md):
- plain git (and anything that runs git's own hooks): `<git dir>/hooks/pre-receive`, honouring core.hooksPath;
  a hook that was already there is kept as `pre-receive.small-git-prev` and runs first;
- GitLab: `<git dir>/custom_hooks/pre-receive.d/small-git` (GitLab runs `custom_hooks/pre-receive` and every
  file of `pre-receive.d/`), or `custom_hooks/pre-receive` itself, chained like plain git (`gitlab-file`);
- Gitea and Forgejo: `<git dir>/hooks/pre-receive.d/small-git` (their own `hooks/pre-receive` runs each file
  there, beside their own `gitea` hook).
A server-wide directory (GitLab's `custom_hooks_dir`, a shared core.hooksPath) takes the same shapes with
`--hooks-dir`. GitHub Enterprise Server takes an uploaded script instead (scripts/ghes-environment.sh).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from small_git.errors import SmallError
from small_git.git import plumbing as git
from small_git.integration.install import PREVIOUS_SUFFIX, is_our_shim, runner, template, write_executable

HOOK = "pre-receive"
DROP_IN_NAME = "small-git"  # our file's name inside a `pre-receive.d/` folder
GITLAB_PREFIX = "GL-HOOK-ERR: "  # GitLab shows hook output in its UI only on lines that start with this


@dataclass(frozen=True)
class Layout:
    name: str
    forge: str  # plain | gitlab | gitea: how the hook's messages are shaped
    folder: str  # below the git dir: where the forge looks ("hooks" means git's own hooks path)
    drop_in: bool  # True: our own file inside <folder>/pre-receive.d/; False: <folder>/pre-receive, chained


LAYOUTS = {
    "plain": Layout("plain", "plain", "hooks", drop_in=False),
    "gitlab": Layout("gitlab", "gitlab", "custom_hooks", drop_in=True),
    "gitlab-file": Layout("gitlab-file", "gitlab", "custom_hooks", drop_in=False),
    "gitea": Layout("gitea", "gitea", "hooks", drop_in=True),
    "forgejo": Layout("forgejo", "gitea", "hooks", drop_in=True),
}


@dataclass
class ServerInstall:
    layout: Layout
    path: Path  # the hook file small-git wrote (install) or removed (uninstall)
    detected: str | None = None  # why this layout was chosen, when it was not asked for
    chained: bool = False  # a hook that was there before runs first
    restored: bool = False  # uninstall: the previous hook is back
    removed: list[Path] = field(default_factory=list)


def git_dir(repo: Path) -> Path:
    """The repository's git directory; a clear error (not git's) when `repo` is not in a repository."""
    raw = git.run_git(["rev-parse", "--absolute-git-dir"], repo, check=False).strip()
    if not raw:
        raise SmallError(
            f"{repo} is not inside a git repository",
            hint="run it inside a clone or a bare repository (git init first); for a server-wide hooks folder: "
            "git small install --server --hooks-dir DIR",
        )
    return Path(raw)


def detect(directory: Path) -> tuple[Layout, str]:
    """The layout of the bare repository whose git dir is `directory`, and what gave it away."""
    hooks = directory / "hooks"
    if (directory / "custom_hooks").is_dir():
        return LAYOUTS["gitlab"], "it has a custom_hooks/ folder (GitLab)"
    if git.run_git(["config", "--get", "gitlab.fullpath"], directory, check=False).strip():
        return LAYOUTS["gitlab"], "its config has gitlab.fullpath (GitLab)"
    if hooks.is_symlink():
        return LAYOUTS["gitlab"], "its hooks/ folder is a symlink (GitLab Shell's shared hooks)"
    if (hooks / "pre-receive.d" / "gitea").exists() or _mentions(hooks / HOOK, ("gitea", "forgejo")):
        return LAYOUTS["gitea"], "its hooks/pre-receive runs hooks/pre-receive.d/ (Gitea or Forgejo)"
    return LAYOUTS["plain"], "no forge's files found"


def _mentions(path: Path, words: tuple[str, ...]) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace").lower()
    except OSError:
        return False
    return any(word in head for word in words)


def hook_path(layout: Layout, directory: Path | None, hooks_dir: Path | None) -> Path:
    """The file small-git's gate goes into: below `hooks_dir` (server-wide) or the git dir `directory`."""
    if hooks_dir is not None:
        base = hooks_dir
    elif layout.folder == "hooks":
        assert directory is not None
        base = git.git_path("hooks", directory)  # core.hooksPath is honoured, as git itself would
    else:
        assert directory is not None
        base = directory / layout.folder
    return base / f"{HOOK}.d" / DROP_IN_NAME if layout.drop_in else base / HOOK


def shim_text(layout: Layout, policy_file: Path | None) -> str:
    exe, run = runner()
    args = f"--policy {shlex.quote(str(policy_file))}" if policy_file is not None else ""
    prefix = GITLAB_PREFIX if layout.forge == "gitlab" else ""
    return (
        template("pre-receive.sh")
        .replace("@EXE@", shlex.quote(exe))
        .replace("@RUN@", run)
        .replace(" @ARGS@", f" {args}" if args else "")
        .replace("@PREFIX@", prefix)
    )


def install_gate(
    layout: Layout, directory: Path | None, hooks_dir: Path | None, policy_file: Path | None = None
) -> ServerInstall:
    """Write the pre-receive gate where `layout` says; running it again changes nothing."""
    if directory is not None and hooks_dir is None and layout.folder == "hooks":
        _refuse_shared_hooks(layout, directory)
    path = hook_path(layout, directory, hooks_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = ServerInstall(layout, path)
    present = path.exists() or path.is_symlink()
    if present and not is_our_shim(path):
        if layout.drop_in:
            raise SmallError(
                f"{path} exists and is not small-git's",
                file=str(path),
                hint=f"rename it (the forge runs every file in {path.parent}), then run git small install again",
            )
        previous = path.with_name(HOOK + PREVIOUS_SUFFIX)
        if previous.exists() or previous.is_symlink():
            raise SmallError(
                f"{path} is not small-git's hook, and {previous.name} is already taken",
                file=str(path),
                hint=f"merge the two hooks into {previous} by hand, remove {path}, then run git small install again",
            )
        os.rename(path, previous)
    previous = path.with_name(HOOK + PREVIOUS_SUFFIX)
    report.chained = not layout.drop_in and (previous.exists() or previous.is_symlink())
    write_executable(path, shim_text(layout, policy_file))
    return report


def _refuse_shared_hooks(layout: Layout, directory: Path) -> None:
    """Old GitLab links every repository's hooks/ to GitLab Shell's: writing there would replace GitLab's
    own hook for every project."""
    hooks = directory / "hooks"
    if hooks.is_symlink():
        raise SmallError(
            f"{hooks} is a symlink to {os.readlink(hooks)}, shared with other repositories; "
            f"the {layout.name} layout would change their hooks too",
            hint="use the forge's own place: git small install --server --layout gitlab",
        )


def uninstall_gate(directory: Path | None, hooks_dir: Path | None) -> list[ServerInstall]:
    """Remove small-git's gate from every place a layout could have put it; put chained hooks back."""
    done: list[ServerInstall] = []
    for layout in LAYOUTS.values():
        path = hook_path(layout, directory, hooks_dir)
        if any(d.path == path for d in done) or not is_our_shim(path):
            continue
        path.unlink()
        report = ServerInstall(layout, path, removed=[path])
        previous = path.with_name(HOOK + PREVIOUS_SUFFIX)
        if not layout.drop_in and (previous.exists() or previous.is_symlink()):
            os.rename(previous, path)
            report.restored = True
        done.append(report)
    return done
