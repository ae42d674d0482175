"""What the commands that append entries share: the status they accept, `--at`/`--after`, and HEAD as
evidence."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git.evidence import head_commit_evidence
from small_git.protocol.artifacts import STATUSES
from small_git.protocol.timestamps import TimestampError, parse_ns


def parse_status(raw: str, allowed: tuple[str, ...] = STATUSES) -> str:
    status = raw.strip().lower()
    if status not in allowed:
        raise SmallError(f"invalid status {raw!r} (must be one of: {', '.join(allowed)})", exit_code=EXIT_USAGE)
    return status


def commit_evidence(root: Path, enabled: bool) -> tuple[str | None, list[str]]:
    """HEAD as 12 hex digits plus warnings, or (None, []) outside git or when disabled (spec §6.4)."""
    if not enabled:
        return None, []
    return head_commit_evidence(root)


def timing(at: str | None, after: str | None) -> tuple[str | None, int | None]:
    """(`timestamp` to give the entry, `not_before_ns`) from --at / --after."""
    if at and after:
        raise SmallError("only one of --at or --after may be set", exit_code=EXIT_USAGE)
    try:
        if at:
            parse_ns(at)
            return at, None
        if after:
            return None, parse_ns(after) + 1
    except TimestampError as exc:
        raise SmallError(f"invalid timestamp {at or after!r}: {exc}", exit_code=EXIT_USAGE) from None
    return None, None


_APPLY_OUTCOME = re.compile(r"apply: exit code ([0-9]+)")


def failed_apply(entry: Any, task_id: str) -> str | None:
    """When `entry` is the outcome of an `apply` of `task_id` that failed: what failed (its exit code and
    command, and where its log is), else None."""
    if not isinstance(entry, dict) or entry.get("task_id") != task_id:
        return None
    notes = entry.get("notes")
    match = _APPLY_OUTCOME.fullmatch(notes) if isinstance(notes, str) else None
    if match is None or match.group(1) == "0":
        return None
    command = entry.get("command")
    where = entry.get("command_ref")
    return (
        f"exit {match.group(1)}"
        + (f": {command}" if isinstance(command, str) else "")
        + (f" (log: {where})" if isinstance(where, str) else "")
    )
