"""git small install: the commit gates as git hooks (chaining any hook already there), and the drivers; on a
bare repository (or with --server) the pre-receive gate, where the repository's forge runs it."""

from __future__ import annotations

from pathlib import Path

from small_git.errors import EXIT_OK, SmallError
from small_git.git import plumbing as git
from small_git.integration import install as installer
from small_git.integration.server import layouts


def run(
    directory: str | None = None,
    drivers: bool = True,
    server: bool = False,
    layout: str | None = None,
    hooks_dir: str | None = None,
    policy: str | None = None,
) -> int:
    if hooks_dir is not None:
        return _server(None, layout, Path(hooks_dir).absolute(), policy)
    repo = Path(directory or ".").absolute()
    layouts.git_dir(repo)  # a clear error outside any repository, not git's
    top = git.top_level(repo)
    if server or layout is not None or policy is not None or top is None:
        return _server(repo, layout, None, policy)
    report = installer.install(top, drivers=drivers)
    print(f"small-git: installed {', '.join(report.installed)} in {report.hooks_dir}")
    for hook in report.chained:
        print(f"  {hook}: the hook that was there runs first ({hook}{installer.PREVIOUS_SUFFIX})")
    if report.drivers:
        print("  diff driver 'small', merge drivers 'small-progress' and 'small-plan' (.git/info/attributes)")
    print("  remove with: git small uninstall")
    return EXIT_OK


def _server(repo: Path | None, layout_name: str | None, hooks_dir: Path | None, policy: str | None) -> int:
    directory = layouts.git_dir(repo) if repo is not None else None
    if layout_name is not None:
        layout, why = layouts.LAYOUTS[layout_name], None
    elif directory is not None and git.is_bare(directory):
        layout, why = layouts.detect(directory)
    else:
        layout, why = layouts.LAYOUTS["plain"], None
    policy_file = Path(policy).absolute() if policy is not None else None
    if policy_file is not None and not policy_file.is_file():
        raise SmallError(
            f"the policy file {policy_file} does not exist",
            hint="write it first (git config --file FILE small.humanLevel pusher), see docs/server.md",
        )
    report = layouts.install_gate(layout, directory, hooks_dir, policy_file)
    chosen = f"layout {layout.name}" + (f": {why}" if why else "")
    print(f"small-git: installed the pre-receive gate in {report.path} ({chosen})")
    if report.chained:
        print(f"  the hook that was there runs first ({layouts.HOOK}{installer.PREVIOUS_SUFFIX})")
    where = "each repository's git config small.*" if directory is None else f"git config small.* of {directory}"
    print(f"  policy: {where}" + (f", then {policy_file}" if policy_file else "") + " (see docs/server.md)")
    print("  remove with: git small uninstall" + (f" --hooks-dir {hooks_dir}" if hooks_dir else ""))
    return EXIT_OK
