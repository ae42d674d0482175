"""Where things are: this checkout, the installed console scripts, and the reference data beside the project.

The reference data (the conformance corpus, the Go reference CLI) lives outside the project and is never a
dependency of small-git. Each is found through its environment variable, else at `../shared/...` beside the
project root; tests that need it skip with a reason when it is absent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # where this interpreter's `small` and `git-small` are installed
GOLDEN = PROJECT / "tests" / "golden"  # expected outputs, rewritten with SMALL_UPDATE_GOLDEN=1
SHARED = PROJECT.parent / "shared"
CONFORMANCE = Path(os.environ.get("SMALL_CONFORMANCE_DIR") or SHARED / "conformance")
REFERENCE_CLI = Path(os.environ.get("SMALL_REF") or SHARED / "reference" / "bin" / "small-ref")
HAVE_REFERENCE_CLI = REFERENCE_CLI.is_file() and os.access(REFERENCE_CLI, os.X_OK)

needs_conformance = pytest.mark.skipif(
    not (CONFORMANCE / "cases").is_dir(),
    reason=f"conformance corpus not found at {CONFORMANCE} (set SMALL_CONFORMANCE_DIR)",
)
needs_reference = pytest.mark.skipif(
    not HAVE_REFERENCE_CLI, reason=f"the reference CLI is not at {REFERENCE_CLI} (set SMALL_REF)"
)
