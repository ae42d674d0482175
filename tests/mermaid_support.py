"""Mermaid's own parser, for tests (no tests here): tests/mermaid/check.mjs with the npm packages that
scripts/setup-node.sh installs from tests/mermaid/package-lock.json. Skips with the reason where node or the
packages are absent."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

CHECKER = Path(__file__).parent / "mermaid" / "check.mjs"
INSTALLED = Path(__file__).parent / "mermaid" / "node_modules" / "mermaid"


def parse_all(diagrams: Sequence[str]) -> list[dict[str, Any]]:
    """What Mermaid understood of each diagram: `ok`, `vertices`, `edges`, `classes`, `links` (or `error`)."""
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: the Mermaid grammar is checked with Mermaid's own parser (npm)")
    if not INSTALLED.is_dir():
        pytest.skip("the Mermaid parser is not installed: run bash scripts/setup-node.sh (needs npm)")
    proc = subprocess.run(
        ["node", str(CHECKER)], input=json.dumps(list(diagrams)), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return results


def label(vertex: dict[str, Any]) -> str:
    """A node's label as Mermaid shows it (the parser keeps entity codes encoded until it renders)."""
    text = re.sub(r"ﬂ°°(\d+)¶ß", lambda m: chr(int(m.group(1))), vertex["text"])
    text = re.sub(r"ﬂ°(\w+)¶ß", lambda m: html.unescape(f"&{m.group(1)};"), text)
    return text.replace("<br>", "\n")
