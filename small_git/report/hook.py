"""What a gate says when it runs as a git hook: notes, then the verdict and every finding, on stderr."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from small_git.protocol.findings import ERROR, Finding
from small_git.report.text import format_finding, plural

BYPASS_NOTE = "see: git small help gates; bypassing with --no-verify only moves the refusal to git push"


def render_hook_outcome(hook: str, findings: Sequence[Finding], notes: Sequence[str] = ()) -> str:
    """The text a hook prints (empty when it has nothing to say)."""
    lines = list(notes)
    if findings:
        errors = [f for f in findings if f.severity == ERROR]
        verdict = "refused" if errors else "warnings"
        lines.append(f"small-git {hook}: {verdict} ({plural(len(findings), 'finding')})")
        lines += ["  " + format_finding(f).replace("\n", "\n  ") for f in findings]
        if errors:
            lines.append(f"  {BYPASS_NOTE}")
    return "".join(line + "\n" for line in lines)


def print_hook_outcome(
    hook: str, findings: Sequence[Finding], notes: Sequence[str] = (), stream: TextIO | None = None
) -> None:
    (stream or sys.stderr).write(render_hook_outcome(hook, findings, notes))
