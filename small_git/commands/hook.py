"""git small hook <name>: what the installed hooks (and the pre-commit framework) run."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from small_git.git.plumbing import top_level
from small_git.integration.hooks import STDIN_HOOKS, report, run_hook


def run(name: str, args: Sequence[str]) -> int:
    cwd = Path.cwd()
    repo = top_level(cwd) or cwd  # git runs hooks at the top of the work tree; a bare repository has none
    stdin_text = sys.stdin.read() if name in STDIN_HOOKS and not sys.stdin.isatty() else None
    outcome = run_hook(name, args, repo, stdin_text, os.environ)
    report(outcome)
    return outcome.exit_code
