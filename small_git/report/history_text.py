"""`git small log` and `git small log --entries` as text for people, and as one JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from small_git.gates.history_model import (
    SIGNATURE_WORDS,
    BlameLine,
    CommitStory,
    EntryAdded,
    History,
    WorkspaceStory,
)
from small_git.report.colour import PLAIN, Palette
from small_git.report.text import format_finding
from small_git.report.textconv import entry_line, prose

RUN_SHOWN = 16  # hex digits of a replayId in text (the JSON has all 64)


def short_run(replay_id: str) -> str:
    return replay_id[:RUN_SHOWN] + "…" if len(replay_id) > RUN_SHOWN else replay_id


def format_log(stories: Sequence[CommitStory], colours: Palette = PLAIN) -> str:
    """Every commit, newest first as `git log` prints them (the caller orders them)."""
    blocks = [commit_block(story, colours) for story in stories]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def commit_block(story: CommitStory, colours: Palette = PLAIN) -> str:
    info = story.commit
    lines = [colours.commit(f"commit {info.sha}") + (" (merge)" if len(info.parents) > 1 else "")]
    lines.append(f"Author:    {info.author}  {info.author_date}")
    if info.committer != info.author:
        lines.append(f"Committer: {info.committer}  {info.commit_date}")
    signature = SIGNATURE_WORDS.get(info.signature, info.signature)
    lines.append(f"Signature: {colours.good(signature) if info.signature == 'G' else signature}")
    lines.append("")
    lines.append(f"    {info.subject}")
    lines.append("")
    several = len(story.workspaces) > 1 or any(ws.workspace != ".small" for ws in story.workspaces)
    for ws in story.workspaces:
        if several:
            lines.append(f"  {ws.workspace}/")
        lines += [f"    {line}" for line in workspace_lines(ws, colours)]
    return "\n".join(lines).rstrip()


def workspace_lines(ws: WorkspaceStory, colours: Palette = PLAIN) -> list[str]:
    lines: list[str] = []
    if ws.run_started and ws.run:
        lines.append(colours.bold(f"run {short_run(ws.run)} started"))
    if ws.unreadable:
        lines.append(colours.bad(ws.unreadable))
    for change in ws.tasks:
        if change.change == "added":
            status = colours.status(change.after or "pending", f"[{change.after or 'no status'}]")
            lines.append(f"task {change.task_id} added {status} {prose(change.title or '')}".rstrip())
        elif change.change == "removed":
            lines.append(f"task {change.task_id} removed (was {change.before or 'no status'})")
        elif change.change == "status":
            before = colours.status(change.before or "", change.before or "no status")
            after = colours.status(change.after or "", change.after or "no status")
            lines.append(f"task {change.task_id} {before} -> {after}")
        else:
            lines.append(f"task {change.task_id} retitled {prose(change.after or '')}")
    if ws.is_merge:
        came = ", ".join(f"entries[{i}]" for i in ws.merged)
        lines.append(f"merge: {came} from the merged branch" if came else "merge: no entries from the merged branch")
    for index in ws.rewritten:
        lines.append(colours.bad(f"rewrote entries[{index}] (an old entry changed: not a redaction)"))
    for added in ws.entries:
        lines.append(entry_text(added, ws, colours))
    shown: set[str] = set()
    for human in ws.human:
        what = _how_changed(human.fields)
        if human.verdict == "accepted":
            lines.append(f"{human.file} {what}: {colours.good('accepted')}, a human's change")
        else:
            lines.append(f"{human.file} {what}: {colours.bad('REFUSED')}")
            for reason in human.reasons:
                lines.append(f"    {reason}")
                shown.add(reason)
    for finding in ws.findings:
        if finding.message in shown:  # already shown as the reason of a refused change
            continue
        lines.append(colours.severity(finding.severity, "finding ") + format_finding(finding, with_hint=False))
    return lines


def _how_changed(fields: list[str]) -> str:
    if fields in (["(created)"], ["(deleted)"]):
        return fields[0].strip("()")
    return f"changed ({', '.join(fields)})"


def entry_text(added: EntryAdded, ws: WorkspaceStory, colours: Palette = PLAIN) -> str:
    head = f"entries[{added.index}]"
    reconcile = next((r for r in ws.reconciles if r.index == added.index), None)
    if reconcile is not None:
        old, new = colours.commit(reconcile.old), colours.commit(reconcile.new)
        return f"{head} reconcile: commit {old} was rewritten as {new}"
    if added.kind == "redaction":
        record = added.entry.get("evidence") if isinstance(added.entry, dict) else None
        if isinstance(record, dict):
            reason = next((r.reason for r in ws.redactions if r.entry == record.get("entry")), None)
            why = f" (Small-Redact: {reason})" if reason else ""
            return (
                f"{head} redaction: entries[{record.get('entry')}].{record.get('field')} "
                f"replaced by its sha256 marker{why}"
            )
    line = entry_line(added.entry)
    if isinstance(added.entry, dict) and isinstance(added.entry.get("status"), str):
        status = added.entry["status"]
        line = line.replace(f" {status}", " " + colours.status(status), 1)
    return f"{head} {line}"


def format_blame(lines: Sequence[BlameLine], colours: Palette = PLAIN) -> str:
    several = len({line.workspace for line in lines}) > 1
    out = []
    for line in lines:
        where = f"{line.workspace}/" if several else ""
        if line.commit is None:
            who = colours.dim("(before the range)")
        else:
            who = f"{colours.commit(line.commit.short)} {line.commit.author.name}"
        out.append(f"{where}entries[{line.index}] {who} {entry_line(line.entry)}")
    return "\n".join(out) + ("\n" if out else "")


def log_document(history: History, stories: Sequence[CommitStory], rev_range: str | None) -> dict[str, Any]:
    return {
        "command": "log",
        "range": rev_range or "HEAD",
        "head": history.head,
        "commits_walked": history.walked,
        "runs": [run.to_dict() for run in history.runs],
        "commits": [story.to_dict() for story in stories],
        "exit_code": 0,
    }


def blame_document(history: History, lines: Sequence[BlameLine], rev_range: str | None) -> dict[str, Any]:
    return {
        "command": "log",
        "range": rev_range or "HEAD",
        "head": history.head,
        "entries": [line.to_dict() for line in lines],
        "exit_code": 0,
    }
