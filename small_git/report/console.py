"""Where a command's words go: results on stdout, diagnostics (warnings, progress, refusals) on stderr.

Commands decide what to say; this module is the one place that writes it, so every command writes its
streams the same way.
"""

from __future__ import annotations

import sys


def out(text: str = "") -> None:
    """A line of the command's result, on stdout."""
    print(text)


def err(text: str = "") -> None:
    """A line of diagnostics, on stderr."""
    print(text, file=sys.stderr)


def warn(message: str) -> None:
    err(f"warning: {message}")
