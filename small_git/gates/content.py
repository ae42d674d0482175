"""What a commit adds, judged by the strict content rules (secrets, insecure links) whatever the mode.

A token that reaches the append-only log cannot be taken back without a redaction, so the gates refuse
secrets and `http://` links in what a commit adds: its new progress entries, and new or changed content of
the plan, the handoff, intent and constraints. Content a parent already had is not blamed on the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from small_git.errors import SmallError
from small_git.gates.context import AuditContext
from small_git.gates.redaction import format_field_path
from small_git.protocol.findings import Finding
from small_git.protocol.secrets import find_insecure_links, find_secrets, format_path
from small_git.protocol.sequences import Index
from small_git.protocol.state import State

JUDGED_FILES = ("intent", "constraints", "plan", "handoff")


def added_content_findings(parents: Sequence[State | None], new: State, ctx: AuditContext) -> list[Finding]:
    findings = _entry_findings(parents, new, ctx)
    for kind in JUDGED_FILES:
        findings += file_findings(parents, new, kind, ctx)
    return findings


def _data(state: State | None, kind: str) -> Any:
    if state is None:
        return None
    try:
        return state.data(kind)
    except SmallError:
        return None  # unreadable: the validity rules report it


def _entries(state: State | None) -> list[Any]:
    data = _data(state, "progress")
    entries = data.get("entries") if isinstance(data, dict) else None
    return entries if isinstance(entries, list) else []


def _entry_findings(parents: Sequence[State | None], new: State, ctx: AuditContext) -> list[Finding]:
    if not any(_changed(p, new, "progress") for p in parents):
        return []
    entries = _entries(new)
    known = Index([entry for parent in parents for entry in _entries(parent)])
    doc = new.load("progress")
    path = new.path("progress")
    findings: list[Finding] = []
    for index, entry in enumerate(entries):
        if known.holds(entry):
            continue
        # An entry changed in place (a redaction; any other edit is the append-only rule's) is blamed only for
        # what its old value did not hold: redacting one field must not be refused for a secret in another.
        before = _entry_hits(parents, index)
        for where, message in find_secrets(entry):
            if (tuple(where), message) in before:
                continue
            field = format_field_path(list(where)) if where else ""
            at = format_path(("entries", index, *where))
            findings.append(
                Finding(
                    "secret",
                    path,
                    f"{ctx.label}: the new {at} of the append-only {path} holds {_what(message)}",
                    doc.line_of(("entries", index, *where)) if doc is not None else None,
                    _secret_hint(ctx, index, field),
                    stage="git",
                )
            )
        for where, message in find_insecure_links(entry, allow_loopback=True):
            at = format_path(("entries", index, *where))
            findings.append(
                Finding(
                    "insecure-link",
                    path,
                    f"{ctx.label}: the new {at} of the append-only {path} holds {_what(message)}",
                    doc.line_of(("entries", index, *where)) if doc is not None else None,
                    "use https:// (http:// is allowed only for localhost); fix the entry before it is committed",
                    stage="git",
                )
            )
    return findings


def _entry_hits(parents: Sequence[State | None], index: int) -> set[tuple[tuple[Any, ...], str]]:
    """What the entry at `index` already held, for a commit with one parent (a merge's entries at one index
    come from different branches, so nothing there excuses a new entry)."""
    if len(parents) != 1:
        return set()
    old = _entries(parents[0])
    return {(tuple(w), m) for w, m in find_secrets(old[index])} if index < len(old) else set()


def _secret_hint(ctx: AuditContext, index: int, field: str) -> str:
    redact = f"git small redact --entry {index} --field {field or '<field>'}"
    if ctx.local:
        return f"take the secret out of the entry before committing (rotate it if it is real); once committed, {redact}"
    return (
        "rotate the secret; then rewrite the unpushed commits without it (git rebase -i <base>), or "
        f"{redact} and commit that with a Small-Redact: trailer"
    )


def file_findings(parents: Sequence[State | None], new: State, kind: str, ctx: AuditContext) -> list[Finding]:
    if not all(_changed(p, new, kind) for p in parents):
        return []  # the same bytes as a parent: nothing new
    data = _data(new, kind)
    if data is None:
        return []
    before: set[tuple[tuple[Any, ...], str]] = set()
    for parent in parents:
        old = _data(parent, kind)
        if old is not None:
            before |= {(tuple(w), m) for w, m in find_secrets(old)}
            before |= {(tuple(w), m) for w, m in find_insecure_links(old, allow_loopback=False)}
    doc = new.load(kind)
    path = new.path(kind)
    findings: list[Finding] = []
    for rule, hits, hint in (
        ("secret", find_secrets(data), "take the secret out before committing, and rotate it if it is real"),
        ("insecure-link", find_insecure_links(data, allow_loopback=False), "use https://"),
    ):
        for where, message in hits:
            if (tuple(where), message) in before:
                continue
            findings.append(
                Finding(
                    rule,
                    path,
                    f"{ctx.label}: {path} gains {_what(message)} at {format_path(tuple(where))}",
                    doc.line_of(list(where)) if doc is not None else None,
                    hint,
                    stage="git",
                )
            )
    return findings


def _what(message: str) -> str:
    """ "potential secret (GitHub token) at entries[3].notes" -> "a potential secret (GitHub token)"."""
    kind = message.split(" at ", 1)[0]
    return ("an " if kind[:1].lower() in "aeiou" else "a ") + kind


def _changed(old: State | None, new: State, kind: str) -> bool:
    if old is None:
        return new.files[kind].raw is not None
    return (old.files[kind].raw, old.files[kind].problem) != (new.files[kind].raw, new.files[kind].problem)
