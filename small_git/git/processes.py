"""Which git command started us. Git tells hooks and drivers nothing about `--amend` or about replaying
commits, so the gates look at the git processes above them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


def git_ancestors(levels: int = 8) -> Iterator[list[str]]:
    """The argv of each `git` process above this one, nearest first (the pre-commit framework adds levels)."""
    pid = os.getppid()
    for _ in range(levels):
        info = _process(pid)
        if info is None:
            return
        argv, parent = info
        if argv and Path(argv[0]).name in ("git", "git.exe"):
            yield argv
        if parent <= 1 or parent == pid:
            return
        pid = parent


def _process(pid: int) -> tuple[list[str], int] | None:
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            argv = [a.decode("utf-8", "replace") for a in (proc / "cmdline").read_bytes().split(b"\0") if a]
            stat = (proc / "stat").read_text()
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return argv, parent
    try:  # macOS and other systems without /proc
        out = subprocess.run(
            ["ps", "-o", "ppid=", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return None
    if not out:
        return None
    parent_text, _, args_text = out.partition(" ")
    try:
        return args_text.split(), int(parent_text)
    except ValueError:
        return None
