"""The pre-receive gate: every ref update of a push, judged by the engine inside git's quarantine.

git runs pre-receive after the pushed objects arrived (in a quarantine folder that becomes part of the
repository only if the push is accepted) and before any ref moves; its input is one `<old> <new> <ref>` line
per ref, all-zero ids meaning "created" or "deleted". Non-zero exit refuses the whole push. The gate only
reads: it writes no ref, note or object. Each update goes to the engine's `judge_ref_update` with the
server's policy, the pushing account and the deadline in its context.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gates.context import RULE_DEADLINE, AuditContext, AuditResult
from small_git.gates.refupdate import RefUpdate, judge_ref_update, ref_update
from small_git.integration.server.policy import ServerPolicy
from small_git.protocol.findings import ERROR, Finding

RULE_INPUT = "receive-input"
_LINE = re.compile(r"([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (\S+)")
# The repository lacks history the judgement needs (a push from a shallow clone the server accepted): the
# engine's "fetch it first (...)" then says where the history has to come from.
MISSING_HINT = "the server needs it too: push from a clone that has the whole history, git fetch --unshallow"


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
        updates.append(ref_update(ref, old, new))
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
    contexts: list[AuditContext] = []
    for update in updates:
        verdict = RefVerdict(update)
        outcome.verdicts.append(verdict)
        if not policy.judges(update.ref):
            verdict.judged = False
            continue
        if deadline is not None and time.monotonic() > deadline:
            verdict.timed_out = True
            continue
        context = AuditContext(
            repo,
            stage="pre-receive",
            label=update.ref,
            known=policy.known(repo),
            pusher=outcome.pusher,
            deadline=deadline,
            policy=policy.authority,
            fetch_hint=MISSING_HINT,
            quarantined=True,
        )
        result = judge_update(repo, update, context, policy)
        verdict.findings = [f for f in result.findings if f.rule != RULE_DEADLINE]
        verdict.timed_out = len(verdict.findings) < len(result.findings)
        contexts.append(context)
    if outcome.exit_code == 0:  # the objects stay: what was learnt of their logs serves the next push
        for context in contexts:
            if context.facts is not None:
                context.facts.keep()
    return outcome


def judge_update(repo: Path, update: RefUpdate, context: AuditContext, policy: ServerPolicy) -> AuditResult:
    """One ref update, judged by the engine; the server's protected refs are never deleted."""
    return judge_ref_update(repo, update, context, protected=policy.protects)
