"""The run identity (spec §4): replayId = SHA-256 of intent + plan [+ constraints], line endings normalised.

A run's id is computed once, when the run starts, and kept in `workspace.small.yml` at `run.replay_id`.
`reset` starts a new run; when the formula would give the previous run's id again (same intent, same
template plan), the new id is derived from the previous one instead: SHA-256 of
`"small-git/next-run\\n" + previous`. Runs therefore always have distinct ids, and the derivation is
reproducible from the previous id alone.
"""

from __future__ import annotations

import hashlib
import re

_HEX64 = re.compile(r"^[a-fA-F0-9]{64}\Z")
NEXT_RUN_PREFIX = b"small-git/next-run\n"


def normalise_newlines(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def compute_replay_id(intent: bytes, plan: bytes, constraints: bytes | None = None) -> str:
    """The reference's auto algorithm: raw bytes, CRLF and lone CR turned into LF, joined with LF."""
    buffer = normalise_newlines(intent) + b"\n" + normalise_newlines(plan)
    if constraints is not None:
        buffer += b"\n" + normalise_newlines(constraints)
    return hashlib.sha256(buffer).hexdigest()


def next_run_id(candidate: str, previous: str | None) -> str:
    """The id of a new run: the formula's value, unless it repeats the previous run's id."""
    if previous is None or candidate.lower() != previous.lower():
        return candidate.lower()
    return hashlib.sha256(NEXT_RUN_PREFIX + previous.lower().encode("ascii")).hexdigest()


def is_replay_id(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX64.match(value))
