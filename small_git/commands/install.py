"""git small install: the commit gates as git hooks (chaining any hook already there), and the drivers."""

from __future__ import annotations

from pathlib import Path

from small_git.errors import EXIT_OK
from small_git.git.plumbing import top_level
from small_git.integration import install as installer


def run(directory: str | None = None, drivers: bool = True) -> int:
    repo = Path(directory or ".").absolute()
    report = installer.install(top_level(repo) or repo, drivers=drivers)
    print(f"small-git: installed {', '.join(report.installed)} in {report.hooks_dir}")
    for hook in report.chained:
        print(f"  {hook}: the hook that was there runs first ({hook}{installer.PREVIOUS_SUFFIX})")
    if report.drivers:
        print("  diff driver 'small', merge drivers 'small-progress' and 'small-plan' (.git/info/attributes)")
    print("  remove with: git small uninstall")
    return EXIT_OK
