"""git small completion bash|zsh|fish: print the shell's completion script (the CLI layer builds it)."""

from __future__ import annotations

from dataclasses import dataclass

from small_git.errors import EXIT_OK
from small_git.report import console


@dataclass(frozen=True)
class CompletionRequest:
    script: str  # the script for the chosen shell


def run(request: CompletionRequest) -> int:
    console.write(request.script)
    return EXIT_OK
