"""The text of `small status`: one screen, from the document `status --json` prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from small_git.protocol.artifacts import CANONICAL, filename
from small_git.report.colour import PLAIN, Palette, palette


def _one_line(value: Any, limit: int = 100) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_text(doc: dict[str, Any], colours: Palette = PLAIN) -> str:
    """The screen; with colours (standard output is a terminal), statuses and freshness coloured."""
    lines = [f"Workspace: {doc['workspace']}" + (f" ({doc['kind']})" if doc["kind"] else "")]
    missing = [filename(k) for k in CANONICAL if doc["files"][k] == "missing"]
    if missing:
        lines.append(f"Missing: {', '.join(missing)}")
    unreadable = set()
    for problem in doc["problems"]:
        unreadable.add(problem["file"])
        message = str(problem["message"])  # the loader's message names the file (and line) itself
        where = "" if message.startswith(problem["file"]) else f"{problem['file']}: "
        lines.append(f"Unreadable: {where}{_one_line(message, 160)}")
    lines.append(f"Intent: {_one_line(doc['intent']) or '(none)'}")
    if doc["replay_id"]:
        lines.append(f"Run: {doc['replay_id'][:16]}...")
    plan = doc["plan"]
    counts = ", ".join(colours.status(s, f"{n} {s}") for s, n in plan["tasks_by_status"].items() if n)
    if filename("plan") in {Path(f).name for f in unreadable}:
        lines.append("Plan: unreadable (see above)")
    else:
        lines.append(f"Plan: {plan['total_tasks']} task(s)" + (f" ({counts})" if counts else ""))
    lines.append(f"Current task: {plan['current_task'] or '(none)'}")
    if plan["next_actionable"]:
        lines.append(f"Next actionable: {', '.join(plan['next_actionable'])}")
    progress = doc["progress"]
    if filename("progress") in {Path(f).name for f in unreadable}:
        lines.append("Progress: unreadable (see above)")
    else:
        lines.append(f"Progress: {progress['entries']} entr{'y' if progress['entries'] == 1 else 'ies'}")
    for entry in progress["recent"]:
        what = entry.get("evidence") if entry.get("evidence") is not None else entry.get("notes", "")
        lines.append(
            f"  {entry.get('timestamp', '?')}  {entry.get('task_id', '?')}  "
            f"{colours.status(str(entry.get('status', '-')))}  {_one_line(what, 80)}"
        )
    handoff = doc["handoff"]
    if not handoff["present"]:
        lines.append("Handoff: none (write one: small handoff)")
    else:
        fresh = handoff["freshness"]
        labels = {"fresh": colours.good("fresh"), "stale": colours.bad("STALE"), "unknown": "freshness unknown"}
        label = labels[fresh["state"]]
        at = f" at {fresh['commit']}" if fresh["commit"] else ""
        lines.append(f"Handoff: {label}{at}" + (f" - {fresh['reason']}" if fresh["reason"] else ""))
        if fresh["state"] == "stale":
            changed = fresh.get("changed") or []
            more = fresh.get("changed_count", len(changed)) - len(changed)
            if changed:
                lines.append("  changed since: " + ", ".join(changed) + (f" (and {more} more)" if more > 0 else ""))
            lines.append("  regenerate it before you stop: small handoff")
        if handoff["summary"]:
            lines.append(f"  {_one_line(handoff['summary'])}")
    for draft in doc["drafts"]:
        lines.append(f"Draft awaiting a human: {draft} (review, then: small accept {Path(draft).name.split('.')[0]})")
    return "\n".join(lines)


def status_screen(doc: dict[str, Any]) -> str:
    """The screen as standard output shows it: coloured when it is a terminal."""
    return render_text(doc, palette())
