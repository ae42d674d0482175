"""What the pusher reads: git shows every line of the hook's output prefixed with `remote: `.

A refusal is one block per finding (ref, commit, file:line, rule, fix) and a summary line; under GitLab every
line of a refusal starts with `GL-HOOK-ERR: `, the prefix GitLab's UI shows. An accepted push gets one line.
"""

from __future__ import annotations

from collections.abc import Mapping

from small_git.integration.server.layouts import GITLAB_PREFIX
from small_git.integration.server.receive import ReceiveOutcome, RefVerdict
from small_git.protocol.findings import ERROR, Finding
from small_git.report.text import plural

TOO_SLOW = "too much to judge in time: push in smaller parts, or raise small.timeout"
HELP = "what each rule means: docs/git-gates.md of small-git; the server's policy: ask its admin (docs/server.md)"
GITLAB_VARIABLES = ("GL_ID", "GL_REPOSITORY", "GL_USERNAME", "GL_PROTOCOL")  # set by GitLab for every hook


def prefix_for(env: Mapping[str, str]) -> str:
    return GITLAB_PREFIX if any(env.get(name) for name in GITLAB_VARIABLES) else ""


def render(outcome: ReceiveOutcome, seconds: float) -> list[str]:
    if not outcome.refused:
        judged = [v for v in outcome.verdicts if v.judged]
        warned = [line for v in outcome.verdicts if v.findings for line in _warning_lines(v)]
        return warned + [f"small-git: accepted ({plural(len(judged), 'ref update')} judged in {seconds:.1f} s)"]
    lines: list[str] = []
    for verdict in outcome.verdicts:
        lines += _verdict_lines(verdict)
    lines.append(_summary(outcome))
    lines.append(f"    {HELP}")
    return lines


def _verdict_lines(verdict: RefVerdict) -> list[str]:
    errors = [f for f in verdict.findings if f.severity == ERROR]
    ref = verdict.update.ref
    lines = []
    if errors:
        lines.append(f"small-git: {ref}: refused ({plural(len(errors), 'finding')})")
        for finding in verdict.findings:
            lines += finding_block(finding)
    if verdict.timed_out:
        lines.append(f"small-git: {ref}: not judged: {TOO_SLOW}")
    return lines


def _warning_lines(verdict: RefVerdict) -> list[str]:
    lines = [f"small-git: {verdict.update.ref}: {plural(len(verdict.findings), 'warning')}"]
    for finding in verdict.findings:
        lines += finding_block(finding)
    return lines


def finding_block(finding: Finding) -> list[str]:
    level = "" if finding.severity == ERROR else f"{finding.severity}: "
    lines = [f"  {level}{finding.location} [{finding.rule}]"]
    lines += [f"    {line}" for line in finding.message.splitlines() or [""]]
    if finding.hint:
        lines.append(f"    fix: {finding.hint}")
    return lines


def _summary(outcome: ReceiveOutcome) -> str:
    refused = [v for v in outcome.verdicts if v.refused]
    findings = sum(len([f for f in v.findings if f.severity == ERROR]) for v in refused)
    total = plural(len(outcome.verdicts), "ref update")
    if outcome.timed_out and not findings:
        return f"small-git: push refused: {TOO_SLOW} ({len(refused)} of {total} not judged); no ref was updated"
    why = plural(findings, "finding") + (f", and {TOO_SLOW}" if outcome.timed_out else "")
    return f"small-git: push refused: {why} in {len(refused)} of {total}; no ref was updated"


def internal_error(kind: str) -> list[str]:
    return [f"small-git: internal error ({kind}), so the push is refused; the server's small-git log has the details"]


def policy_error(message: str, hint: str | None) -> list[str]:
    lines = [f"small-git: {message}; the push is refused"]
    if hint:
        lines.append(f"    fix: {hint}")
    return lines


def too_slow(seconds: float) -> list[str]:
    return [f"small-git: push refused after {seconds:.1f} s: {TOO_SLOW}; no ref was updated"]


def with_prefix(lines: list[str], prefix: str) -> list[str]:
    return [prefix + line for line in lines] if prefix else lines
