"""Progress of a long walk over history, on standard error, when standard error is a terminal.

A run that ends quickly shows nothing: the line appears once the walk has taken `SMALL_PROGRESS_DELAY`
seconds (default 0.5), is redrawn at most ten times a second, and is erased when the walk ends, so what the
command prints afterwards stands alone. Nothing is written to a pipe or a file, and standard output is never
touched: `--json` and `--format markdown` stay clean.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

DEFAULT_DELAY = 0.5
_REDRAW = 0.1


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get("SMALL_PROGRESS_DELAY", DEFAULT_DELAY)))
    except ValueError:
        return DEFAULT_DELAY


class Progress:
    """`progress(done, total)` as the walk goes; `close()` when it ends (also on an error)."""

    def __init__(self, label: str, stream: TextIO | None = None, unit: str = "commits") -> None:
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.active = self.stream.isatty()
        except (AttributeError, ValueError):
            self.active = False
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.shown = False
        self.delay = _delay()

    def __call__(self, done: int, total: int) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if now - self.started < self.delay or (self.shown and now - self.drawn_at < _REDRAW and done < total):
            return
        self.stream.write(f"\r\033[K{self.label}: {done}/{total} {self.unit}")
        self.stream.flush()
        self.shown, self.drawn_at = True, now

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> Callable[[int, int], None]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
