"""The append-only rule for progress.small.yml (spec §6.2): a commit keeps every old entry, in order and
unchanged (compared as parsed entries, by value and type, so reformatting is allowed and a change of type is
not); a merge keeps every parent's entries as an order-preserving interleaving; a ref update that is not a
fast-forward keeps every entry of the old tip. The one allowed change to an old entry is an exact redaction
(§6.6), which later merges and updates carry along. The comparisons themselves are `protocol.sequences`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from small_git.errors import SmallError
from small_git.gates.context import AuditContext, restore_hint
from small_git.gates.redaction import TRAILER, Record, added_redaction, has_redact_trailer, records_in, redactor
from small_git.git.plumbing import CommitMeta
from small_git.git.states import is_duplicate_problem, is_symlink_problem
from small_git.protocol.findings import Finding
from small_git.protocol.sequences import Index, first_change, first_out_of_order, interleaving, same, subsequence
from small_git.protocol.state import State
from small_git.protocol.timestamps import TimestampError, parse_ns

RULE_REDACT_TRAILER = "redaction-trailer-missing"


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


def describe(entries: list[Any] | None, index: int) -> str:
    """`entries[3] (task_id task-2, timestamp ...)`: numbered from 0, as `check`, `--json` and `redact` do."""
    entry = entries[index] if entries is not None and index < len(entries) else None
    parts = []
    if isinstance(entry, dict):
        for key in ("task_id", "timestamp"):
            if entry.get(key) is not None:
                parts.append(f"{key} {entry[key]}")
    return f"entries[{index}]" + (f" ({', '.join(parts)})" if parts else "")


def _line(log: _Log, index: int) -> int | None:
    doc = log.state.load("progress") if log.entries is not None else None
    return doc.line_of(("entries", index)) if doc is not None else None


def progress_findings(
    parents: list[State | None],
    new: State | None,
    meta: CommitMeta | None,
    ctx: AuditContext,
    sample: State,
    redactions: set[Record] | None = None,
) -> tuple[list[Finding], bool]:
    """(findings, whether the change is an accepted redaction). An accepted redaction's records are added to
    `redactions` when given."""
    path = sample.path("progress")
    new_log, problem = _read_log(new)
    if problem is not None:
        if new is not None and any(p is not None and not changed(p, new, "progress") for p in parents):
            return [], False  # inherited unchanged: the commit that broke it was judged (or bypassed) before
        return [problem.replace(message=f"{ctx.label}: {problem.message}")], False
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
        old = present[0]
        assert old.entries is not None
        found = _prefix_findings(old, new_log, ctx)
        if found:
            redaction = _redaction(old, new_log, meta, ctx)
            if isinstance(redaction, Finding):
                return [redaction], False
            if redaction is not None:
                if redactions is not None:
                    redactions.update(redaction)
                return [], True
        matched = [list(range(len(old.entries)))] if not found else []
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
    index = first_change(old.entries, new.entries)
    if index is None:
        return []
    path = new.state.path("progress")
    entry = old.entries[index]
    described = describe(old.entries, index)
    in_new, in_old = Index(new.entries), Index(old.entries)
    replacement = new.entries[index] if index < len(new.entries) else None
    if in_new.holds(entry):
        moved_to = in_new.next_position(entry, 0)
        rule, what = "progress-reorder", f"moves {described} to entries[{moved_to}]"
    elif index < len(new.entries) and in_old.holds(replacement):
        rule, what = "progress-entry-removed", f"removes {described}"
    elif index < len(new.entries) and _same_identity(entry, replacement):
        changed_keys = _changed_keys(entry, replacement)
        rule = "progress-rewrite"
        if changed_keys == ["timestamp"]:
            what = f"re-timestamps {described}"
        else:
            what = f"changes {described}" + (f" (fields: {', '.join(changed_keys)})" if changed_keys else "")
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


def _same_identity(old: Any, new: Any) -> bool:
    """Whether `new` reads as an edit of `old` (same task or same instant) rather than another entry."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    return any(old.get(key) is not None and same(old.get(key), new.get(key)) for key in ("task_id", "timestamp"))


def _changed_keys(old: Any, new: Any) -> list[str]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    return sorted(k for k in old.keys() | new.keys() if k not in old or k not in new or not same(old[k], new[k]))


def _merge_findings(parents: list[_Log], result: _Log, ctx: AuditContext) -> tuple[list[Finding], list[list[int]]]:
    """Each parent's entries must be a subsequence of the result; entries of no parent only at the end. A
    redaction a parent took is kept: the other parent's copy of that entry matches its redacted form."""
    assert result.entries is not None
    path = result.state.path("progress")
    lists = [parent.entries or [] for parent in parents]
    authorised: set[Record] = set()
    for entries in lists:
        authorised |= records_in(entries)
    merged = interleaving(lists, result.entries, redactor(authorised) if authorised else None)
    if merged.lost_parent is not None:
        number = merged.lost_parent
        lost = merged.matches[number].lost
        assert lost is not None
        how = "puts out of order" if Index(result.entries).holds(lists[number][lost]) else "loses or changes"
        return [
            Finding(
                "progress-merge-lost-entry",
                path,
                f"{ctx.label}: the merge {how} {describe(lists[number], lost)} of parent {number + 1}; "
                f"the merged {path} must keep every parent's entries, in order",
                None,
                _merge_hint(ctx, path),
                stage="git",
            )
        ], []
    if merged.inserted is not None:
        return [
            Finding(
                "progress-merge-inserted-entry",
                path,
                f"{ctx.label}: the merge inserts {describe(result.entries, merged.inserted)}, which no parent has, "
                f"between existing entries of {path}; new entries go at the end",
                _line(result, merged.inserted),
                _merge_hint(ctx, path),
                stage="git",
            )
        ], []
    return [], [match.positions for match in merged.matches]


def subsequence_findings(
    old: State | None, new: State | None, ctx: AuditContext, redactions: set[Record] | None = None
) -> list[Finding]:
    """A ref update that is not a fast-forward: every entry of the old tip must stay in the new tip, in order
    (others may come between). Redactions recorded in the old log, or accepted in this update's commits
    (`redactions`), are carried along."""
    old_log, _ = _read_log(old)
    if old is None or old_log is None or not old_log.entries:
        return []
    path = old.path("progress")
    new_log, problem = _read_log(new)
    if problem is not None:
        return [problem.replace(message=f"{ctx.label}: {problem.message}")]
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
    authorised = records_in(old_log.entries) | (redactions or set())
    match = subsequence(old_log.entries, Index(new_log.entries), redactor(authorised) if authorised else None)
    if match.ok:
        return []
    assert match.lost is not None
    return [
        Finding(
            "progress-force-push-lost-entry",
            path,
            f"{ctx.label}: the new tip loses or changes {describe(old_log.entries, match.lost)} of {path} "
            "that the old tip has",
            None,
            "keep every pushed entry: rebuild the branch on top of the remote one "
            "(git pull --rebase), or push without rewriting the log",
            stage="git",
        )
    ]


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
    instants = [instant(entry) for entry in log.entries]
    if not ctx.judge_validity:
        for index, value in enumerate(instants):
            if value is None and index not in from_parents:
                return [
                    Finding(
                        "progress-timestamp",
                        path,
                        f"{ctx.label}: {describe(log.entries, index)} of {path} has no valid RFC 3339 timestamp",
                        _line(log, index),
                        "write timestamps as YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ",
                        stage="git",
                    )
                ]
    position = first_out_of_order(instants, lambda index: not (index in from_parents and (index - 1, index) in known))
    if position is None:
        return []
    return [
        Finding(
            "progress-timestamp-order",
            path,
            f"{ctx.label}: {describe(log.entries, position)} of {path} is not later than the "
            "entry before it; timestamps must strictly increase",
            _line(log, position),
            "append with git small progress add (it stamps a later time)",
            stage="git",
        )
    ]


def instant(entry: Any) -> int | None:
    try:
        return parse_ns(entry.get("timestamp")) if isinstance(entry, dict) else None
    except TimestampError:
        return None


def _redaction(old: _Log, new: _Log, meta: CommitMeta | None, ctx: AuditContext) -> set[Record] | Finding | None:
    """The records of an accepted redaction; a finding when it is one but lacks its trailer; else None."""
    assert old.entries is not None and new.entries is not None
    records = added_redaction(old.entries, new.entries)
    if records is None:
        return None
    if ctx.stage == "pre-commit" and meta is not None and not meta.message:
        return records  # the message does not exist yet: commit-msg judges the same change with it
    if has_redact_trailer(meta.message if meta is not None else ""):
        return records
    path = new.state.path("progress")
    return Finding(
        RULE_REDACT_TRAILER,
        path,
        f"{ctx.label}: redacts {len(records)} value(s) of {path} without a {TRAILER}: trailer; a redaction is "
        "accepted only in a commit that says why",
        None,
        f'add the trailer to the commit message, e.g. git commit -m "Redact a leaked token" -m "{TRAILER}: '
        'a token in the evidence"',
        stage="git",
    )


def changed(old: State | None, new: State | None, kind: str) -> bool:
    """Whether the file `kind` differs (bytes, or why it cannot be read) between the two states."""
    before = old.files[kind] if old is not None else None
    after = new.files[kind] if new is not None else None
    key_before = (before.raw, before.problem) if before is not None else (None, None)
    key_after = (after.raw, after.problem) if after is not None else (None, None)
    return key_before != key_after
