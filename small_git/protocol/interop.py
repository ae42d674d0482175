"""Interop notices: places where the reference CLI would fail a workspace that small-git accepts.

Deviations D3 (its secret heuristic's false positives) and D7 (evidence lists) make small-git pass what the
reference fails, and so does YAML 1.2 (spec §2): a timestamp written without quotes is a string here and a
time value to the reference, whose schema check then fails. A team that also runs the reference needs to
know, so the checker reports these as `info` findings in the JSON `notices` list; they never change the exit
code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from small_git.protocol.artifacts import CANONICAL
from small_git.protocol.findings import Finding
from small_git.protocol.rules import Reporter
from small_git.protocol.yamlsafe import Document

INFO = "info"
_REFERENCE_KEYS = ("api_key", "apikey", "password", "secret", "token", "access_token", "private_key")
_REFERENCE_TOKEN = re.compile(r"^[A-Za-z0-9+/]{32,}={0,2}\Z")
_REFERENCE_SKIP = ("replayId.value", "run.previous_replay_id", "run.replay_id", "replayId")


def reference_secret_paths(root: Any) -> Iterator[tuple[str | int, ...]]:
    """The reference's heuristic: string-keyed maps only; lists are entered only through their map items.

    Iterative, with the key test cached: progress logs repeat the same few keys a hundred thousand times.
    """
    flagged_key: dict[str, bool] = {}
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    stack.append((item, (*path, index)))
            continue
        if not isinstance(value, dict):
            continue
        for key, child in value.items():
            hit = flagged_key.get(key)
            if hit is None:
                hit = flagged_key[key] = any(word in str(key).lower() for word in _REFERENCE_KEYS)
            if hit or (isinstance(child, str) and len(child) >= 32 and _REFERENCE_TOKEN.match(child)):
                dotted = _dotted((*path, key))
                if not (dotted in _REFERENCE_SKIP or dotted.endswith((".replayId", ".command_sha256"))):
                    yield (*path, key)
            if isinstance(child, dict | list):
                stack.append((child, (*path, key)))


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def notices(
    docs: dict[str, Document | None],
    paths: dict[str, str],
    strict: bool,
    our_secret_paths: set[tuple[str, tuple[str | int, ...]]],
) -> list[Finding]:
    found: list[Finding] = []
    for kind in CANONICAL:
        doc = docs.get(kind)
        for line, column in doc.reference_times if doc is not None else ():
            found.append(
                Finding(
                    "unquoted-timestamp",
                    paths[kind],
                    f"a timestamp without quotes (column {column}) is a string in YAML 1.2, accepted here, "
                    "but a time value to the reference CLI, whose schema check fails on it",
                    line,
                    'quote it if the reference CLI must accept this file: "2025-01-04T10:00:00.000000000Z"',
                    stage="validate",
                )
            )
    progress = docs.get("progress")
    if progress is not None and isinstance(progress.data, dict) and isinstance(progress.data.get("entries"), list):
        out = Reporter(progress, paths["progress"])
        for i, entry in enumerate(progress.data["entries"]):
            if isinstance(entry, dict) and isinstance(entry.get("evidence"), list):
                out.add(
                    "evidence-list",
                    f"entries[{i}].evidence is a list of evidence objects: accepted here "
                    "(D7), rejected by the reference CLI's schema",
                    ("entries", i, "evidence"),
                    hint="use one evidence mapping per entry if the reference CLI must accept this file",
                    deviation="D7",
                )
        found += out.findings
    if strict:
        for kind in CANONICAL:
            doc = docs.get(kind)
            if doc is None or doc.data is None:
                continue
            out = Reporter(doc, paths[kind])
            for where in reference_secret_paths(doc.data):
                if (kind, where) not in our_secret_paths:
                    out.add(
                        "secret",
                        "not a secret by small-git's rules (D3), but the reference CLI's "
                        "heuristic reports it in strict mode",
                        where,
                        deviation="D3",
                    )
            found += out.findings
    return [Finding(f.rule, f.file, f.message, f.line, f.hint, INFO, f.stage, f.deviation) for f in found]
