"""The text of `small plan` without edits: one line per task (id, status, title, dependencies)."""

from __future__ import annotations

from typing import Any

from small_git.report.colour import PLAIN, Palette, palette


def _text(value: Any) -> str:
    return " ".join(str(value).split())


def render_tasks(rows: list[dict[str, Any]], colours: Palette = PLAIN) -> str:
    if not rows:
        return "The plan has no tasks (add one: small plan --add TITLE)"
    ids = [_text(row["id"]) for row in rows]
    id_width = max(len(i) for i in ids)
    status_width = max(len(row["status"]) for row in rows)
    lines = []
    for task_id, row in zip(ids, rows, strict=True):
        status = colours.status(row["status"], row["status"].ljust(status_width))
        needs = f"  (depends on {', '.join(row['dependencies'])})" if row["dependencies"] else ""
        lines.append(f"{task_id.ljust(id_width)}  {status}  {_text(row['title'])}{needs}".rstrip())
    return "\n".join(lines)


def tasks_screen(rows: list[dict[str, Any]]) -> str:
    """The list as standard output shows it: statuses coloured when it is a terminal."""
    return render_tasks(rows, palette())
