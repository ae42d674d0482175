"""The three-way merge of the append-only `progress.small.yml` (spec §6.2, §6.5).

A merge keeps the common ancestor's entries (which must be a prefix of both sides) and interleaves both sides'
new entries by timestamp, keeping each side's order; an entry both sides added identically (by value and
type) is kept once. Two different entries at the same instant cannot be ordered, so they are a conflict. A
redaction one side made applies to the other side's copy of the entry too.

When git replays commits (rebase, cherry-pick, am) or squashes a branch (`git merge --squash`, whose result
is a commit with one parent), "ours" is the upstream being built on and "theirs" the commit being replayed:
the replayed commit's new entries go after everything upstream has, and an entry whose timestamp would not be
later than the one before it is re-stamped to that one + 1 ns, its original time kept in `notes`. The result
is then a plain append to the upstream, which is what the gates ask of a commit with one parent.

The pure merge works on bytes; `replaying()` is the one part that looks at git.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git.errors import SmallError
from small_git.gates.redaction import Record, records_in, redactor
from small_git.git import plumbing as git
from small_git.git import runner
from small_git.git.processes import MERGE, PULL, nearest_command, option_in_effect
from small_git.protocol.emitter import emit_document, emit_items
from small_git.protocol.sequences import Index, first_change, key, same
from small_git.protocol.timestamps import TimestampError, format_ns, parse_ns
from small_git.protocol.yamlsafe import load_yaml

REPLAY_ENV = "SMALL_GIT_REPLAY"  # "1" / "0" forces the replay decision when git's state cannot be seen
RESTAMP_NOTE = re.compile(r"(?:^| )\[re-stamped on replay; original timestamp ([^\]\s]+)\]$")
REPLAY_COMMANDS = ("rebase", "cherry-pick", "am")


@dataclass
class MergeResult:
    data: bytes
    conflict: str | None = None  # why `data` holds conflict markers; None for a clean merge


class _Conflict(Exception):
    pass


@dataclass
class _Log:
    raw: bytes
    data: dict[str, Any]
    entries: list[Any]


def merge_progress(
    base: bytes,
    ours: bytes,
    theirs: bytes,
    *,
    replay: bool = False,
    marker_size: int = 7,
    path: str = "progress.small.yml",
) -> MergeResult:
    """The merged log; on a conflict, a file with conflict markers and the reason."""
    markers = _Markers(max(marker_size, 1))
    try:
        logs = [_read(raw, side, path) for raw, side in ((base, "ancestor"), (ours, "ours"), (theirs, "theirs"))]
    except _Conflict as exc:
        return markers.whole(str(exc), ours, theirs)
    old, mine, other = _with_redactions(logs)
    try:
        if replay:
            _require_prefix(old, other, "theirs (the replayed commit)", path)
            extra = _replayed_entries(mine.entries, other.entries[len(old.entries) :])
            return MergeResult(_with_appended(mine, extra))
        _require_prefix(old, mine, "ours", path)
        _require_prefix(old, other, "theirs", path)
    except _Conflict as exc:
        return markers.whole(str(exc), ours, theirs)
    mine_new, other_new = mine.entries[len(old.entries) :], other.entries[len(old.entries) :]
    try:
        merged = _interleave(mine_new, other_new, path)
    except _Conflict as exc:
        return markers.tail(str(exc), mine.data, old.entries, mine_new, other_new)
    if len(merged) >= len(mine_new) and all(same(a, b) for a, b in zip(merged, mine_new, strict=False)):
        return MergeResult(_with_appended(mine, merged[len(mine_new) :]))
    return MergeResult(_document(mine.data, old.entries + merged))


def _with_redactions(logs: list[_Log]) -> list[_Log]:
    """A redaction one side made (recorded by a `meta/redact` entry) applies to every side's copy of that
    entry, so a branch that forked before it merges without putting the redacted value back."""
    records: set[Record] = set()
    for log in logs:
        records |= records_in(log.entries)
    if not records:
        return logs
    apply = redactor(records)
    out = []
    for log in logs:
        entries = [apply(index, entry) for index, entry in enumerate(log.entries)]
        if all(same(a, b) for a, b in zip(entries, log.entries, strict=True)):
            out.append(log)
        else:  # its bytes no longer say what it holds: it is written anew if it is the one kept
            out.append(_Log(b"", {**log.data, "entries": entries}, entries))
    return out


# --- reading ------------------------------------------------------------------------------------------------


def _read(raw: bytes, side: str, path: str) -> _Log:
    if not raw.strip():
        return _Log(raw, {}, [])  # a side (or the ancestor) without the file
    try:
        data = load_yaml(raw, f"{path} ({side})").data
    except SmallError as exc:
        raise _Conflict(f"{side}'s {path} cannot be read ({exc.message}); resolve it by hand") from None
    if data is None:
        return _Log(raw, {}, [])
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(entries, list | None):
        raise _Conflict(f"{side}'s {path} is not a progress log (a mapping with a list of entries); resolve it by hand")
    return _Log(raw, data, entries or [])


def _require_prefix(old: _Log, new: _Log, side: str, path: str) -> None:
    index = first_change(old.entries, new.entries)
    if index is None:
        return
    in_new, in_old = Index(new.entries), Index(old.entries)
    what = "moves" if in_new.holds(old.entries[index]) else "removes"
    if index < len(new.entries) and not in_old.holds(new.entries[index]):
        what = "changes"
    raise _Conflict(
        f"{side} {what} entries[{index}] of the common ancestor's {path}, which is "
        "append-only; restore that entry on the branch that changed it, then merge again"
    )


def _instant(entry: Any, path: str) -> int:
    try:
        return parse_ns(entry.get("timestamp") if isinstance(entry, dict) else None)
    except TimestampError as exc:
        raise _Conflict(
            f"a new entry of {path} has no usable timestamp ({exc}), so it cannot be ordered; place it by hand"
        ) from None


# --- merging ------------------------------------------------------------------------------------------------


def _interleave(mine: list[Any], other: list[Any], path: str) -> list[Any]:
    """Both sides' new entries by instant, each side's order kept; identical entries once."""
    mine_at = {_instant(entry, path): entry for entry in mine}
    for entry in other:
        instant = _instant(entry, path)
        if instant in mine_at and not same(mine_at[instant], entry):
            raise _Conflict(
                f"both sides added a different entry at {format_ns(instant)} "
                f"(ours: {_name(mine_at[instant])}; theirs: {_name(entry)}), and {path} cannot hold two "
                "entries at one instant; abort the merge (git merge --abort) and rebase one branch onto "
                "the other (git rebase <branch>): replayed entries are re-stamped after the upstream's"
            )
    merged: list[Any] = []
    i = j = 0
    while i < len(mine) and j < len(other):
        if same(mine[i], other[j]):
            merged.append(mine[i])
            i, j = i + 1, j + 1
        elif _instant(other[j], path) < _instant(mine[i], path):
            merged.append(other[j])
            j += 1
        else:
            merged.append(mine[i])
            i += 1
    merged += mine[i:]
    kept = {key(entry) for entry in merged}
    merged += [entry for entry in other[j:] if key(entry) not in kept]
    return merged


def _name(entry: Any) -> str:
    """`task-2 in_progress "ran the tests"`: enough to tell two entries of one task apart."""
    if not isinstance(entry, dict):
        return repr(entry)
    words = [str(entry[key]) for key in ("task_id", "status") if key in entry]
    evidence = next((entry[key] for key in ("evidence", "notes", "command", "commit") if key in entry), None)
    if isinstance(evidence, str):
        words.append(json.dumps(evidence if len(evidence) <= 40 else evidence[:39] + "…", ensure_ascii=False))
    return " ".join(words) or "an entry"


def _replayed_entries(upstream: list[Any], replayed: list[Any]) -> list[Any]:
    """The replayed commit's new entries, after upstream's: ones upstream already holds (as they are or
    re-stamped) are dropped, and timestamps that would not increase are re-stamped to last + 1 ns."""
    known = {key(_unstamped(entry)) for entry in upstream}
    last = max((i for i in (_safe_instant(e) for e in upstream) if i is not None), default=None)
    out: list[Any] = []
    for entry in replayed:
        if key(entry) in known:
            continue
        instant = _safe_instant(entry)
        if last is not None and (instant is None or instant <= last) and isinstance(entry, dict):
            instant = last + 1
            entry = _restamped(entry, instant)
        out.append(entry)
        if instant is not None:
            last = instant
    return out


def _safe_instant(entry: Any) -> int | None:
    try:
        return parse_ns(entry.get("timestamp") if isinstance(entry, dict) else None)
    except TimestampError:
        return None


def _restamped(entry: dict[str, Any], instant: int) -> dict[str, Any]:
    original = entry.get("timestamp")
    note = f"[re-stamped on replay; original timestamp {original if isinstance(original, str) else 'none'}]"
    notes = entry.get("notes")
    fields = {k: v for k, v in entry.items() if k not in ("notes", "timestamp")}
    fields["notes"] = f"{notes} {note}" if isinstance(notes, str) and notes else note
    fields["timestamp"] = format_ns(instant)  # last, as every writer of the log does
    return fields


def _unstamped(entry: Any) -> Any:
    """An entry as it was before a replay re-stamped it (the entry itself when it was not re-stamped)."""
    notes = entry.get("notes") if isinstance(entry, dict) else None
    if not isinstance(notes, str):
        return entry
    found = RESTAMP_NOTE.search(notes)
    if found is None:
        return entry
    original = {k: v for k, v in entry.items() if k != "notes"}
    kept = notes[: found.start()]
    if kept:
        original["notes"] = kept
    if found.group(1) != "none":
        original["timestamp"] = found.group(1)
    else:
        original.pop("timestamp", None)
    return original


# --- writing ------------------------------------------------------------------------------------------------


def _header(data: dict[str, Any]) -> dict[str, Any]:
    """The log's keys other than `entries`, `small_version` and `owner` first."""
    head: dict[str, Any] = {"small_version": data.get("small_version", "1.0.0"), "owner": data.get("owner", "agent")}
    head.update({k: v for k, v in data.items() if k not in ("small_version", "owner", "entries")})
    return head


def _document(data: dict[str, Any], entries: list[Any]) -> bytes:
    return emit_document({**_header(data), "entries": entries})


def _with_appended(log: _Log, extra: list[Any]) -> bytes:
    """`log` with `extra` appended: its bytes kept as they are when they can be extended (so the merge
    shows as a pure append), else the whole log rewritten in block style."""
    if not extra:
        return log.raw
    expected = log.entries + extra
    if log.raw.strip():
        head = log.raw if log.raw.endswith(b"\n") else log.raw + b"\n"
        for indent in _indents(log.raw):
            candidate = head + emit_items(extra, indent)
            found = _entries_of(candidate)
            if found is not None and same(found, expected) and _same_except_entries(candidate, log.data):
                return candidate
    return _document(log.data, expected)


def _indents(raw: bytes) -> list[int]:
    """The dash columns the log's items might use: the first item's, then the common ones."""
    found = re.search(rb"(?m)^entries:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*( *)- ", raw)
    first = [len(found.group(1))] if found else []
    return first + [i for i in (2, 0, 4) if i not in first]


def _entries_of(raw: bytes) -> list[Any] | None:
    try:
        data = load_yaml(raw, "merged log").data
    except SmallError:
        return None
    entries = data.get("entries") if isinstance(data, dict) else None
    return entries if isinstance(entries, list) else None


def _same_except_entries(raw: bytes, data: dict[str, Any]) -> bool:
    merged = load_yaml(raw, "merged log").data
    return isinstance(merged, dict) and same(
        {k: v for k, v in merged.items() if k != "entries"}, {k: v for k, v in data.items() if k != "entries"}
    )


@dataclass
class _Markers:
    size: int

    def _open(self, why: str) -> bytes:
        return f"# small-git merge driver: {why}\n{'<' * self.size} ours\n".encode()

    def _middle(self) -> bytes:
        return f"{'=' * self.size}\n".encode()

    def _close(self) -> bytes:
        return f"{'>' * self.size} theirs\n".encode()

    def whole(self, why: str, ours: bytes, theirs: bytes) -> MergeResult:
        def ended(raw: bytes) -> bytes:
            return raw if not raw or raw.endswith(b"\n") else raw + b"\n"

        return MergeResult(self._open(why) + ended(ours) + self._middle() + ended(theirs) + self._close(), why)

    def tail(self, why: str, data: dict[str, Any], common: list[Any], mine: list[Any], other: list[Any]) -> MergeResult:
        """The common entries as they are, then each side's new entries between markers."""
        text = emit_document(_header(data)) + b"entries:\n" + emit_items(common, 2)
        text += self._open(why) + emit_items(mine, 2) + self._middle() + emit_items(other, 2) + self._close()
        return MergeResult(text, why)


# --- git ----------------------------------------------------------------------------------------------------


def replaying(repo: Path, env: Mapping[str, str] | None = None) -> bool:
    """Whether git is replaying commits (rebase, cherry-pick, am) rather than merging branches. Git says so
    in GIT_REFLOG_ACTION (not always), in its state folders (rebase), or only through the command that runs
    the driver (cherry-pick)."""
    env = os.environ if env is None else env
    forced = env.get(REPLAY_ENV)
    if forced is not None and forced != "":
        return forced != "0"
    if _replay_action(env.get("GIT_REFLOG_ACTION", "")):
        return True
    for name in ("rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD"):
        try:
            if git.git_path(name, repo).exists():
                return True
        except SmallError:
            break
    return _replaying_process()


def _replay_action(action: str) -> bool:
    words = action.split()
    if not words:
        return False
    if words[0] in REPLAY_COMMANDS:
        return True
    return words[0] == "pull" and any(
        w in ("--rebase", "-r") or (w.startswith("--rebase=") and w != "--rebase=false") for w in words[1:]
    )


def _replaying_process() -> bool:
    """A rebase, cherry-pick or am replays; so, for the log, does a squash merge: its result is a commit with
    one parent, which the gates judge as an append to it, so the other side's entries go after ours."""
    found = nearest_command((*REPLAY_COMMANDS, "merge", "pull", "revert", "checkout", "switch", "stash"))
    if found is None:
        return False
    command, args = found
    if command in REPLAY_COMMANDS:
        return True
    if command == "merge":
        return option_in_effect(args, MERGE, "squash")
    if command == "pull":
        return _replay_action(" ".join(["pull", *args])) or option_in_effect(args, PULL, "squash")
    return False


# --- plan.small.yml -----------------------------------------------------------------------------------------


def merge_plan(
    base: bytes, ours: bytes, theirs: bytes, *, marker_size: int = 7, path: str = "plan.small.yml"
) -> MergeResult:
    """git's line merge when it is clean (it keeps the plan's formatting and comments); otherwise a merge by
    task id when the sides changed different tasks (written in block style); otherwise git's conflict."""
    text, conflicts = _line_merge(base, ours, theirs, marker_size)
    if conflicts == 0 and _tasks_by_id(text) is not None:
        return MergeResult(text)
    try:
        merged = _merge_tasks(base, ours, theirs, path)
    except _Conflict as exc:
        reason = str(exc)
        return MergeResult(f"# small-git merge driver: {reason}\n".encode() + text, reason)
    return MergeResult(emit_document(merged))


def _line_merge(base: bytes, ours: bytes, theirs: bytes, marker_size: int) -> tuple[bytes, int]:
    """`git merge-file -p`: (the merged text, the number of conflicts; -1 when git failed)."""
    with tempfile.TemporaryDirectory(prefix="small-git-merge-") as folder:
        names = []
        for name, raw in (("ours", ours), ("base", base), ("theirs", theirs)):
            target = Path(folder) / name
            target.write_bytes(raw)
            names.append(str(target))
        labels = ["-L", "ours", "-L", "ancestor", "-L", "theirs"]
        proc = runner.run(["merge-file", "-p", f"--marker-size={marker_size}", *labels, *names], check=False)
    if proc.returncode < 0 or proc.returncode > 127:
        return ours, -1
    return proc.stdout, proc.returncode


def _tasks_by_id(raw: bytes) -> dict[str, Any] | None:
    """The plan's tasks by id, or None when it is not a plan whose tasks have distinct string ids."""
    if not raw.strip():
        return {}
    try:
        data = load_yaml(raw, "plan").data
    except SmallError:
        return None
    tasks = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(tasks, list | None):
        return None
    found: dict[str, Any] = {}
    for task in tasks or []:
        task_id = task.get("id") if isinstance(task, dict) else None
        if not isinstance(task_id, str) or task_id in found:
            return None
        found[task_id] = task
    return found


def _merge_tasks(base: bytes, ours: bytes, theirs: bytes, path: str) -> dict[str, Any]:
    sides = [_tasks_by_id(raw) for raw in (base, ours, theirs)]
    if any(side is None for side in sides):
        raise _Conflict(f"a version of {path} is not a plan with distinct task ids; resolve it by hand")
    old, mine, other = (side or {} for side in sides)
    clashes = [
        task_id
        for task_id in {**mine, **other}
        if _differ(mine.get(task_id), other.get(task_id))
        and _differ(old.get(task_id), mine.get(task_id))
        and _differ(old.get(task_id), other.get(task_id))
    ]
    if clashes:
        raise _Conflict(
            f"both sides changed task {', '.join(clashes)} of {path}; resolve it task by task "
            "(see docs/review-and-merge.md)"
        )
    header = _three_way_keys(base, ours, theirs, path)
    chosen = {
        task_id: (other if not _differ(mine.get(task_id), old.get(task_id)) else mine).get(task_id)
        for task_id in {**old, **mine, **other}
    }
    order = [task_id for task_id in mine if chosen.get(task_id) is not None]
    other_ids = list(other)
    for index, task_id in enumerate(other_ids):
        if task_id in order or chosen.get(task_id) is None:
            continue
        # before the next task theirs lists after it, so tasks both sides appended stay in that order: ours first
        after = next((t for t in other_ids[index + 1 :] if t in order), None)
        order.insert(order.index(after) if after is not None else len(order), task_id)
    return {**header, "tasks": [chosen[task_id] for task_id in order]}


def _three_way_keys(base: bytes, ours: bytes, theirs: bytes, path: str) -> dict[str, Any]:
    """The plan's keys other than `tasks`, each taken from the side that changed it."""
    old, mine, other = (_mapping(raw) for raw in (base, ours, theirs))
    out: dict[str, Any] = {}
    for name in {**mine, **other}:
        if name == "tasks":
            continue
        if (
            _differ(mine.get(name), other.get(name))
            and _differ(old.get(name), mine.get(name))
            and _differ(old.get(name), other.get(name))
        ):
            raise _Conflict(f"both sides changed {name!r} of {path}; resolve it by hand")
        value = (other if not _differ(mine.get(name), old.get(name)) else mine).get(name, _ABSENT)
        if value is not _ABSENT:
            out[name] = value
    return _header(out)


def _differ(a: Any, b: Any) -> bool:
    return not same(a, b)


_ABSENT = object()


def _mapping(raw: bytes) -> dict[str, Any]:
    data = load_yaml(raw, "plan").data if raw.strip() else {}
    return data if isinstance(data, dict) else {}
