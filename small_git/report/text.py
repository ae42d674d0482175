"""Human-readable findings: where, what, how to fix."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from small_git.protocol.findings import Finding


def format_finding(finding: Finding, *, with_hint: bool = True) -> str:
    tag = f"{finding.rule}" + (f", {finding.deviation}" if finding.deviation else "")
    level = "" if finding.severity == "error" else f"{finding.severity}: "
    text = f"{level}{finding.location}: [{tag}] {finding.message}"
    if with_hint and finding.hint:
        text += f"\n    fix: {finding.hint}"
    return text


def print_findings(findings: Iterable[Finding], stream: TextIO | None = None, *, with_hint: bool = True) -> None:
    out = stream or sys.stderr
    for finding in findings:
        print(format_finding(finding, with_hint=with_hint), file=out)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def shown_path(path: Path) -> str:
    """A path relative to the working directory when it lies below it (stable, short output)."""
    try:
        relative = path.relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return str(relative) or "."
