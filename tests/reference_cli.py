"""The Go reference CLI for side-by-side tests: `SMALL_REF`, or ../shared/reference/bin/small-ref from the
project's root. It is never a dependency of small-git: tests that need it skip, saying why, where it is absent.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def reference_binary() -> Path | None:
    configured = os.environ.get("SMALL_REF")
    candidate = Path(configured) if configured else PROJECT.parent / "shared" / "reference" / "bin" / "small-ref"
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


REFERENCE = reference_binary()
needs_reference = pytest.mark.skipif(
    REFERENCE is None,
    reason="the reference CLI is absent (set SMALL_REF, or put it at ../shared/reference/bin/small-ref)",
)


def run_reference(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    assert REFERENCE is not None, "guard the test with @needs_reference"
    return subprocess.run(
        [str(REFERENCE), *args],
        cwd=cwd,
        env={**os.environ, **(env or {}), "SMALL_NO_UPDATE_CHECK": "1", "NO_COLOR": "1", "CI": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
