"""The append-only rule for progress.small.yml (spec §6.2): a commit keeps every old entry, in order and
unchanged (compared as parsed entries, so reformatting is allowed); a merge keeps every parent's entries as an
order-preserving interleaving; the one allowed change to an old entry is an exact redaction (§6.6)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from small_git.errors import SmallError
from small_git.gates.context import AuditContext, restore_hint
from small_git.git.plumbing import CommitMeta
from small_git.git.states import is_duplicate_problem, is_symlink_problem
from small_git.protocol.findings import Finding
from small_git.protocol.state import State
from small_git.protocol.timestamps import TimestampError, parse_ns


@dataclass
class _Log:
    entries: list[Any] | None  # None: absent
    state: State


def _read_log(state: State | None) -> tuple[_Log | None, Finding | None]:
    """The parsed entries, or a finding when they cannot be read (a problem the new side must not have)."""
    if state is None:
        return None, None
    entry = state.files["progress"]
    if entry.raw is None and entry.problem is None:
        return _Log(None, state), None
    if is_symlink_problem(entry) or is_duplicate_problem(entry):
        return _Log(None, state), None  # reported as canonical-symlink or tree-duplicate-path
    try:
        data = state.data("progress")
    except SmallError as exc:
        return None, Finding(
            "progress-unreadable", entry.path, exc.message, exc.line, "fix the YAML so the log can be read", stage="git"
        )
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        entries = [] if isinstance(data, dict) and data.get("entries") is None else None
        if entries is None:
            return None, Finding(
                "progress-unreadable",
                entry.path,
                f"{entry.path}: entries must be a list",
                1,
                "restore the file from the previous commit",
                stage="git",
            )
    return _Log(entries, state), None


def _describe(log: _Log, index: int) -> str:
    entry = log.entries[index] if log.entries is not None and index < len(log.entries) else None
    parts = []
    if isinstance(entry, dict):
        for key in ("task_id", "timestamp"):
            if entry.get(key) is not None:
                parts.append(f"{key} {entry[key]}")
    return f"entry {index + 1}" + (f" ({', '.join(parts)})" if parts else "")


def _line(log: _Log, index: int) -> int | None:
    doc = log.state.load("progress") if log.entries is not None else None
    return doc.line_of(("entries", index)) if doc is not None else None


def progress_findings(
    parents: list[State | None], new: State | None, meta: CommitMeta | None, ctx: AuditContext, sample: State
) -> tuple[list[Finding], bool]:
    """(findings, whether the change is an accepted redaction)."""
    path = sample.path("progress")
    new_log, problem = _read_log(new)
    if problem is not None:
        if new is not None and any(p is not None and not changed(p, new, "progress") for p in parents):
            return [], False  # inherited unchanged: the commit that broke it was judged (or bypassed) before
        return [replace(problem, message=f"{ctx.label}: {problem.message}")], False
    old_logs = []
    for parent in parents:
        log, _ = _read_log(parent)  # an unreadable parent was judged when it was committed
        old_logs.append(log if log is not None and log.entries is not None else None)
    if all(log is None for log in old_logs):
        if new_log is None or new_log.entries is None:
            return [], False
        return _order_findings(new_log, [], ctx), False
    if new is not None and (is_symlink_problem(new.files["progress"]) or is_duplicate_problem(new.files["progress"])):
        return [], False  # reported as canonical-symlink or tree-duplicate-path
    if new_log is None or new_log.entries is None:
        count = max(len(log.entries or []) for log in old_logs if log is not None)
        gone = "the whole workspace" if new is None else path
        return [
            Finding(
                "progress-deleted",
                path,
                f"{ctx.label}: deletes {gone}; {path} is append-only and held {count} entries",
                hint=restore_hint(ctx, path, "restore the log"),
                stage="git",
            )
        ], False
    present = [log for log in old_logs if log is not None]
    if len(parents) == 1:
        assert present[0].entries is not None
        found = _prefix_findings(present[0], new_log, ctx)
        if found and _is_redaction(present[0], new_log, meta, ctx):
            return [], True
        matched = [list(range(len(present[0].entries)))] if not found else []
    else:
        found, matched = _merge_findings(present, new_log, ctx)
    if found:
        return found, False
    return _order_findings(new_log, matched, ctx), False


def _fix_hint(ctx: AuditContext, path: str) -> str:
    if ctx.local:
        return (
            f"restore the entry: git checkout HEAD -- {path}, then append a correction with "
            "git small progress add (redact a secret with git small redact)"
        )
    return (
        "rewrite the unpushed commits so the log only grows (git rebase -i <base>, restoring the old "
        "entries), then push again; corrections are new entries (git small progress add)"
    )


def _prefix_findings(old: _Log, new: _Log, ctx: AuditContext) -> list[Finding]:
    assert old.entries is not None and new.entries is not None
    path = new.state.path("progress")
    for index, entry in enumerate(old.entries):
        if index < len(new.entries) and new.entries[index] == entry:
            continue
        described = _describe(old, index)
        if entry in new.entries:
            rule, what = "progress-reorder", f"moves {described} to position {new.entries.index(entry) + 1}"
        elif index < len(new.entries) and new.entries[index] in old.entries:
            rule, what = "progress-entry-removed", f"removes {described}"
        elif index < len(new.entries) and _same_identity(entry, new.entries[index]):
            changed = _changed_keys(entry, new.entries[index])
            retimed = changed == ["timestamp"]
            rule = "progress-rewrite"
            what = (
                f"re-timestamps {described}"
                if retimed
                else f"changes {described}" + (f" (fields: {', '.join(changed)})" if changed else "")
            )
        else:
            rule, what = "progress-entry-removed", f"removes {described}"
            lost = len(old.entries) - len(new.entries)
            if lost > 1:
                what += f" and {lost - 1} later entries"
        line = _line(new, index) if index < len(new.entries) else None
        return [
            Finding(
                rule,
                path,
                f"{ctx.label}: {what} of the append-only {path}; old entries must stay "
                "exactly as they are, new ones go at the end",
                line,
                _fix_hint(ctx, path),
                stage="git",
            )
        ]
    return []


def _same_identity(old: Any, new: Any) -> bool:
    """Whether `new` reads as an edit of `old` (same task or same instant) rather than another entry."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    return any(old.get(key) is not None and old.get(key) == new.get(key) for key in ("task_id", "timestamp"))


def _changed_keys(old: Any, new: Any) -> list[str]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    return sorted(k for k in set(old) | set(new) if old.get(k, _MISSING) != new.get(k, _MISSING))


_MISSING = object()


def _merge_findings(parents: list[_Log], result: _Log, ctx: AuditContext) -> tuple[list[Finding], list[list[int]]]:
    """Each parent's entries must be a subsequence of the result; entries of no parent only at the end."""
    assert result.entries is not None
    path = result.state.path("progress")
    matched: list[list[int]] = []
    for number, parent in enumerate(parents, start=1):
        assert parent.entries is not None
        positions: list[int] = []
        cursor = 0
        for index, entry in enumerate(parent.entries):
            while cursor < len(result.entries) and result.entries[cursor] != entry:
                cursor += 1
            if cursor == len(result.entries):
                how = "puts out of order" if entry in result.entries else "loses or changes"
                return [
                    Finding(
                        "progress-merge-lost-entry",
                        path,
                        f"{ctx.label}: the merge {how} {_describe(parent, index)} "
                        f"of parent {number}; "
                        f"the merged {path} must keep every parent's entries, in order",
                        None,
                        _merge_hint(ctx, path),
                        stage="git",
                    )
                ], []
            positions.append(cursor)
            cursor += 1
        matched.append(positions)
    from_parents = {p for positions in matched for p in positions}
    last = max(from_parents, default=-1)
    for index in range(last):
        if index not in from_parents:
            return [
                Finding(
                    "progress-merge-inserted-entry",
                    path,
                    f"{ctx.label}: the merge inserts {_describe(result, index)}, "
                    "which no parent has, "
                    f"between existing entries of {path}; new entries go at the end",
                    _line(result, index),
                    _merge_hint(ctx, path),
                    stage="git",
                )
            ], []
    return [], matched


def subsequence_findings(old: State | None, new: State | None, ctx: AuditContext) -> list[Finding]:
    """A force push: every entry of the old tip must stay in the new tip, in order (others may interleave)."""
    old_log, _ = _read_log(old)
    if old is None or old_log is None or not old_log.entries:
        return []
    path = old.path("progress")
    new_log, problem = _read_log(new)
    if problem is not None:
        return [replace(problem, message=f"{ctx.label}: {problem.message}")]
    if new_log is None or new_log.entries is None:
        return [
            Finding(
                "progress-deleted",
                path,
                f"{ctx.label}: the new tip has no {path}; it held {len(old_log.entries)} entries",
                hint=restore_hint(ctx, path, "restore the log"),
                stage="git",
            )
        ]
    cursor = 0
    for index, entry in enumerate(old_log.entries):
        while cursor < len(new_log.entries) and new_log.entries[cursor] != entry:
            cursor += 1
        if cursor == len(new_log.entries):
            return [
                Finding(
                    "progress-force-push-lost-entry",
                    path,
                    f"{ctx.label}: the new tip loses or changes {_describe(old_log, index)} "
                    f"of {path} "
                    "that the remote already has",
                    None,
                    "keep every pushed entry: rebuild the branch on top of the remote one "
                    "(git pull --rebase), or push without rewriting the log",
                    stage="git",
                )
            ]
        cursor += 1
    return []


def _merge_hint(ctx: AuditContext, path: str) -> str:
    return (
        f"merge {path} so it holds every entry of both sides in timestamp order "
        "(the small-git merge driver does this: git small install), then commit the merge again"
    )


def _order_findings(log: _Log, parent_positions: list[list[int]], ctx: AuditContext) -> list[Finding]:
    """New adjacent pairs (not adjacent in some parent already) must have strictly increasing timestamps."""
    assert log.entries is not None
    known = {
        (a, b) for positions in parent_positions for a, b in zip(positions, positions[1:], strict=False) if b == a + 1
    }
    from_parents = {p for positions in parent_positions for p in positions}
    path = log.state.path("progress")
    for index in range(len(log.entries)):
        if index in from_parents and (index == 0 or (index - 1, index) in known):
            continue
        instant = _instant(log.entries[index])
        if instant is None:
            if index not in from_parents and not ctx.judge_validity:
                return [
                    Finding(
                        "progress-timestamp",
                        path,
                        f"{ctx.label}: {_describe(log, index)} of {path} has no valid RFC 3339 timestamp",
                        _line(log, index),
                        "write timestamps as YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ",
                        stage="git",
                    )
                ]
            continue
        previous = _instant(log.entries[index - 1]) if index > 0 else None
        if previous is not None and instant <= previous:
            return [
                Finding(
                    "progress-timestamp-order",
                    path,
                    f"{ctx.label}: {_describe(log, index)} of {path} is not later than the "
                    "entry before it; timestamps must strictly increase",
                    _line(log, index),
                    "append with git small progress add (it stamps a later time)",
                    stage="git",
                )
            ]
    return []


def _instant(entry: Any) -> int | None:
    try:
        return parse_ns(entry.get("timestamp")) if isinstance(entry, dict) else None
    except TimestampError:
        return None


def _is_redaction(old: _Log, new: _Log, meta: CommitMeta | None, ctx: AuditContext) -> bool:
    try:
        from small_git.gates.redaction import TRAILER, is_exact_redaction
    except ImportError:
        return False
    message = meta.message if meta is not None else ""
    if ctx.stage == "pre-commit" and not message:
        # The message does not exist yet; commit-msg judges the same change again with the trailer.
        message = f"\n\n{TRAILER}: judged at commit-msg\n"
    assert old.entries is not None and new.entries is not None
    return is_exact_redaction(old.entries, new.entries, message)


def changed(old: State | None, new: State | None, kind: str) -> bool:
    """Whether the file `kind` differs (bytes, or why it cannot be read) between the two states."""
    before = old.files[kind] if old is not None else None
    after = new.files[kind] if new is not None else None
    key_before = (before.raw, before.problem) if before is not None else (None, None)
    key_after = (after.raw, after.problem) if after is not None else (None, None)
    return key_before != key_after
