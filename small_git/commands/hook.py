"""git small hook <name>: what the installed hooks (and the pre-commit framework) run."""

from __future__ import annotations

import os
import sys

from small_git.integration.deferral import left_to_commit_msg


class HookRequest:
    """The git hook (pre-commit, pre-merge-commit, commit-msg, post-rewrite, pre-push, ...) and what git
    passed it. A plain class: a hook that returns at once must not pay for `dataclasses`."""

    __slots__ = ("name", "args")

    def __init__(self, name: str, args: tuple[str, ...] = ()) -> None:
        self.name = name
        self.args = args


def run(request: HookRequest) -> int:
    name, args = request.name, request.args
    if left_to_commit_msg(name, os.environ):
        return 0
    from pathlib import Path

    from small_git.git.plumbing import top_level
    from small_git.integration.hook_names import STDIN_HOOKS
    from small_git.integration.hooks import run_hook
    from small_git.report.hook import print_hook_outcome

    cwd = Path.cwd()
    repo = top_level(cwd) or cwd  # git runs hooks at the top of the work tree; a bare repository has none
    stdin_text = sys.stdin.read() if name in STDIN_HOOKS and not sys.stdin.isatty() else None
    outcome = run_hook(name, args, repo, stdin_text, os.environ)
    print_hook_outcome(outcome.hook, outcome.findings, outcome.notes)
    return outcome.exit_code
