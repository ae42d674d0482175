"""`git small review` as Markdown (a pull-request comment, a GitHub job summary), as text, and as JSON."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from small_git.gates.history_model import SHORT, AppendedEntry, Citation, Freshness, Review
from small_git.report.colour import PLAIN, Palette
from small_git.report.mermaid import plan_graph
from small_git.report.text import format_finding, plural
from small_git.report.textconv import compact, prose

MAX_CELL = 160
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
_CITATION_WORDS = {
    "reachable": "in the head's history",
    "reconciled": "rewritten; reconciled to {via}",
    "not-in-history": "NOT in the head's history",
    "unknown": "names no commit",
    "ambiguous": "ambiguous",
}


def md(text: object) -> str:
    """Plain text for a Markdown table cell or line: one line, every markup character escaped."""
    flat = " ".join(str(text).split())
    if len(flat) > MAX_CELL:
        flat = flat[: MAX_CELL - 1] + "…"
    return _MD_SPECIAL.sub(r"\\\1", flat)


def code(sha: str | None) -> str:
    return f"`{sha[:SHORT]}`" if sha and re.fullmatch(r"[0-9a-fA-F]+", sha) else md(sha or "")


def evidence_text(evidence: dict[str, Any]) -> str:
    return "; ".join(
        f"{key}: {prose(value) if isinstance(value, str) else compact(value)}" for key, value in evidence.items()
    )


def citation_text(citation: Citation | None, sha: Any = str) -> str:
    if citation is None:
        return "—"
    words = _CITATION_WORDS[citation.state].format(via=citation.via[:SHORT] if citation.via else "")
    return f"{sha(citation.value)} {words}"


def transitions(statuses: Iterable[str]) -> str:
    return " → ".join(statuses)


def _freshness_line(fresh: Freshness, mark: Any = str) -> str:
    if fresh.state == "fresh":
        return f"{fresh.workspace}: fresh (generated at {fresh.commit})"
    if fresh.state == "stale":
        shown = ", ".join(fresh.changed[:5]) + (", …" if len(fresh.changed) > 5 else "")
        return f"{fresh.workspace}: {mark('STALE')} (generated at {fresh.commit}; {fresh.reason}: {shown})"
    return f"{fresh.workspace}: {fresh.state} ({fresh.reason})"


# --- Markdown ---------------------------------------------------------------------------------------------


def format_markdown(review: Review) -> str:
    out = [f"## small-git review of `{md(review.rev_range)}`", ""]
    checked = plural(review.commits, "commit")
    if review.audit_passed:
        out.append(f"**Audit passed**: {checked} checked, head {code(review.head)}.")
    else:
        count = plural(len(review.findings), "finding")
        out.append(f"**Audit failed**: {count} in {checked}, head {code(review.head)}.")
    for workspace, tasks in review.plans.items():
        if not tasks:
            continue
        out += ["", f"### Plan ({md(workspace)})", "", "```mermaid", plan_graph(tasks).rstrip(), "```"]
    out += ["", "### Tasks added and moved", ""]
    if review.tasks:
        out += ["| task | title | transitions |", "|---|---|---|"]
        for move in review.tasks:
            new = "new: " if move.added else ""
            out.append(f"| {md(move.task_id)} | {md(move.title or '')} | {new}{md(transitions(move.statuses))} |")
    else:
        out.append("No task was added or moved.")
    out += ["", f"### Entries appended ({len(review.entries)})", ""]
    if review.entries:
        out += ["| entry | task | status | evidence | cited commit | added by |", "|---|---|---|---|---|---|"]
        for entry in review.entries:
            out.append(_entry_row(entry))
    else:
        out.append("No progress entry was appended.")
    out += ["", "### Human-owned files", ""]
    if review.human:
        out += ["| file | changed | commit | author | verdict |", "|---|---|---|---|---|"]
        for change in review.human:
            verdict = (
                "accepted"
                if change.change.verdict == "accepted"
                else "**refused**: " + md(" ".join(change.change.reasons))
            )
            out.append(
                f"| {md(change.change.file)} | {md(', '.join(change.change.fields))} | {code(change.commit.sha)} "
                f"| {md(change.commit.author)} | {verdict} |"
            )
    else:
        out.append("No human-owned file changed.")
    out += ["", "### Handoff", ""]
    out += [f"- {md(_freshness_line(fresh))}" for fresh in review.handoffs] or ["No workspace at the head."]
    out += ["", f"### Audit findings ({len(review.findings)})", ""]
    if review.findings:
        for finding in review.findings:
            where = f"{finding.file}:{finding.line}" if finding.line else finding.file
            hint = f" — fix: {md(finding.hint)}" if finding.hint else ""
            out.append(f"- `{md(finding.rule)}` {md(where)}: {md(finding.message)}{hint}")
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


def _entry_row(entry: AppendedEntry) -> str:
    cited = citation_text(entry.citation, code) if entry.citation else "—"
    return (
        f"| entries\\[{entry.index}\\] | {md(entry.task_id or '')} | {md(entry.status or '')} "
        f"| {md(evidence_text(entry.evidence))} | {cited} | {code(entry.commit.sha)} {md(entry.commit.author.name)} |"
    )


# --- text -------------------------------------------------------------------------------------------------


def format_text(review: Review, colours: Palette = PLAIN) -> str:
    checked = plural(review.commits, "commit")
    out = [colours.bold(f"review of {review.rev_range}") + f" (head {review.head[:SHORT]})"]
    if review.audit_passed:
        out.append(f"audit: {colours.good('passed')}, {checked} checked")
    else:
        out.append(f"audit: {colours.bad('failed')}, {plural(len(review.findings), 'finding')} in {checked}")
    for workspace, tasks in review.plans.items():
        out += ["", f"plan ({workspace}):"]
        for task in tasks:
            needs = f" (after {', '.join(task.depends_on)})" if task.depends_on else ""
            out.append(f"  {task.task_id} {colours.status(task.status, f'[{task.status}]')} {task.title}{needs}")
    out += ["", "tasks added and moved:"]
    for move in review.tasks:
        path = transitions(colours.status(s) for s in move.statuses)
        out.append(f"  {move.task_id} {prose(move.title or '')}: {'new: ' if move.added else ''}{path}")
    if not review.tasks:
        out.append("  none")
    out += ["", f"entries appended ({len(review.entries)}):"]
    for entry in review.entries:
        cited = f"; commit {citation_text(entry.citation)}" if entry.citation else ""
        status = colours.status(entry.status) if entry.status else "-"
        out.append(
            f"  entries[{entry.index}] {entry.task_id or '-'} {status} {evidence_text(entry.evidence)}{cited}"
            f" (added by {colours.commit(entry.commit.short)} {entry.commit.author.name})"
        )
    out += ["", "human-owned files:"]
    for change in review.human:
        verdict = colours.good("accepted") if change.change.verdict == "accepted" else colours.bad("REFUSED")
        out.append(
            f"  {change.change.file} ({', '.join(change.change.fields)}) in {colours.commit(change.commit.short)} "
            f"by {change.commit.author}: {verdict}"
        )
    if not review.human:
        out.append("  none changed")
    out += ["", "handoff:"]
    out += [f"  {_freshness_line(fresh, colours.bad)}" for fresh in review.handoffs]
    if review.findings:
        out += ["", "audit findings:"]
        out += [
            "  " + colours.severity(f.severity, f.rule) + " " + format_finding(f, with_hint=True).replace("\n", "\n  ")
            for f in review.findings
        ]
    return "\n".join(out) + "\n"


# --- JSON -------------------------------------------------------------------------------------------------


def review_document(review: Review) -> dict[str, Any]:
    return {
        "command": "review",
        "range": review.rev_range,
        "head": review.head,
        "commits": review.commits,
        "audit": {"passed": review.audit_passed, "findings": [f.to_dict() for f in review.findings]},
        "tasks": [move.to_dict() for move in review.tasks],
        "entries": [entry.to_dict() for entry in review.entries],
        "human_changes": [change.to_dict() for change in review.human],
        "handoff": [fresh.to_dict() for fresh in review.handoffs],
        "plan": {
            workspace: {
                "tasks": [task.__dict__ for task in tasks],
                "mermaid": plan_graph(tasks) if tasks else None,
            }
            for workspace, tasks in review.plans.items()
        },
        "exit_code": 0,
    }
