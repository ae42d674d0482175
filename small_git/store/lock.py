"""One lock per workspace: every writer of `.small/` takes it before opening any file for change."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import CACHE_DIR

LOCK_NAME = "lock"
_POLL_SECONDS = 0.005
_MAX_POLL_SECONDS = 0.05


def lock_path(root: Path) -> Path:
    return root / CACHE_DIR / LOCK_NAME


@contextmanager
def workspace_lock(root: Path, timeout: float = 30.0) -> Iterator[None]:
    """Exclusive lock for all writers of the workspace at root (fcntl.flock on root/.small-cache/lock,
    creating .small-cache/ if needed). Not re-entrant within one process. Timeout -> SmallError exit 2."""
    path = lock_path(root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise SmallError(
            f"cannot open the workspace lock {path}: {exc.strerror}",
            exit_code=EXIT_USAGE,
            hint=f"make {path.parent} writable",
        ) from None
    try:
        _acquire(fd, path, timeout)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = _POLL_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise SmallError(f"cannot lock {path}: {exc.strerror}", exit_code=EXIT_USAGE) from None
        if time.monotonic() >= deadline:
            raise SmallError(
                f"another small-git process has held the workspace lock {path} for over {timeout:g}s",
                exit_code=EXIT_USAGE,
                hint="wait for it to finish, or find it with: fuser " + str(path),
            )
        time.sleep(delay)
        delay = min(delay * 2, _MAX_POLL_SECONDS)
