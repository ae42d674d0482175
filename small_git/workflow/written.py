"""What one writing command wrote, for its `--json` document: the files it created, replaced, appended to or
removed (found by comparing the workspace's files before and after it ran), the progress entries it appended,
the lines it would have printed, and facts of its own. Prints nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from small_git.store.stamps import Stamp, changes, stamps


@dataclass
class Written:
    root: Path | None = None
    before: dict[str, Stamp] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    extra_paths: list[str] = field(default_factory=list)  # written outside the folders stamps() reads

    def start(self, root: Path) -> None:
        """Called before the command writes anything in `root`."""
        self.root = root
        self.before = stamps(root)

    def paths(self) -> tuple[list[str], list[str]]:
        """(paths written, paths removed), relative to the workspace root."""
        if self.root is None:
            return [], []
        written, removed = changes(self.before, stamps(self.root))
        return sorted(set(written) | set(self.extra_paths)), removed
