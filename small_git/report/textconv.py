"""A meaning-level rendering of one `.small/` file, for git's textconv diff driver (spec §6.5).

git renders the old and the new version separately and diffs the renderings line by line, so every unit a
reviewer cares about is exactly one line: one progress entry, one task, one constraint, one human-owned field.
An appended entry is then an added line at the end and nothing else (no count line that would make a second
hunk), a status transition a changed task line, and an edited old entry a changed `entries[N]` line in the
middle (a rewrite the gates refuse). Entries are numbered from 0, as `check` and `redact` number them. The
replayId, the same on every entry of a run, is shown once where it changes (`replayId …` above the first entry
of a run). Nothing is left out: keys this module has no special form for are rendered generically, so every
change to the file changes the rendering.

Input that is not a readable `.small/` document is returned unchanged: a diff must never fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from small_git.errors import SmallError
from small_git.protocol.artifacts import ALL_FILES, KIND_BY_FILENAME
from small_git.protocol.yamlsafe import load_yaml

TYPE_CHECKING = False  # not `typing`: the diff driver (one process per blob) would import it for nothing
if TYPE_CHECKING:
    from typing import Any

# Evidence first (what a reviewer checks). The replayId has a line of its own where it changes.
ENTRY_FIELD_ORDER = (
    "commit",
    "evidence",
    "verification",
    "test",
    "command",
    "command_summary",
    "command_sha256",
    "command_ref",
    "link",
    "notes",
)
ENTRY_HEAD_FIELDS = ("timestamp", "task_id", "status")
RUN_FIELD = "replayId"
NO_RUN = "(not set)"  # has a space: text() quotes any string value that would read the same
DEPENDENCY_KEYS = ("depends_on", "dependencies")
META_KEYS = ("small_version", "owner")


def kind_of(name: str, data: object) -> str | None:
    """The artifact kind, from the file name (git hands textconv a temporary file whose name ends with the
    original one) or, failing that, from the document's keys."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for filename, kind in KIND_BY_FILENAME.items():
        if base == filename or base.endswith("_" + filename) or base.endswith("-" + filename):
            return kind
    if not isinstance(data, dict):
        return None
    for key, kind in (
        ("entries", "progress"),
        ("tasks", "plan"),
        ("constraints", "constraints"),
        ("intent", "intent"),
        ("resume", "handoff"),
        ("kind", "workspace"),
    ):
        if key in data:
            return kind
    return None


def render(raw: bytes, name: str) -> bytes:
    """The rendering of `raw` (the bytes of the file called `name`), or `raw` itself when it cannot be read
    as a `.small/` document."""
    try:
        data = load_yaml(raw, name).data
    except SmallError:
        return raw
    kind = kind_of(name, data)
    if kind not in ALL_FILES or not isinstance(data, dict):
        return raw
    try:
        lines = RENDERERS.get(kind, _render_generic)(data)
    except (TypeError, ValueError, RecursionError):
        return raw  # a shape no renderer expects: the raw text still diffs
    meta = ", ".join(f"{key} {text(data[key])}" for key in META_KEYS if key in data)
    head = [f"# {kind}.small.yml" + (f" ({meta})" if meta else "")]
    return ("\n".join(head + lines) + "\n").encode("utf-8")


# --- values ------------------------------------------------------------------------------------------------


def text(value: Any) -> str:
    """A value on one line: a simple word as it is, other strings JSON-quoted (newlines escaped), other
    values as compact JSON."""
    if isinstance(value, str):
        if value and value.isprintable() and " " not in value and not value.startswith(('"', "#")):
            return value
        return json.dumps(value, ensure_ascii=False)
    return compact(value)


def prose(value: Any) -> str:
    """Free text on one line, unquoted when it has no line breaks or controls."""
    if isinstance(value, str) and value.isprintable() and value == value.strip():
        return value
    return text(value)


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=False, default=str)


def _field(key: str, value: Any) -> str:
    return f"{key}={text(value)}"


def _extra(data: dict[str, Any], known: tuple[str, ...], indent: str = "") -> list[str]:
    """Generic lines for keys with no special form, so no change goes unseen."""
    lines = []
    for key, value in data.items():
        if key in known:
            continue
        if isinstance(value, list) and value and all(not isinstance(v, dict | list) for v in value):
            lines += [f"{indent}{key}: {prose(item)}" for item in value]
        else:
            lines.append(f"{indent}{key}: {prose(value) if isinstance(value, str) else compact(value)}")
    return lines


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"{key} is not a list")
    return value


# --- artifacts ---------------------------------------------------------------------------------------------


def _render_progress(data: dict[str, Any]) -> list[str]:
    entries = _list(data, "entries")
    lines = _extra(data, (*META_KEYS, "entries"))
    run = NO_RUN  # the replayId of the entry before: shown again only when it changes
    for number, entry in enumerate(entries):
        current = text(entry[RUN_FIELD]) if isinstance(entry, dict) and RUN_FIELD in entry else NO_RUN
        if current != run:
            lines.append(f"{RUN_FIELD} {current}")
            run = current
        lines.append(f"entries[{number}] {entry_line(entry)}")
    return lines


def entry_line(entry: Any) -> str:
    """`<timestamp> <task> <status> commit=… evidence="…" …`: every field of the entry but its replayId (shown
    where it changes), on one line."""
    if not isinstance(entry, dict):
        return compact(entry)
    words = [text(entry[key]) if key in entry else f"(no {key.replace('_', ' ')})" for key in ENTRY_HEAD_FIELDS]
    rest = [key for key in ENTRY_FIELD_ORDER if key in entry]
    rest += [key for key in entry if key not in ENTRY_FIELD_ORDER and key not in (*ENTRY_HEAD_FIELDS, RUN_FIELD)]
    words += [_field(key, entry[key]) for key in rest]
    return " ".join(words)


def _render_plan(data: dict[str, Any]) -> list[str]:
    tasks = _list(data, "tasks")
    lines = _extra(data, (*META_KEYS, "tasks"))
    for task in tasks:
        lines += task_lines(task)
    return lines


def task_lines(task: Any) -> list[str]:
    """`task-2 [completed] Implement parser (depends on task-1)`, then one indented line per other field."""
    if not isinstance(task, dict):
        return [f"task {compact(task)}"]
    status = text(task["status"]) if "status" in task else "no status"
    line = f"{text(task.get('id', '(no id)'))} [{status}] {prose(task.get('title', '(no title)'))}"
    for key in DEPENDENCY_KEYS:
        if key in task:
            needs = task[key]
            shown = ", ".join(text(n) for n in needs) if isinstance(needs, list) else text(needs)
            line += f" ({'depends on' if key == 'depends_on' else 'dependencies:'} {shown or 'nothing'})"
    return [line] + _extra(task, ("id", "title", "status", *DEPENDENCY_KEYS), indent="    ")


def _render_intent(data: dict[str, Any]) -> list[str]:
    lines = [f"intent: {prose(data.get('intent'))}"] if "intent" in data else []
    scope = data.get("scope")
    if isinstance(scope, dict):
        for key in ("include", "exclude"):
            lines += [f"scope {key}: {prose(item)}" for item in _list(scope, key)]
        lines += _extra(scope, ("include", "exclude"), indent="scope ")
    elif "scope" in data:
        lines.append(f"scope: {compact(scope)}")
    lines += [f"success criterion: {prose(item)}" for item in _list(data, "success_criteria")]
    return lines + _extra(data, (*META_KEYS, "intent", "scope", "success_criteria"))


def _render_constraints(data: dict[str, Any]) -> list[str]:
    lines = []
    for item in _list(data, "constraints"):
        if isinstance(item, dict):
            lines.append(
                f"constraint {text(item.get('id', '(no id)'))} ({text(item.get('severity', '?'))}): "
                f"{prose(item.get('rule', '(no rule)'))}"
            )
            lines += _extra(item, ("id", "severity", "rule"), indent="    ")
        else:
            lines.append(f"constraint {compact(item)}")
    return lines + _extra(data, (*META_KEYS, "constraints"))


def _render_handoff(data: dict[str, Any]) -> list[str]:
    lines = [f"summary: {prose(data.get('summary'))}"] if "summary" in data else []
    resume = data.get("resume")
    if isinstance(resume, dict):
        if "current_task_id" in resume:
            lines.append(f"current task: {text(resume['current_task_id'])}")
        lines += [f"next step: {prose(step)}" for step in _list(resume, "next_steps")]
        lines += _extra(resume, ("current_task_id", "next_steps"), indent="resume ")
    elif "resume" in data:
        lines.append(f"resume: {compact(resume)}")
    for link in _list(data, "links"):
        if isinstance(link, dict) and set(link) <= {"url", "description"}:
            described = f" ({prose(link['description'])})" if "description" in link else ""
            lines.append(f"link: {text(link.get('url', '(no url)'))}{described}")
        else:
            lines.append(f"link: {compact(link)}")
    replay = data.get("replayId")
    if isinstance(replay, dict) and set(replay) <= {"value", "source"}:
        lines.append(f"replayId: {text(replay.get('value'))} ({text(replay.get('source'))})")
    elif "replayId" in data:
        lines.append(f"replayId: {compact(replay)}")
    run = data.get("run")
    if isinstance(run, dict):
        lines += _extra(run, (), indent="run ")
    elif "run" in data:
        lines.append(f"run: {compact(run)}")
    return lines + _extra(data, (*META_KEYS, "summary", "resume", "links", "replayId", "run"))


def _render_generic(data: dict[str, Any]) -> list[str]:
    return _extra(data, META_KEYS)


RENDERERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "progress": _render_progress,
    "plan": _render_plan,
    "intent": _render_intent,
    "constraints": _render_constraints,
    "handoff": _render_handoff,
}
