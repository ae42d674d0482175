"""The pre-receive gate: every ref update of a push, judged by the engine inside git's quarantine.

git runs pre-receive after the pushed objects arrived (in a quarantine folder that becomes part of the
repository only if the push is accepted) and before any ref moves; its input is one `<old> <new> <ref>` line
per ref, all-zero ids meaning "created" or "deleted". Non-zero exit refuses the whole push. The gate only
reads: it writes no ref, note or object, and tells the engine not to write its cache (the quarantine's blobs
vanish when the push is refused).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gates.audit import audit_revisions
from small_git.gates.context import AuditContext, AuditResult
from small_git.git import plumbing as git
from small_git.integration.hooks import force_push_findings
from small_git.integration.server.policy import ServerPolicy
from small_git.protocol.findings import ERROR, Finding

RULE_INPUT = "receive-input"
RULE_PROTECTED_DELETED = "protected-ref-deleted"
_LINE = re.compile(r"([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (\S+)")


@dataclass(frozen=True)
class RefUpdate:  # the engine's gates/refupdate.RefUpdate, until it lands
    ref: str
    old: str | None  # None: the ref is created
    new: str | None  # None: the ref is deleted


@dataclass
class RefVerdict:
    update: RefUpdate
    findings: list[Finding] = field(default_factory=list)
    judged: bool = True  # False: the policy does not judge this ref
    timed_out: bool = False  # not (fully) judged before the deadline: refused

    @property
    def refused(self) -> bool:
        return self.timed_out or any(f.severity == ERROR for f in self.findings)


@dataclass
class ReceiveOutcome:
    verdicts: list[RefVerdict] = field(default_factory=list)
    pusher: str | None = None

    @property
    def refused(self) -> bool:
        return any(v.refused for v in self.verdicts)

    @property
    def timed_out(self) -> bool:
        return any(v.timed_out for v in self.verdicts)

    @property
    def exit_code(self) -> int:
        return 1 if self.refused else 0


def parse_updates(text: str) -> list[RefUpdate]:
    """git's pre-receive input. Anything else is refused: a gate that cannot read its input judges nothing."""
    updates = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line.strip())
        if match is None or len(match.group(1)) != len(match.group(2)):
            raise SmallError(
                f"line {number} of the pre-receive input is not '<old> <new> <ref>': {line[:120]!r}",
                exit_code=EXIT_USAGE,
                rule=RULE_INPUT,
                hint="git runs this hook with that input; to try it by hand: "
                'echo "$OLD $NEW refs/heads/main" | git small hook pre-receive',
            )
        old, new, ref = match.groups()
        updates.append(RefUpdate(ref, None if git.is_zero_sha(old) else old, None if git.is_zero_sha(new) else new))
    return updates


def judge_push(
    repo: Path,
    updates: Sequence[RefUpdate],
    policy: ServerPolicy,
    env: Mapping[str, str],
    deadline: float | None,
) -> ReceiveOutcome:
    """Judge every update in input order; once the deadline has passed, the rest are refused unjudged."""
    outcome = ReceiveOutcome(pusher=policy.pusher(env))
    for update in updates:
        verdict = RefVerdict(update)
        outcome.verdicts.append(verdict)
        if not policy.judges(update.ref):
            verdict.judged = False
            continue
        if deadline is not None and time.monotonic() > deadline:
            verdict.timed_out = True
            continue
        context = AuditContext(repo, stage="pre-receive", env=None, label=update.ref)
        verdict.findings = judge_update(repo, update, context, policy).findings
    return outcome


def judge_update(repo: Path, update: RefUpdate, context: AuditContext, policy: ServerPolicy) -> AuditResult:
    """One ref update, through today's engine: the commits it brings, the old tip's entries on a non-fast-
    forward, and deletion of a protected ref."""
    if update.new is None:
        result = AuditResult()
        if update.old is not None and policy.protects(update.ref):
            result.findings.append(_deleted(update.ref))
        return result
    new = git.rev_parse(f"{update.new}^{{commit}}", repo)
    if new is None:
        return AuditResult()  # a tag of a tree or blob: no commits, no workspace history
    old = git.rev_parse(f"{update.old}^{{commit}}", repo) if update.old is not None else None
    exclude = [f"^{old}"] if old is not None else []
    known = policy.known(repo)
    rev_args = [new, *exclude, *(["--not", *known] if known else [])]
    result = audit_revisions(repo, rev_args, stage="pre-receive", tips=[new])
    if old is not None and not git.is_ancestor(old, new, repo):
        result.findings += force_push_findings(repo, old, new, update.ref)
    return result


def _deleted(ref: str) -> Finding:
    return Finding(
        RULE_PROTECTED_DELETED,
        ref,
        f"deleting {ref} is refused: the server's policy protects it",
        hint="push a new commit instead (the server's protected refs: git config small.protectedRef)",
        stage="git",
    )
