"""Seeing writes outside a test's temporary directories: in this checkout, and in the home directory of the
person running the tests (every test runs with a private HOME, so anything new there came from a path that
escaped it).

What is watched is which files and folders exist, not their contents: a stray write creates something (a
cache, a build folder, an output file), while contents change under a running suite for good reasons (the
developer saves a file, another program updates ~/.gitconfig)."""

from __future__ import annotations

import os
from pathlib import Path

from .paths import PROJECT

# What the tools around the tests write into the checkout themselves: interpreters, linters, coverage data.
_NOT_WATCHED = frozenset(
    {".git", ".venv", ".venv-newest", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)

# What the setup scripts install into the checkout (npm's packages for the Mermaid test): seen, not descended
# into. Listing its 11,000 entries took 75 ms, after every test.
_NOT_DESCENDED = frozenset({"node_modules"})

Snapshot = set[str]


def _entries(folder: Path, recursive: bool, into: Snapshot) -> None:
    try:
        listing = os.scandir(folder)
    except OSError:
        return
    with listing:
        for item in listing:
            if item.name in _NOT_WATCHED or item.name.startswith(".coverage"):
                continue
            into.add(item.path)
            if recursive and item.name not in _NOT_DESCENDED and item.is_dir(follow_symlinks=False):
                _entries(Path(item.path), True, into)


class WriteWatch:
    """What exists in the checkout (everything) and in the real home directory (its top level and the folders
    git, pre-commit and ssh write to), to compare before and after each test."""

    def __init__(self, home: Path, checkout: Path = PROJECT) -> None:
        self.home, self.checkout = home, checkout

    def snapshot(self) -> Snapshot:
        seen: Snapshot = set()
        _entries(self.checkout, True, seen)
        for folder in (self.home, self.home / ".config", self.home / ".cache", self.home / ".ssh"):
            if folder.resolve() != self.checkout:
                _entries(folder, False, seen)
        return seen


def describe(before: Snapshot, after: Snapshot) -> list[str]:
    return [f"created {p}" for p in sorted(after - before)] + [f"removed {p}" for p in sorted(before - after)]
