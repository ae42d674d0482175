"""`check` after an append reads only what was appended (spec §6.1, at the prompt).

A clean check of a long log is remembered in the git directory (`small-git/check/`, never the work tree): the
log's length and SHA-256, the other files' SHA-256, the options, and the facts of the log
(`protocol.append.LogFacts`). The next check of the same workspace with the same options, when the other
files are unchanged and the log's first bytes hash to the remembered log, checks only the added entries:
- they are read on their own only when that provably gives what reading the whole log gives
  (`protocol.append.appended_in`), start no new run, and their timestamps strictly increase from the old
  log's last entry (read from the log's own lines);
- the workspace with only the added entries in its log gets no finding, warning or notice, except the
  evidence gate, which entries of the remembered (clean) log in the same run satisfy.
Then the whole check is clean too, and is answered so; anything else checks the whole workspace. A memo that
does not verify, is about another workspace, or does not fit is ignored; deleting the folder is always safe.
The folder is as trusted as the git directory holding it (which also holds the hooks).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from small_git.errors import SmallError
from small_git.git import plumbing as git
from small_git.git.runner import GitError
from small_git.protocol.append import FORMAT, LogFacts, appended_in, extended, last_instant_in, log_facts
from small_git.protocol.artifacts import ALL_FILES, LONG_LOG_BYTES
from small_git.protocol.checker import STAGES, CheckOptions, CheckResult, check_state
from small_git.protocol.run_boundary import starts_run
from small_git.protocol.state import FileEntry, State
from small_git.protocol.timestamps import TimestampError, parse_ns
from small_git.store.atomic import write_cache_file

MEMO_DIR = "small-git/check"
MONOTONE_RULES = frozenset({"evidence-gate", "S1"})  # more entries in the same run can only satisfy them


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _others(state: State) -> dict[str, Any]:
    """What the check reads besides the log: the other files, problems, the layout of `.small/`."""
    files = {kind: [_digest(e.raw), e.problem] for kind, e in state.files.items() if kind != "progress"}
    layout = [[e.name, e.is_dir] for e in state.layout] if state.layout is not None else None
    return {"files": files, "layout": layout, "prefix": state.prefix, "limits": repr(state.limits.__slots__)}


def _options(options: CheckOptions, state: State) -> dict[str, Any]:
    limits = state.limits
    return {
        "strict": options.strict,
        "scope": options.scope,
        "stages": list(options.stages),
        "format_strict": options.format_strict,
        "notices": options.notices,
        "limits": [limits.max_bytes, limits.max_depth, limits.max_alias_nodes],
    }


def _checksum(value: object) -> str:
    text = json.dumps([FORMAT, value], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class CheckMemo:
    """The remembered clean check of the workspace at `root`, kept in `folder` (by default the git
    directory's `small-git/check/`, looked up only for a long log; None when there is none)."""

    def __init__(self, root: Path, folder: Path | None = None, long_log: int = LONG_LOG_BYTES) -> None:
        self.root = root
        self.long_log = long_log
        self.answered = False  # whether the last check was answered from the memo (for tests and benchmarks)
        self._folder = folder
        self._looked_up = folder is not None

    @property
    def folder(self) -> Path | None:
        if not self._looked_up:
            self._looked_up = True
            try:
                self._folder = git.git_path(MEMO_DIR, self.root)
            except (GitError, SmallError, OSError):
                self._folder = None  # not in a git repository: every check reads the whole workspace
        return self._folder

    def _file(self, options: dict[str, Any]) -> Path | None:
        if self.folder is None:
            return None
        key = _checksum([str(self.root.resolve()), options])
        return self.folder / f"{key[:40]}.json"

    def _load(self, options: dict[str, Any]) -> dict[str, Any] | None:
        path = self._file(options)
        if path is None:
            return None
        try:
            stored = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("check") != _checksum(stored.get("memo")):
            return None
        memo = stored.get("memo")
        if not isinstance(memo, dict) or memo.get("root") != str(self.root.resolve()) or memo.get("options") != options:
            return None
        return memo

    def _save(self, options: dict[str, Any], state: State, raw: bytes, facts: LogFacts) -> None:
        path = self._file(options)
        if path is None:
            return
        memo = {
            "root": str(self.root.resolve()),
            "options": options,
            "size": len(raw),
            "digest": _digest(raw),
            "others": _others(state),
            "facts": facts.to_json(),
        }
        # unwritable (a read-only git directory): the next check reads the whole log again
        write_cache_file(path, json.dumps({"memo": memo, "check": _checksum(memo)}).encode())

    # --- checking -------------------------------------------------------------------------------------------

    def check(self, state: State, options: CheckOptions) -> CheckResult:
        """`check_state(state, options)`, from the added entries alone when that provably gives the same."""
        entry = state.files["progress"]
        raw = entry.raw
        self.answered = False
        if raw is None or len(raw) < self.long_log or entry.problem is not None or self.folder is None:
            return check_state(state, options=options)
        key = _options(options, state)
        memo = self._load(key)
        if memo is not None:
            answered = _from_memo(memo, state, raw, options)
            if answered is not None:
                result, facts = answered
                self._save(key, state, raw, facts)
                self.answered = True
                return result
        self.answered = False
        result = check_state(state, options=options)
        if not result.findings and not result.warnings and not result.notices:
            try:
                learnt = log_facts(raw, state.load("progress"))
            except SmallError:
                learnt = None
            if learnt is not None:
                self._save(key, state, raw, learnt)
        return result


def _clean(options: CheckOptions) -> CheckResult:
    return CheckResult(stages={stage: "ok" if stage in options.stages else "skipped" for stage in STAGES})


def _from_memo(
    memo: dict[str, Any], state: State, raw: bytes, options: CheckOptions
) -> tuple[CheckResult, LogFacts] | None:
    """The clean result and the new log's facts, or None when the added entries alone do not prove it."""
    facts = LogFacts.from_json(memo.get("facts"))
    size = memo.get("size")
    if facts is None or type(size) is not int or not 0 < size <= len(raw) or facts.size != size:
        return None
    if memo.get("others") != _others(state) or memo.get("digest") != _digest(raw[:size]):
        return None
    if size == len(raw):
        return _clean(options), facts  # the very workspace found clean
    path = state.path("progress")

    def read(start: int, end: int) -> bytes:
        return raw[start:end]

    added = appended_in(facts, read, size, len(raw), path, state.limits)
    if added is None:
        return None
    found, before = last_instant_in(facts, read, size, path, state.limits)
    if not found or before is None:
        return None
    for item in added.entries:
        if not isinstance(item, dict) or starts_run(item):
            return None
        try:
            now = parse_ns(item.get("timestamp"))
        except TimestampError:
            return None
        if now is None or now <= before:
            return None
        before = now
    files = {kind: FileEntry(e.kind, e.path, e.raw, e.problem, e.oid) for kind, e in state.files.items()}
    files["progress"] = FileEntry("progress", path, b"")  # stands for the added entries
    partial = State(files, state.layout, state.prefix, state.limits)
    partial._docs["progress"] = added.doc
    for kind in ALL_FILES:
        if kind != "progress" and kind in state._docs:
            partial._docs[kind] = state._docs[kind]
    try:
        result = check_state(partial, options=options)
    except SmallError:
        return None
    if result.warnings or result.notices or any(f.rule not in MONOTONE_RULES for f in result.findings):
        return None
    return _clean(options), extended(facts, len(raw), added)
