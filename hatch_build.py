"""Build hook: the manual pages, generated from the command line (small_git/cli/manpages.py) when the wheel is
built, installed into `share/man/man1` of the environment (the wheel's data), where `man` finds them beside
the scripts and `git small --help` opens git-small(1)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ManPages(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        self._scratch = Path(tempfile.mkdtemp(prefix="small-git-man-"))
        sys.path.insert(0, self.root)
        try:
            from small_git.cli.manpages import write_pages

            pages = write_pages(self._scratch, self.metadata.version)
        finally:
            sys.path.remove(self.root)
        for page in pages:
            build_data["shared_data"][str(page)] = f"share/man/man1/{page.name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
