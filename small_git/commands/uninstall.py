"""git small uninstall: remove small-git's hooks and drivers, putting back the hooks that were there."""

from __future__ import annotations

from pathlib import Path

from small_git.errors import EXIT_OK
from small_git.git.plumbing import top_level
from small_git.integration import install as installer


def run(directory: str | None = None) -> int:
    repo = Path(directory or ".").absolute()
    report = installer.uninstall(top_level(repo) or repo)
    if report.removed:
        print(f"small-git: removed {', '.join(report.removed)} from {report.hooks_dir}")
    else:
        print(f"small-git: no small-git hooks in {report.hooks_dir}")
    for hook in report.restored:
        print(f"  {hook}: the previous hook is back in place")
    for hook in report.skipped:
        print(f"  {hook}: not small-git's, left as it is")
    return EXIT_OK
