"""Interop notices: places where the reference CLI would fail a workspace that small-git accepts.

Deviations D3 (its secret heuristic's false positives) and D7 (evidence lists) make small-git pass what the
reference fails. A team that also runs the reference needs to know, so the checker reports these as
`info` findings in the JSON `notices` list; they never change the exit code.
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
_REFERENCE_TOKEN = re.compile(r"^[A-Za-z0-9+/]{32,}={0,2}$")
_REFERENCE_SKIP = ("replayId.value", "run.previous_replay_id", "run.replay_id", "replayId")


def _reference_secret_walk(value: Any, dotted: str, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    """The reference's heuristic: string-keyed maps only; lists are entered only through their map items."""
    if isinstance(value, dict):
        for key, child in value.items():
            child_dotted = f"{dotted}.{key}" if dotted else str(key)
            child_path = (*path, key)
            if not (child_dotted in _REFERENCE_SKIP or child_dotted.endswith((".replayId", ".command_sha256"))):
                if any(word in str(key).lower() for word in _REFERENCE_KEYS) or (
                        isinstance(child, str) and _REFERENCE_TOKEN.match(child)):
                    yield child_path
            yield from _reference_secret_walk(child, child_dotted, child_path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield from _reference_secret_walk(item, f"{dotted}[{index}]", (*path, index))


def notices(docs: dict[str, Document | None], paths: dict[str, str], strict: bool,
            our_secret_paths: set[tuple[str, tuple[str | int, ...]]]) -> list[Finding]:
    found: list[Finding] = []
    progress = docs.get("progress")
    if progress is not None and isinstance(progress.data, dict) and isinstance(progress.data.get("entries"), list):
        out = Reporter(progress, paths["progress"])
        for i, entry in enumerate(progress.data["entries"]):
            if isinstance(entry, dict) and isinstance(entry.get("evidence"), list):
                out.add("evidence-list", f"entries[{i}].evidence is a list of evidence objects: accepted here "
                        "(D7), rejected by the reference CLI's schema", ("entries", i, "evidence"),
                        hint="use one evidence mapping per entry if the reference CLI must accept this file",
                        deviation="D7")
        found += out.findings
    if strict:
        for kind in CANONICAL:
            doc = docs.get(kind)
            if doc is None or doc.data is None:
                continue
            out = Reporter(doc, paths[kind])
            for where in _reference_secret_walk(doc.data, "", ()):
                if (kind, where) not in our_secret_paths:
                    out.add("secret", "not a secret by small-git's rules (D3), but the reference CLI's "
                            "heuristic reports it in strict mode", where, deviation="D3")
            found += out.findings
    return [Finding(f.rule, f.file, f.message, f.line, f.hint, INFO, "lint", f.deviation) for f in found]
