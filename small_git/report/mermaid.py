"""The plan as a Mermaid flowchart, each task coloured by its status.

Node ids are generated (`t0`, `t1`, …), never taken from the plan, and every label is written inside double
quotes with Mermaid's entity codes for the characters that could end the label or start markup, so a task
title cannot add nodes, edges, links or click handlers to the graph a reviewer sees.
"""

from __future__ import annotations

from collections.abc import Sequence

from small_git.gates.history_model import PlanTask

# status -> (class name, fill, stroke); the class names are fixed words, never a status from the file
STATUS_STYLES = {
    "pending": ("pending", "#f6f8fa", "#8c959f"),
    "in_progress": ("in_progress", "#fff8c5", "#bf8700"),
    "blocked": ("blocked", "#ffebe9", "#cf222e"),
    "completed": ("completed", "#dafbe1", "#1a7f37"),
    "cancelled": ("cancelled", "#eaeef2", "#6e7781"),
}
_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    "\\": "#92;",
}
MAX_LABEL = 80


def label_text(text: str) -> str:
    """Text safe inside `["…"]`: one line, entity codes for anything that is markup."""
    one_line = " ".join(text.split())
    if len(one_line) > MAX_LABEL:
        one_line = one_line[: MAX_LABEL - 1] + "…"
    return "".join(_ENTITIES.get(c, c) if c.isprintable() else " " for c in one_line)


def plan_graph(tasks: Sequence[PlanTask], direction: str = "TD") -> str:
    """`flowchart TD` with one node per task and an edge from each dependency to the task that needs it."""
    ids = {task.task_id: f"t{number}" for number, task in enumerate(tasks)}
    lines = [f"flowchart {direction}"]
    for task in tasks:
        label = label_text(f"{task.task_id}: {task.title}" if task.title else task.task_id)
        status = label_text(task.status)
        node = f'  {ids[task.task_id]}["{label}<br/>{status}"]'
        style = STATUS_STYLES.get(task.status)
        lines.append(node + (f":::{style[0]}" if style else ""))
    for task in tasks:
        for need in task.depends_on:
            if need in ids:
                lines.append(f"  {ids[need]} --> {ids[task.task_id]}")
    used = {task.status for task in tasks}
    for status, (name, fill, stroke) in STATUS_STYLES.items():
        if status in used:
            lines.append(f"  classDef {name} fill:{fill},stroke:{stroke},color:#1f2328")
    return "\n".join(lines) + "\n"
