"""A server gate fails closed: a deadline it keeps itself, and a log only the server reads.

The deadline is the hook's own: when judging has not finished in time, the push is refused with a reason
before the forge kills the hook (GitHub Enterprise Server kills it at 5 s, which the pusher sees only as
"pre-receive hook declined"). The watchdog is a thread, so it fires even while the main thread waits on git.
The log gets one line per push and, for an internal error, the traceback; the pusher gets one line.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

MAX_LOG_BYTES = 1 << 20  # then the log moves to <log>.1, replacing the one before


def process_age() -> float:
    """Seconds since this process started (Linux; 0 elsewhere): the forge's clock started before Python's."""
    try:
        with open("/proc/self/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time, in ticks since boot
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


class Watchdog:
    """Calls `fire` once at `at` (a time.monotonic() value) unless cancelled first, then ends the process."""

    def __init__(self, at: float, fire: Callable[[], int]) -> None:
        self._fire = fire
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(max(0.0, at - time.monotonic()), self._run)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> bool:
        """True when the watchdog will not fire (it had not fired yet)."""
        with self._lock:
            if self._done:
                return False
            self._done = True
        self._timer.cancel()
        return True

    def _run(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        code = 1
        try:
            code = self._fire()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 1)  # the main thread may be inside git: end now; the push is refused either way


class ServerLog:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def write(self, text: str) -> None:
        """Append `text` (with a timestamp); a log that cannot be written never changes the verdict."""
        if self.path is None:
            return
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = "".join(f"{stamp} {line}\n" for line in text.rstrip("\n").splitlines())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_file() and self.path.stat().st_size > MAX_LOG_BYTES:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, body.encode("utf-8", "replace"))
            finally:
                os.close(fd)
        except OSError:
            pass
