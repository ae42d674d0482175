"""What the audit engine needs to know about where it runs, and what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from small_git.protocol.findings import ERROR, Finding

LOCAL_STAGES = ("pre-commit", "pre-merge-commit", "commit-msg")


@dataclass
class AuditContext:
    repo: Path
    stage: str = "audit"  # pre-commit | pre-merge-commit | commit-msg | pre-push | pre-receive | audit
    env: Mapping[str, str] | None = None  # the committing process's environment (local hooks only)
    label: str = "the staged commit"
    judge_validity: bool = True  # refuse a commit that adds findings `check` would report

    @property
    def local(self) -> bool:
        return self.stage in LOCAL_STAGES


@dataclass
class AuditResult:
    commits: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.severity == ERROR for f in self.findings) else 0


def restore_hint(ctx: AuditContext, path: str, what: str) -> str:
    if ctx.local:
        return f"{what}: git checkout HEAD -- {path}, then commit again"
    return (
        f"{what} in that commit: rewrite the unpushed commits (git rebase -i <base>) so every commit "
        "keeps the log append-only, then push again"
    )
