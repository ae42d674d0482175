"""What the audit engine needs to know about where it runs, and what it returns."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from small_git.protocol.findings import ERROR, Finding

if TYPE_CHECKING:
    from small_git.gates.authority import Policy
    from small_git.gates.facts import FactsCache

LOCAL_STAGES = ("pre-commit", "pre-merge-commit", "commit-msg")  # a commit being made: no id, no signature
COMMIT_STAGES = ("pre-push", "pre-receive", "audit")  # commits that exist
RULE_DEADLINE = "audit-deadline"


@dataclass
class AuditContext:
    repo: Path
    stage: str = "audit"  # pre-commit | pre-merge-commit | commit-msg | pre-push | pre-receive | audit
    env: Mapping[str, str] | None = None  # the committing process's environment (local hooks only)
    label: str = "the staged commit"
    judge_validity: bool = True  # refuse a commit that adds findings `check` would report
    # Revision arguments (for `git rev-list --not ...`) naming history already judged, whose commits a ref
    # update does not judge again: `--remotes=origin` at pre-push, `--all` at pre-receive. Empty: judge
    # every commit the new tip has that the old tip lacks (a creation: its whole history).
    known: tuple[str, ...] = ()
    pusher: str | None = None  # the pushing account, when the server knows it (`pusher` level)
    deadline: float | None = None  # a time.monotonic() value after which the judgement stops and refuses
    policy: Policy | None = None  # the authority policy; None: read from the judging repository's git config
    fetch_hint: str | None = None  # what to run when history is missing (`git fetch origin`)
    # pre-receive judges inside git's quarantine: the objects the push brought vanish if it is refused, so the
    # engine writes nothing derived from them (its per-blob cache may keep facts of objects already stored)
    quarantined: bool = False
    progress: Callable[[int, int], None] | None = None  # told (commits judged, commits to judge) as the walk goes
    # the append fast path (gates/fastpath.py): off only to compare it with the full judgement
    fast_path: bool = True
    facts: FactsCache | None = None  # what is known of the logs already read (gates/facts.py), made when needed

    @property
    def local(self) -> bool:
        return self.stage in LOCAL_STAGES

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


@dataclass
class AuditResult:
    commits: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Objects the judgement needed but this repository lacks (a shallow clone, an unfetched remote tip):
    # the answer is "cannot judge", never a pass.
    missing: list[str] = field(default_factory=list)
    forced: bool = False  # the update is not a fast-forward (a force push or a rewind)
    touched: list[str] = field(default_factory=list)  # prefixes of the workspaces the judged commits change
    # (entry, field, digest) of the redactions the judged commits made and the gates accepted
    redactions: set[tuple[int, str, str]] = field(default_factory=set)

    @property
    def exit_code(self) -> int:
        if self.missing:
            return EXIT_USAGE
        return EXIT_INVALID if any(f.severity == ERROR for f in self.findings) else EXIT_OK

    def extend(self, other: AuditResult) -> None:
        seen = set(self.commits)
        self.commits += [c for c in other.commits if c not in seen]
        self.findings += other.findings
        self.missing += other.missing
        self.forced = self.forced or other.forced
        self.touched = sorted(set(self.touched) | set(other.touched))
        self.redactions |= other.redactions


def restore_hint(ctx: AuditContext, path: str, what: str) -> str:
    if ctx.local:
        return f"{what}: git checkout HEAD -- {path}, then commit again"
    return (
        f"{what} in that commit: rewrite the unpushed commits (git rebase -i <base>) so every commit "
        "keeps the log append-only, then push again"
    )


def deadline_finding(ctx: AuditContext, ref: str) -> Finding:
    return Finding(
        RULE_DEADLINE,
        ref,
        f"too much to judge in time for {ref}: the update was not fully judged, so it is refused",
        hint="push in smaller parts, or raise small.timeout",
        stage="git",
    )
