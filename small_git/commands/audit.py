"""git small audit [<range>]: every commit of a range judged by the gates' engine (CI and servers)."""

from __future__ import annotations

import sys
from pathlib import Path

from small_git.gates.audit import audit_revisions, range_args
from small_git.git.plumbing import top_level
from small_git.report import json_report
from small_git.report.text import format_finding, plural


def run(rev_range: str | None = None, as_json: bool = False, directory: str | None = None) -> int:
    cwd = Path(directory or ".").absolute()
    repo = top_level(cwd) or cwd
    args, tips = range_args(repo, rev_range)
    result = audit_revisions(repo, args, stage="audit", tips=tips)
    if as_json:
        document = {
            "command": "audit",
            "range": rev_range or "HEAD",
            "commits": len(result.commits),
            "exit_code": result.exit_code,
            "findings": [f.to_dict() for f in result.findings],
        }
        json_report.emit(document)
        return result.exit_code
    for finding in result.findings:
        print(format_finding(finding), file=sys.stderr)
    checked = plural(len(result.commits), "commit")
    if result.exit_code:
        print(f"audit failed: {plural(len(result.findings), 'finding')} in {checked}", file=sys.stderr)
    else:
        print(f"audit passed: {checked} checked ({rev_range or 'HEAD'})")
    return result.exit_code
