"""Colour on a terminal, and only there.

Colour is on when the stream it goes to is a terminal, and off when it is not (a pipe, a file, `git small …
| less` without `-R`), when `NO_COLOR` is set to anything but the empty string (https://no-color.org), when
`TERM=dumb`, or when the command line says `--no-color` (the reference CLI's flag). Everything that prints
findings, status or history asks `palette(stream)` and writes plain text when colour is off: the words never
depend on the colour.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

_RESET = "\033[0m"
_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
# What each status and severity looks like, wherever it is printed.
STATUS_COLOURS = {
    "completed": "green",
    "in_progress": "yellow",
    "blocked": "red",
    "cancelled": "dim",
    "pending": "blue",
}
SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "notice": "cyan"}


def wanted(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


class Palette:
    """Colour on or off, and the styles. Immutable; a plain class, as a dataclass costs more to define than a
    command that prints nothing in colour spends here."""

    __slots__ = ("enabled",)
    enabled: bool

    def __init__(self, enabled: bool) -> None:
        object.__setattr__(self, "enabled", enabled)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        return self.enabled == other.enabled if isinstance(other, Palette) else NotImplemented

    def __hash__(self) -> int:
        return hash((self.enabled,))

    def __repr__(self) -> str:
        return f"Palette(enabled={self.enabled!r})"

    def paint(self, text: str, *styles: str) -> str:
        codes = [_CODES[s] for s in styles if s in _CODES]
        if not self.enabled or not codes or not text:
            return text
        return f"\033[{';'.join(codes)}m{text}{_RESET}"

    def status(self, status: str, text: str | None = None) -> str:
        return self.paint(text if text is not None else status, STATUS_COLOURS.get(status, ""))

    def severity(self, severity: str, text: str) -> str:
        return self.paint(text, SEVERITY_COLOURS.get(severity, ""), "bold" if severity == "error" else "")

    def commit(self, text: str) -> str:
        return self.paint(text, "yellow")

    def good(self, text: str) -> str:
        return self.paint(text, "green")

    def bad(self, text: str) -> str:
        return self.paint(text, "red", "bold")

    def dim(self, text: str) -> str:
        return self.paint(text, "dim")

    def bold(self, text: str) -> str:
        return self.paint(text, "bold")


PLAIN = Palette(False)


def palette(stream: TextIO | None = None) -> Palette:
    """The palette for text written to `stream` (standard output by default)."""
    return Palette(wanted(stream if stream is not None else sys.stdout))


def error_palette() -> Palette:
    """The palette for diagnostics (standard error)."""
    return Palette(wanted(sys.stderr))
