"""The append fast path of the audit engine (spec §6.1, §6.2): a commit that only appends entries to its
parent's log is judged by reading the added entries, not the whole log.

`fast_accept` answers True only when the full judgement (`audit.judge_transition`) would find nothing, and
False whenever that is not proven: then the full judgement runs and words every finding. So the fast path
can change how long a verdict takes, never what it is. It holds when:
- the commit has one parent, nothing in either workspace is a symlink, a folder or listed twice, the
  human-owned files and the plan keep their bytes, and the log's new bytes begin with its old bytes;
- the added entries can be read on their own (`protocol.append.appended`: no anchors or aliases across the
  cut, the header unchanged, block style) and start no new run;
- their timestamps strictly increase from the old log's last entry on (read from the old log's own last
  lines, not from any stored fact);
- the workspace with only the added entries in its log passes `check` (the rules `check` applies to the whole
  log give the same answer for those entries; the evidence gate can only pass more often as entries are
  added, so its findings there are the old entries' business), and they hold no secret or insecure link,
  and the other changed files gain none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from small_git.errors import SmallError
from small_git.gates.append_only import instant
from small_git.gates.content import JUDGED_FILES, file_findings
from small_git.gates.context import AuditContext
from small_git.gates.facts import FactsCache
from small_git.protocol.append import Appended, LogFacts, Reader, appended_in, extended, last_instant_in
from small_git.protocol.artifacts import HUMAN_OWNED
from small_git.protocol.findings import ERROR
from small_git.protocol.run_boundary import starts_run
from small_git.protocol.secrets import find_insecure_links, find_secrets
from small_git.protocol.state import FileEntry, State

MONOTONE_RULES = frozenset({"evidence-gate"})  # more entries can only satisfy them


def facts_cache(ctx: AuditContext) -> FactsCache:
    if ctx.facts is None:
        ctx.facts = FactsCache(ctx.repo, persist=not ctx.quarantined)
    return ctx.facts


def _same(old: State, new: State, kind: str) -> bool:
    a, b = old.files[kind], new.files[kind]
    return (a.raw, a.problem) == (b.raw, b.problem)


def fast_accept(parents: Sequence[State | None], new: State | None, ctx: AuditContext) -> bool:
    """True only when the full judgement of this transition finds nothing (see the module docstring)."""
    if len(parents) != 1 or parents[0] is None or new is None or not ctx.fast_path:
        return False
    old = parents[0]
    if old.prefix != new.prefix or old.limits != new.limits:
        return False
    if any(e.problem is not None for e in old.files.values()) or any(e.problem is not None for e in new.files.values()):
        return False
    if not all(_same(old, new, kind) for kind in (*HUMAN_OWNED, "plan")):
        return False
    cut = _cut(old.files["progress"], new.files["progress"])
    if cut is None:
        return False
    cache = facts_cache(ctx)
    facts = cache.of(old)
    if facts is None:
        return False
    path = new.path("progress")
    added = appended_in(facts, cut.read, cut.old_size, cut.new_size, path, new.limits)
    if added is None or not _entries_pass(facts, cut, added, path, old, ctx):
        return False
    if ctx.judge_validity and not _valid(old, new, added, ctx):
        return False
    new_oid = new.files["progress"].oid
    if new_oid:
        # kept at the prompt; in a quarantine only once the push is accepted (FactsCache.keep)
        cache.remember(extended(facts, cut.new_size, added, new_oid), persist=ctx.local or ctx.quarantined)
    return True


@dataclass(frozen=True)
class _Cut:
    """A new log proven to begin with the old one: `read(start, end)` gives the new log's bytes."""

    old_size: int
    new_size: int
    read: Reader


def _cut(old: FileEntry, new: FileEntry) -> _Cut | None:
    """The proof that the new log begins with the old one's bytes and is longer, or None. Logs kept in
    git's packs are compared through their deltas (neither is read whole); others byte for byte."""
    old_lazy, new_lazy = old.lazy, new.lazy
    if old_lazy is not None and new_lazy is not None:
        size = new_lazy.extends(old_lazy)
        if size is not None and size == old_lazy.size:
            return _Cut(size, new_lazy.size, new_lazy.slice)
    old_raw, new_raw = old.raw, new.raw
    if old_raw is None or new_raw is None or len(new_raw) <= len(old_raw) or not new_raw.startswith(old_raw):
        return None
    return _Cut(len(old_raw), len(new_raw), lambda start, end: new_raw[start:end])


def _entries_pass(facts: LogFacts, cut: _Cut, added: Appended, path: str, old: State, ctx: AuditContext) -> bool:
    """The append-only rule for the added entries: strictly later timestamps, no new run."""
    # the old log is the new one's first old_size bytes
    read, before = last_instant_in(facts, cut.read, cut.old_size, path, old.limits)
    if not read or (before is None and ctx.judge_validity):
        return False  # `check` compares with the last valid timestamp, which may be further back
    for entry in added.entries:
        if starts_run(entry) or not isinstance(entry, dict):
            return False
        now = instant(entry)
        if now is None:
            if not ctx.judge_validity:
                return False  # the gate's own timestamp rule words it
        elif before is not None and now <= before:
            return False
        before = now
    return True


def _valid(old: State, new: State, added: Appended, ctx: AuditContext) -> bool:
    """`check` of the workspace with only the added entries, and the content rules for what is new."""
    from small_git.protocol.checker import CheckOptions, check_state

    files = {
        kind: FileEntry(e.kind, e.path, e.raw, e.problem, e.oid) for kind, e in new.files.items() if kind != "progress"
    }
    progress = new.files["progress"]
    files["progress"] = FileEntry(progress.kind, progress.path, b"", None, None)  # stands for the added entries
    partial = State(files, new.layout, new.prefix, new.limits)
    partial._docs["progress"] = added.doc
    try:
        found = check_state(partial, options=CheckOptions(scope="any")).findings
    except SmallError:
        return False
    if any(f.severity == ERROR and f.rule not in MONOTONE_RULES for f in found):
        return False
    for entry in added.entries:
        if find_secrets(entry) or find_insecure_links(entry, allow_loopback=True):
            return False
    return not any(file_findings([old], new, kind, ctx) for kind in JUDGED_FILES)
