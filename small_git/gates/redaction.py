"""Redaction, the one permitted change to old progress entries (spec §6.6).

A redaction replaces string values of old entries by `[REDACTED sha256:<hex digest of the original>]` and
appends one entry per redacted value recording what was redacted. The gates accept a change to old entries
only when it is exactly that, in a commit whose message carries a `Small-Redact:` trailer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from small_git.protocol.sequences import same

REDACT_TASK_ID = "meta/redact"
REDACTION_TYPE = "redaction"
TRAILER = "Small-Redact"
_TRAILER_RE = re.compile(rf"^{TRAILER}:[ \t]*\S", re.IGNORECASE | re.MULTILINE)
_MARKER_RE = re.compile(r"^\[REDACTED sha256:[0-9a-f]{64}\]\Z")
_PATH_TOKEN_RE = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")  # ASCII: int() would read "[٣]" as 3
# Fields whose values are structural (ids, instants, digests, patterns): replacing them would break the schema
# or the log's order. A secret cannot hide in them.
PROTECTED_FIELDS = ("task_id", "timestamp", "status", "replayId", "commit", "command_sha256")

PathStep = str | int


def redaction_marker(original: str) -> str:
    return f"[REDACTED sha256:{hashlib.sha256(original.encode('utf-8')).hexdigest()}]"


def is_marker(value: object) -> bool:
    return isinstance(value, str) and _MARKER_RE.match(value) is not None


def parse_field_path(field: str) -> list[PathStep]:
    """`notes`, `evidence.output`, `evidence[0].ref` -> ["notes"], ["evidence", "output"],
    ["evidence", 0, "ref"]. Raises ValueError on anything else."""
    steps: list[PathStep] = []
    position = 0
    text = field.strip()
    while position < len(text):
        if steps and text[position] == ".":
            position += 1
        match = _PATH_TOKEN_RE.match(text, position)
        if match is None:
            raise ValueError(f"cannot read the field path {field!r} at character {position + 1}")
        name, index = match.groups()
        steps.append(int(index) if index is not None else name)
        position = match.end()
    if not steps or not isinstance(steps[0], str):
        raise ValueError(f"the field path {field!r} must start with a field name, such as notes or evidence.output")
    return steps


def format_field_path(steps: list[PathStep]) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def redaction_record(entry: int, field: str, original: str) -> dict[str, Any]:
    """The evidence object of the entry that records a redaction (no timestamp; the store adds it)."""
    return {"type": REDACTION_TYPE, "entry": entry, "field": field, "digest": _digest(original)}


def has_redact_trailer(message: str) -> bool:
    return _TRAILER_RE.search(message or "") is not None


def _replaced_paths(old: Any, new: Any, path: list[PathStep], out: list[tuple[list[PathStep], str]]) -> bool:
    """Collect (path, original) where `new` holds the marker of `old`'s string.

    False on any other difference (values compare by value and type)."""
    if isinstance(old, str) and isinstance(new, str) and old != new:
        if new == redaction_marker(old):
            out.append((path, old))
            return True
        return False
    if type(old) is not type(new):
        return False
    if isinstance(old, dict):
        return old.keys() == new.keys() and all(_replaced_paths(old[k], new[k], path + [k], out) for k in old)
    if isinstance(old, list):
        return len(old) == len(new) and all(
            _replaced_paths(o, n, path + [i], out) for i, (o, n) in enumerate(zip(old, new, strict=True))
        )
    return same(old, new)


Record = tuple[int, str, str]  # (entry index, field path, "sha256:<digest of the original>")


def record_of(entry: Any) -> Record | None:
    """(entry, field, digest) of an entry that records a redaction, else None."""
    if not isinstance(entry, dict) or entry.get("task_id") != REDACT_TASK_ID:
        return None
    evidence = entry.get("evidence")
    if not isinstance(evidence, dict) or evidence.get("type") != REDACTION_TYPE:
        return None
    index, field, digest = evidence.get("entry"), evidence.get("field"), evidence.get("digest")
    if (
        not isinstance(index, int)
        or isinstance(index, bool)
        or not isinstance(field, str)
        or not isinstance(digest, str)
    ):
        return None
    return index, field, digest


def records_in(entries: list[Any]) -> set[Record]:
    return {record for entry in entries if (record := record_of(entry)) is not None}


def added_redaction(old_entries: list[Any], new_entries: list[Any]) -> set[Record] | None:
    """The records of an exact redaction: `new` is `old` with some string values (not structural ones)
    replaced by the marker of their original value, followed by exactly one appended entry per replaced value
    recording it (one `git small redact` run writes one). None when the change is anything else."""
    if len(new_entries) <= len(old_entries):
        return None
    replaced: list[tuple[list[PathStep], str]] = []
    for index, (old, new) in enumerate(zip(old_entries, new_entries, strict=False)):
        if not _replaced_paths(old, new, [index], replaced):
            return None
    if not replaced:
        return None
    done: set[Record] = set()
    for (position, *steps), original in replaced:
        if not steps or steps[0] in PROTECTED_FIELDS or not isinstance(position, int):
            return None
        done.add((position, format_field_path(steps), _digest(original)))
    records = [record_of(entry) for entry in new_entries[len(old_entries) :]]
    if any(record is None for record in records) or len(records) != len(done) or set(records) != done:
        return None
    return done


def is_exact_redaction(old_entries: list[Any], new_entries: list[Any], message: str) -> bool:
    """An exact redaction (see `added_redaction`) in a commit whose message has a 'Small-Redact:' trailer."""
    return has_redact_trailer(message) and added_redaction(old_entries, new_entries) is not None


def _digest(original: str) -> str:
    return "sha256:" + hashlib.sha256(original.encode("utf-8")).hexdigest()


def redactor(records: set[Record]) -> Callable[[int, Any], Any]:
    """Turns old entry number N into the form it has once the recorded redactions of entry N are applied
    (only where the value's digest is the recorded one): how a log that took a redaction holds it."""
    by_entry: dict[int, list[tuple[list[PathStep], str]]] = {}
    for index, field, digest in records:
        try:
            steps = parse_field_path(field)
        except ValueError:
            continue
        if steps[0] not in PROTECTED_FIELDS:
            by_entry.setdefault(index, []).append((steps, digest))

    def apply(index: int, entry: Any) -> Any:
        for steps, digest in by_entry.get(index, ()):
            entry = _redacted_at(entry, steps, digest)
        return entry

    return apply


def _redacted_at(value: Any, steps: list[PathStep], digest: str) -> Any:
    if not steps:
        return redaction_marker(value) if isinstance(value, str) and _digest(value) == digest else value
    step, rest = steps[0], steps[1:]
    if isinstance(value, dict) and isinstance(step, str) and step in value:
        return {**value, step: _redacted_at(value[step], rest, digest)}
    if isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
        return [*value[:step], _redacted_at(value[step], rest, digest), *value[step + 1 :]]
    return value
