"""`redact`: the break-glass removal of a secret or personal datum from an old progress entry (spec §6.6).

The value is replaced, in place, by `[REDACTED sha256:<digest of the original>]` (only that scalar's bytes
change when the file's layout allows it), and an entry recording the redaction is appended. The gates accept
the change only in a commit with a `Small-Redact: <reason>` trailer, made at the policy's human level.
"""

from __future__ import annotations

import codecs
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from small_git import PROTOCOL_VERSION
from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.gates.redaction import (
    PROTECTED_FIELDS,
    REDACT_TASK_ID,
    TRAILER,
    PathStep,
    format_field_path,
    is_marker,
    parse_field_path,
    redaction_marker,
    redaction_record,
)
from small_git.protocol.artifacts import display_path
from small_git.protocol.yamlsafe import decode
from small_git.report import console
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import append_entries
from small_git.store.reader import parse_yaml, read_file, resolve_root, small_dir

PROGRESS = display_path("progress")


@dataclass(frozen=True)
class RedactRequest:
    entry: int  # numbered from 0, as findings name it
    field: str  # notes, evidence.output, evidence[0].ref, ...
    directory: str | None = None  # the folder holding .small/, or the .small folder itself


def run(request: RedactRequest) -> int:
    """Redact `entries[entry].<field>` of the workspace; print how to commit it."""
    entry, field = request.entry, request.field
    root = resolve_root(request.directory)
    try:
        steps = parse_field_path(field)
    except ValueError as exc:
        raise SmallError(
            f"--field: {exc}",
            exit_code=EXIT_USAGE,
            hint="name a field as in a finding: notes, command, evidence.output, evidence[0].ref",
        ) from None
    if steps[0] in PROTECTED_FIELDS:
        raise SmallError(
            f"--field {field}: {steps[0]} is structural (ids, instants, digests) and cannot be redacted",
            exit_code=EXIT_USAGE,
            hint="redact the field that holds the secret, such as notes or evidence",
        )
    small_dir(root)
    field_name = format_field_path(steps)
    with workspace_lock(root):
        raw = _read_progress(root)
        text, encoding = _decode(raw)
        entries = _entries(raw)
        if not 0 <= entry < len(entries):
            last = f"0..{len(entries) - 1}" if entries else "none"
            raise SmallError(
                f"--entry {entry}: {PROGRESS} has {len(entries)} entries (numbered {last})",
                exit_code=EXIT_USAGE,
                file=PROGRESS,
                hint="entries are numbered from 0, as in findings",
            )
        original = _value_at(entries[entry], steps, entry, field_name)
        marker = redaction_marker(original)
        expected = _replaced(entries, [entry, *steps], marker)
        new_text = _replace_in_place(text, [entry, *steps], marker, expected) or _rewrite_whole(text, expected)
        atomic_write(root / PROGRESS, _encode(new_text, encoding))
        _append_record(root, entry, field_name, original)
    console.out(
        f"Redacted entries[{entry}].{field_name} in {PROGRESS} and appended a {REDACT_TASK_ID} entry recording it."
    )
    console.out("Commit it on its own, with the reason in a trailer (the gates accept it only so):")
    log = os.path.relpath(root / PROGRESS)
    console.out(f'    git commit -m "Redact a secret from progress" -m "{TRAILER}: <reason>" -- {log}')
    console.err(
        "The value is still in earlier commits: rotate the credential; rewriting published history is a "
        "separate decision (see docs/authority.md)."
    )
    return EXIT_OK


def _read_progress(root: Path) -> bytes:
    raw, problem = read_file(root, PROGRESS)
    if problem is not None:
        raise SmallError(f"{PROGRESS} {problem}", exit_code=EXIT_USAGE, file=PROGRESS)
    if raw is None:
        raise SmallError(f"{PROGRESS} does not exist: there is nothing to redact", exit_code=EXIT_USAGE, file=PROGRESS)
    return raw


def _decode(raw: bytes) -> tuple[str, str]:
    """The text, and the encoding to write it back in (a file keeps its encoding and byte-order mark)."""
    text = decode(raw, PROGRESS)
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (codecs.BOM_UTF8, "utf-8-sig"),
    ):
        if raw.startswith(bom):
            return text, encoding
    return text, "utf-8"


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


def _entries(raw: bytes) -> list[Any]:
    data = parse_yaml(raw, PROGRESS).data
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SmallError(
            f"{PROGRESS} has no list of entries",
            exit_code=EXIT_USAGE,
            file=PROGRESS,
            hint="run: small check   (and fix the log first)",
        )
    return entries


def _value_at(entry_data: Any, steps: list[PathStep], entry: int, field_name: str) -> str:
    node = entry_data
    for step in steps:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise SmallError(
                f"entries[{entry}] has no field {field_name}",
                exit_code=EXIT_USAGE,
                file=PROGRESS,
                hint="name the field as the finding does, e.g. notes or evidence.output",
            ) from None
    if is_marker(node):
        raise SmallError(f"entries[{entry}].{field_name} is already redacted", exit_code=EXIT_USAGE, file=PROGRESS)
    if not isinstance(node, str):
        kind = type(node).__name__ if node is not None else "null"
        raise SmallError(
            f"entries[{entry}].{field_name} is a {kind}, not a string",
            exit_code=EXIT_USAGE,
            file=PROGRESS,
            hint="redact the string inside it, e.g. --field evidence.output",
        )
    return node


def _replaced(entries: list[Any], path: list[PathStep], marker: str) -> list[Any]:
    copy: list[Any] = json.loads(json.dumps(entries))
    node: Any = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = marker
    return copy


def _parsed_entries(text: str) -> list[Any] | None:
    try:
        data = parse_yaml(text, PROGRESS).data
    except SmallError:
        return None
    return data.get("entries") if isinstance(data, dict) else None


def _replace_in_place(text: str, path: list[PathStep], marker: str, expected: list[Any]) -> str | None:
    """Replace just the scalar's characters, keeping every other byte; None when that is not possible safely
    (an aliased value, an unusual layout): the caller then rewrites the file."""
    try:
        node: Any = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for step in ["entries", *path]:
        node = _child(node, step)
        if node is None:
            return None
    if not isinstance(node, yaml.ScalarNode):
        return None
    start, end = node.start_mark.index, node.end_mark.index
    replacement = json.dumps(marker)
    if node.style in ("|", ">"):
        # A block scalar's span runs to the end of its last line; keep the line break that ends it.
        replacement += "\n" if text[start:end].endswith("\n") else ""
    candidate = text[:start] + replacement + text[end:]
    return candidate if _parsed_entries(candidate) == expected else None


def _child(node: Any, step: PathStep) -> Any:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        return next(
            (value for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == step),
            None,
        )
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return node.value[step]
    return None


def _rewrite_whole(text: str, expected: list[Any]) -> str:
    data = parse_yaml(text, PROGRESS).data
    data["entries"] = expected
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=2**16)
    # The reference warns about an unquoted small_version, which safe_dump would write.
    dumped = dumped.replace(f"small_version: {PROTOCOL_VERSION}\n", f'small_version: "{PROTOCOL_VERSION}"\n', 1)
    if _parsed_entries(dumped) != expected:
        raise SmallError(
            f"cannot rewrite {PROGRESS} without changing other values; nothing was changed",
            exit_code=EXIT_USAGE,
            file=PROGRESS,
        )
    return dumped


def _append_record(root: Path, entry: int, field_name: str, original: str) -> None:
    record = {
        "task_id": REDACT_TASK_ID,
        "evidence": redaction_record(entry, field_name, original),
        "notes": f"redacted entries[{entry}].{field_name}",
    }
    append_entries(root, [record], locked=True)  # the caller holds the workspace lock
