"""Where a command's words go: results on stdout, diagnostics (warnings, progress, refusals) on stderr.

Commands decide what to say; this module is the one place that writes it, so every command writes its
streams the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

TYPE_CHECKING = False  # not `typing`: the diff driver (one process per blob) would import it for nothing
if TYPE_CHECKING:
    from typing import BinaryIO


def out(text: str = "") -> None:
    """A line of the command's result, on stdout."""
    print(text)


def err(text: str = "") -> None:
    """A line of diagnostics, on stderr."""
    print(text, file=sys.stderr)


def warn(message: str) -> None:
    err(f"warning: {message}")


def write(text: str) -> None:
    """Text on stdout exactly as given (a composed file, a diff)."""
    sys.stdout.write(text)


def write_lines(lines: Iterable[str]) -> None:
    sys.stdout.writelines(lines)


def write_bytes(data: bytes) -> None:
    """Bytes on stdout exactly as given (a rendering git diffs)."""
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def err_bytes(data: bytes) -> None:
    sys.stderr.buffer.write(data)


def binary_streams() -> tuple[BinaryIO, BinaryIO]:
    """(stdout, stderr) as byte streams, for passing a child process's output through as it comes."""
    return sys.stdout.buffer, sys.stderr.buffer
