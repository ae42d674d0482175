"""Per-artifact lint rules (reference doc §4.1–§4.2, deviation D2), as findings with stable rule ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from small_git.protocol.artifacts import ALLOWED_TOP_LEVEL, EVIDENCE_FIELDS, OWNERS
from small_git.protocol.findings import Finding, json_pointer
from small_git.protocol.timestamps import TimestampError, format_ns, parse_ns
from small_git.protocol.yamlsafe import Document

Path_ = tuple[str | int, ...]


class Reporter:
    """Collects findings for one artifact, resolving paths to lines."""

    def __init__(self, doc: Document | None, path: str) -> None:
        self.doc = doc
        self.path = path
        self.findings: list[Finding] = []

    def add(
        self, rule: str, message: str, at: Path_ = (), hint: str | None = None, deviation: str | None = None
    ) -> None:
        line = self.doc.line_of(at) if self.doc is not None and self.doc.data is not None else None
        self.findings.append(
            Finding(rule, self.path, message, line, hint, deviation=deviation, pointer=json_pointer(at))
        )


def got(value: Any) -> str:
    """', got <what>' for messages about a wrong value; '' when the key is simply absent."""
    if value is None:
        return ""
    kind = {
        str: "the string",
        int: "the integer",
        float: "the number",
        bool: "the boolean",
        dict: "a mapping",
        list: "a list",
    }.get(type(value), type(value).__name__)
    shown = "" if isinstance(value, dict | list) else f" {value!r:.60}"
    return f", got {kind}{shown}"


def blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


def has_evidence(entry: dict[str, Any]) -> bool:
    """At least one evidence field that is present, non-null, and (if a string) not blank."""
    for key in EVIDENCE_FIELDS:
        value = entry.get(key)
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            continue
        if isinstance(value, list) and not value:
            continue
        return True
    return False


def artifact_findings(kind: str, doc: Document | None, path: str) -> list[Finding]:
    out = Reporter(doc, path)
    data = None if doc is None else doc.data
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}"
        out.add(
            "not-a-mapping",
            f"the file must hold a YAML mapping at the top level, but it is {what}",
            hint=f"restore it from git (git checkout -- {path}) or regenerate it",
        )
        return out.findings
    version = data.get("small_version")
    if version != "1.0.0":
        out.add(
            "small-version",
            f'small_version must be exactly "1.0.0", got {version!r}',
            ("small_version",),
            hint='write small_version: "1.0.0"',
        )
    owner = data.get("owner")
    expected = OWNERS[kind]
    if owner != expected:
        out.add(
            "owner",
            f'owner must be "{expected}" for the {kind} artifact, got {owner!r}',
            ("owner",),
            hint=f'write owner: "{expected}"',
        )
    allowed = ALLOWED_TOP_LEVEL[kind]
    for key in data:
        if key not in allowed:
            out.add(
                "unknown-key",
                f"unknown top-level key {key!r} for the {kind} artifact",
                (key,),
                hint="allowed keys: " + ", ".join(allowed),
            )
    _PER_KIND[kind](data, out)
    return out.findings


def _intent(data: dict[str, Any], out: Reporter) -> None:
    if blank(data.get("intent")):
        out.add(
            "intent-shape",
            "intent must be a non-empty string" + got(data.get("intent")),
            ("intent",),
            hint="say in a sentence what this work is for",
        )
    scope = data.get("scope")
    if not isinstance(scope, dict):
        out.add("intent-shape", "scope must be a mapping with include and exclude lists", ("scope",))
    else:
        for key in ("include", "exclude"):
            if not isinstance(scope.get(key), list):
                out.add("intent-shape", f"scope.{key} must be a list", ("scope", key))
    if not isinstance(data.get("success_criteria"), list):
        out.add("intent-shape", "success_criteria must be a list", ("success_criteria",))


def _constraints(data: dict[str, Any], out: Reporter) -> None:
    items = data.get("constraints")
    if not isinstance(items, list) or not items:
        out.add("constraints-shape", "constraints must be a non-empty list", ("constraints",))
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            out.add("constraints-shape", f"constraints[{i}] must be a mapping", ("constraints", i))
            continue
        for key in ("id", "rule"):
            if blank(item.get(key)):
                out.add(
                    "constraints-shape",
                    f"constraints[{i}].{key} must be a non-empty string" + got(item.get(key)),
                    ("constraints", i, key),
                )
        if item.get("severity") not in ("error", "warn"):
            out.add(
                "constraints-shape",
                f'constraints[{i}].severity must be "error" or "warn"',
                ("constraints", i, "severity"),
            )


def _plan(data: dict[str, Any], out: Reporter) -> None:
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        out.add("plan-shape", "tasks must be a non-empty list", ("tasks",), hint="add a task: small plan --add TITLE")
        return
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            out.add("plan-shape", f"tasks[{i}] must be a mapping", ("tasks", i))
            continue
        for key in ("id", "title"):
            if blank(task.get(key)):
                number = isinstance(task.get(key), int | float)
                out.add(
                    "plan-shape",
                    f"tasks[{i}].{key} must be a non-empty string" + got(task.get(key)),
                    ("tasks", i, key),
                    hint=f'quote it if it looks like a number: {key}: "..."'
                    if number
                    else f"give every task {'an' if key == 'id' else 'a'} {key}",
                )


def _progress(data: dict[str, Any], out: Reporter) -> None:
    entries = data.get("entries")
    if not isinstance(entries, list):
        out.add("progress-shape", "entries must be a list", ("entries",))
        return
    previous: int | None = None
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            out.add("progress-shape", f"entries[{i}] must be a mapping", ("entries", i))
            continue
        task_id = entry.get("task_id")
        if blank(task_id):
            out.add(
                "progress-shape",
                f"entries[{i}] must have a task_id (non-empty string){got(task_id)}",
                ("entries", i),
                hint="name the plan task (or a meta/ id) the entry is about",
            )
        raw = entry.get("timestamp")
        try:
            instant = parse_ns(raw)
        except TimestampError as exc:
            deviation = "D2" if isinstance(raw, str) and _reference_would_accept(raw) else None
            out.add(
                "timestamp",
                f"entries[{i}] (task {task_id!r}): timestamp {raw!r}: {exc}",
                ("entries", i, "timestamp") if "timestamp" in entry else ("entries", i),
                hint="use RFC 3339 with fractional seconds, e.g. 2025-01-04T10:00:00.000000000Z",
                deviation=deviation,
            )
        else:
            if previous is not None and instant <= previous:
                out.add(
                    "timestamp-order",
                    f"entries[{i}] (task {task_id!r}): timestamp {format_ns(instant)} is not after the "
                    f"previous entry's {format_ns(previous)}",
                    ("entries", i, "timestamp"),
                    hint="timestamps must strictly increase in file order; append a new entry instead "
                    "of editing old ones",
                    deviation="D2" if previous == _GO_ZERO else None,
                )
            previous = instant  # formatted only for a finding: a long log has few
        if not has_evidence(entry):
            out.add(
                "entry-evidence",
                f"entries[{i}] (task {task_id!r}) has no evidence field ({', '.join(EVIDENCE_FIELDS)})",
                ("entries", i),
                hint='say what shows the work was done, e.g. evidence: "tests pass"',
            )


_GO_ZERO = parse_ns("0001-01-01T00:00:00.0Z")


def _reference_would_accept(raw: str) -> bool:
    """Timestamps the reference takes but D2 refuses: spaces around, year 0000, 10+ fractional digits."""
    stripped = raw.strip()
    return stripped != raw or stripped.startswith("0000-") or _long_fraction(stripped)


def _long_fraction(raw: str) -> bool:
    if "." not in raw:
        return False
    digits = raw.split(".", 1)[1]
    count = len(digits) - len(digits.lstrip("0123456789"))
    return count > 9


def _handoff(data: dict[str, Any], out: Reporter) -> None:
    if blank(data.get("summary")):
        out.add(
            "handoff-shape",
            "summary must be a non-empty string",
            ("summary",),
            hint="regenerate the handoff: small handoff --summary TEXT",
        )
    resume = data.get("resume")
    if not isinstance(resume, dict):
        out.add(
            "handoff-shape",
            "resume must be a mapping with next_steps",
            ("resume",),
            hint="regenerate the handoff: small handoff",
        )
    else:
        current = resume.get("current_task_id")
        if current is not None:
            if not isinstance(current, str):
                out.add(
                    "handoff-shape", "resume.current_task_id must be a string or null", ("resume", "current_task_id")
                )
            elif not current.strip():
                out.add(
                    "handoff-shape",
                    "resume.current_task_id must not be an empty string",
                    ("resume", "current_task_id"),
                    hint="use null when there is no current task",
                )
        if not isinstance(resume.get("next_steps"), list):
            out.add("handoff-shape", "resume.next_steps must be a list", ("resume", "next_steps"))
    if not isinstance(data.get("links"), list):
        out.add("handoff-shape", "links must be a list", ("links",), hint="write links: []")
    if "current_task" in data or "completed_tasks" in data or "pending_tasks" in data:
        out.add(
            "handoff-shape",
            "this handoff uses the seed shape (current_task / completed_tasks / "
            "pending_tasks), which SMALL v1.0.0 does not accept",
            (),
            hint="regenerate it: small handoff",
        )


_PER_KIND: dict[str, Callable[[dict[str, Any], Reporter], None]] = {
    "intent": _intent,
    "constraints": _constraints,
    "plan": _plan,
    "progress": _progress,
    "handoff": _handoff,
}
