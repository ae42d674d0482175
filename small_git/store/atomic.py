"""Atomic whole-file writes: a reader sees the old file or the new one, never a mix, even after a crash."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError

TEMP_MARKER = ".tmp-"


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMP_MARKER}{os.getpid()}-{secrets.token_hex(4)}")


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same directory, write, fsync, rename over path, fsync the directory."""
    mode = 0o644
    with contextlib.suppress(OSError):  # absent, or a symlink that loops or dangles: it is replaced anyway
        mode = stat.S_IMODE(os.stat(path).st_mode)
    temp = temp_name(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    except OSError as exc:
        raise SmallError(f"cannot write {path}: {exc.strerror}", exit_code=EXIT_USAGE) from None
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise SmallError(f"cannot write {path}: {exc.strerror}", exit_code=EXIT_USAGE) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_directory(path.parent)


def write_cache_file(path: Path, data: bytes) -> bool:
    """Replace a cache file (its folder made as needed) so that a reader sees the old bytes or the new ones,
    without fsync: a cache lost in a crash is only learnt again. False when it cannot be written (a read-only
    git directory, say); a cache never fails a command."""
    temp = temp_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temp, "xb") as out:
            out.write(data)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return False
    return True


def fsync_directory(directory: Path) -> None:
    """Make a rename durable. Some file systems cannot fsync a directory; that is not an error."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def is_temp_file(name: str) -> bool:
    """A temporary file atomic_write leaves behind only when its process died mid-write."""
    return name.startswith(".") and TEMP_MARKER in name
