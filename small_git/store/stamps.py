"""What is on disk where a command writes, cheaply: each file's identity, size and modification time, so that
comparing two readings names the files a command created, replaced, appended to or removed (the `--json`
documents of the writing commands). Nothing is read but directory entries and `lstat`."""

from __future__ import annotations

import os
from pathlib import Path

from small_git.protocol.artifacts import CACHE_DIR, DRAFTS_DIR, SMALL_DIR

# The folders the writing commands write into (apply's own log is named by apply itself), and single files.
_FOLDERS = (SMALL_DIR, DRAFTS_DIR, f"{CACHE_DIR}/torn")
_FILES = (".gitignore",)

Stamp = tuple[int, int, int, int]  # inode, size, mtime in ns, mode


def _stamp(path: Path) -> Stamp | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_mode


def stamps(root: Path) -> dict[str, Stamp]:
    """Every file in the folders the writers write to, by path relative to `root` (posix)."""
    found: dict[str, Stamp] = {}
    for folder in _FOLDERS:
        try:
            names = sorted(entry.name for entry in os.scandir(root / folder))
        except OSError:
            continue
        for name in names:
            stamp = _stamp(root / folder / name)
            if stamp is not None:
                found[f"{folder}/{name}"] = stamp
    for name in _FILES:
        stamp = _stamp(root / name)
        if stamp is not None:
            found[name] = stamp
    return found


def changes(before: dict[str, Stamp], after: dict[str, Stamp]) -> tuple[list[str], list[str]]:
    """(paths created or changed, paths removed), sorted."""
    written = sorted(path for path, stamp in after.items() if before.get(path) != stamp)
    removed = sorted(path for path in before if path not in after)
    return written, removed
