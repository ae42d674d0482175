"""git small uninstall: remove small-git's hooks and drivers, putting back the hooks that were there; on a
bare repository (or a server-wide hooks folder) the pre-receive gate."""

from __future__ import annotations

from pathlib import Path

from small_git.errors import EXIT_OK
from small_git.git import plumbing as git
from small_git.integration import install as installer
from small_git.integration.server import layouts


def run(directory: str | None = None, hooks_dir: str | None = None) -> int:
    if hooks_dir is not None:
        _report_server(layouts.uninstall_gate(None, Path(hooks_dir).absolute()), Path(hooks_dir).absolute())
        return EXIT_OK
    repo = Path(directory or ".").absolute()
    git_dir = layouts.git_dir(repo)  # a clear error outside any repository, not git's
    top = git.top_level(repo)
    removed = layouts.uninstall_gate(git_dir, None)
    if top is None:
        _report_server(removed, git_dir)
        return EXIT_OK
    report = installer.uninstall(top)
    if report.removed:
        print(f"small-git: removed {', '.join(report.removed)} from {report.hooks_dir}")
    elif not removed:
        print(f"small-git: no small-git hooks in {report.hooks_dir}")
    for hook in report.restored:
        print(f"  {hook}: the previous hook is back in place")
    for hook in report.skipped:
        print(f"  {hook}: not small-git's, left as it is")
    if removed:
        _report_server(removed, git_dir)
    return EXIT_OK


def _report_server(removed: list[layouts.ServerInstall], where: Path) -> None:
    if not removed:
        print(f"small-git: no small-git pre-receive gate in {where}")
    for item in removed:
        print(f"small-git: removed the pre-receive gate {item.path}")
        if item.restored:
            print("  the previous pre-receive hook is back in place")
