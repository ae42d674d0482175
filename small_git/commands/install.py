"""git small install: the commit gates as git hooks (chaining any hook already there), and the drivers; on a
bare repository (or with --server) the pre-receive gate, where the repository's forge runs it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_OK, SmallError
from small_git.gates.facts import learn_branch_tips
from small_git.git import plumbing as git
from small_git.integration import install as installer
from small_git.integration import textconv_cache
from small_git.integration.server import layouts
from small_git.report import console
from small_git.report.text import plural


@dataclass(frozen=True)
class InstallRequest:
    directory: str | None = None
    drivers: bool = True
    server: bool = False  # the pre-receive gate, also in a repository with a work tree
    layout: str | None = None  # a name of layouts.LAYOUTS; None: detected (plain outside a bare repository)
    hooks_dir: str | None = None  # a server-wide hooks folder instead of a repository
    policy: str | None = None  # a server-side policy file the installed hook passes on


def run(request: InstallRequest) -> int:
    if request.hooks_dir is not None:
        return _server(None, request, Path(request.hooks_dir).absolute())
    repo = Path(request.directory or ".").absolute()
    layouts.git_dir(repo)  # a clear error outside any repository, not git's
    top = git.top_level(repo)
    if request.server or request.layout is not None or request.policy is not None or top is None:
        return _server(repo, request, None)
    report = installer.install(top, drivers=request.drivers)
    console.out(f"small-git: installed {', '.join(report.installed)} in {report.hooks_dir}")
    for hook in report.chained:
        console.out(f"  {hook}: the hook that was there runs first ({hook}{installer.PREVIOUS_SUFFIX})")
    if report.drivers:
        console.out("  diff driver 'small', merge drivers 'small-progress' and 'small-plan' (.git/info/attributes)")
        _fill_textconv_cache(top)
    console.out("  remove with: git small uninstall")
    return EXIT_OK


def _fill_textconv_cache(top: Path) -> None:
    """Render the `.small/` history of HEAD and the local branches into git's textconv cache, so the first
    `git log -p` starts no driver; the hooks keep it filled from here on. Never fails the install."""
    if git.head_sha(top) is None and not git.run_git(["branch", "--list"], top, check=False).strip():
        return  # no commits yet
    start = time.perf_counter()
    try:
        filled = textconv_cache.refresh(top, ["HEAD", "--branches"] if git.head_sha(top) else ["--branches"])
    except SmallError as exc:
        console.out(f"  textconv cache: not filled ({exc.message.splitlines()[0]}); git log -p renders as it goes")
        return
    if filled is None:
        console.out(f"  textconv cache: off here ({textconv_cache.SWITCH} or diff.small.cachetextconv is false)")
        return
    seconds = time.perf_counter() - start
    cached = f", {filled.cached} already cached" if filled.cached else ""
    console.out(
        f"  textconv cache: {plural(filled.rendered, '.small/ version')} rendered in {seconds:.1f} s "
        f"(HEAD and local branches{cached}); the post-commit, post-merge, post-checkout and post-rewrite "
        "hooks keep it filled"
    )
    note = textconv_cache.left_out_note(filled)
    if note:
        console.out(f"  {note.removeprefix('small-git: ')}")


def _server(repo: Path | None, request: InstallRequest, hooks_dir: Path | None) -> int:
    directory = layouts.git_dir(repo) if repo is not None else None
    if request.layout is not None:
        layout, why = layouts.LAYOUTS[request.layout], None
    elif directory is not None and git.is_bare(directory):
        layout, why = layouts.detect(directory)
    else:
        layout, why = layouts.LAYOUTS["plain"], None
    policy_file = Path(request.policy).absolute() if request.policy is not None else None
    if policy_file is not None and not policy_file.is_file():
        raise SmallError(
            f"the policy file {policy_file} does not exist",
            hint="write it first (git config --file FILE small.humanLevel pusher), see docs/server.md",
        )
    report = layouts.install_gate(layout, directory, hooks_dir, policy_file)
    chosen = f"layout {layout.name}" + (f": {why}" if why else "")
    console.out(f"small-git: installed the pre-receive gate in {report.path} ({chosen})")
    if report.chained:
        console.out(f"  the hook that was there runs first ({layouts.HOOK}{installer.PREVIOUS_SUFFIX})")
    where = "each repository's git config small.*" if directory is None else f"git config small.* of {directory}"
    console.out(f"  policy: {where}" + (f", then {policy_file}" if policy_file else "") + " (see docs/server.md)")
    if directory is not None and git.is_bare(directory):
        learnt = learn_branch_tips(directory)
        if learnt:
            console.out(f"  read {learnt} progress log(s) at the branch tips: the first push judges only what it adds")
    console.out("  remove with: git small uninstall" + (f" --hooks-dir {hooks_dir}" if hooks_dir else ""))
    return EXIT_OK
