"""git small completion bash|zsh|fish: print the shell's completion script (the CLI layer builds it)."""

from __future__ import annotations

import sys

from small_git.errors import EXIT_OK


def run(script: str) -> int:
    sys.stdout.write(script)
    return EXIT_OK
