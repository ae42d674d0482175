"""Human-readable findings: where, what, how to fix."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from small_git.protocol.findings import Finding

if TYPE_CHECKING:  # the colours are imported where findings are printed: `check` of a valid workspace has none
    from small_git.report.colour import Palette


def format_finding(finding: Finding, *, with_hint: bool = True, colours: Palette | None = None) -> str:
    """`file:line: [rule] message` and the fix; with colours (a terminal), the rule tag by severity."""
    if colours is None:
        from small_git.report.colour import PLAIN

        colours = PLAIN
    tag = f"{finding.rule}" + (f", {finding.deviation}" if finding.deviation else "")
    level = "" if finding.severity == "error" else colours.severity(finding.severity, f"{finding.severity}:") + " "
    text = (
        f"{level}{colours.bold(finding.location)}: {colours.severity(finding.severity, f'[{tag}]')} {finding.message}"
    )
    if with_hint and finding.hint:
        text += f"\n    {colours.dim('fix:')} {finding.hint}"
    return text


def print_findings(findings: Iterable[Finding], stream: TextIO | None = None, *, with_hint: bool = True) -> None:
    from small_git.report.colour import palette

    out = stream or sys.stderr
    colours = palette(out)
    for finding in findings:
        print(format_finding(finding, with_hint=with_hint, colours=colours), file=out)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path relative to the working directory when it lies below it (stable, short output). The path is
    absolute and written as pathlib writes it; the comparison is pathlib's `relative_to`, on strings."""
    text = os.fspath(path)
    cwd = os.getcwd()
    if text == cwd:
        return "."
    if text.startswith("//") and not cwd.startswith("//"):  # POSIX's "//" root is not "/"
        return text
    below = cwd if cwd.endswith("/") else cwd + "/"
    return text[len(below) :] if text.startswith(below) else text
