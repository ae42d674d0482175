"""Lineage after history rewrites (spec §6.4): when a rebase or amend rewrites commits that progress cites,
append reconcile entries mapping each old commit to its new one. Old entries are never edited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from small_git.gates.tipcheck import RECONCILE_TASK_ID, REWRITE_TYPE, cited_commits, rewrite_of, same_commit
from small_git.git.evidence import SHORT_SHA_LENGTH
from small_git.protocol.artifacts import display_path
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import append_entries
from small_git.store.reader import read_state


def parse_rewrite_lines(text: str) -> list[tuple[str, str]]:
    """git's post-rewrite input: one `<old-sha> <new-sha> [<extra>]` per line."""
    pairs = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            pairs.append((fields[0].lower(), fields[1].lower()))
    return pairs


def reconcile_entries(entries: list[Any], rewrites: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The entries to append so that every cited commit that was rewritten maps to its new commit.

    A mapping the log already holds (later than the citation) is not written again, so running this twice for
    the same rewrite appends nothing the second time.
    """
    mapped = [(i, rewrite) for i, e in enumerate(entries) if (rewrite := rewrite_of(e)) is not None]
    new_entries: list[dict[str, Any]] = []
    planned: set[tuple[str, str]] = set()
    for index, cited in cited_commits(entries):
        target = next((new for old, new in rewrites if same_commit(old, cited)), None)
        if target is None:
            continue
        short_new = target[:SHORT_SHA_LENGTH]
        if same_commit(short_new, cited):
            continue  # git reported a commit as rewritten into itself
        already = any(j > index and same_commit(old, cited) and same_commit(new, short_new) for j, (old, new) in mapped)
        key = (cited.lower(), short_new)
        if already or key in planned:
            continue
        planned.add(key)
        new_entries.append(
            {
                "task_id": RECONCILE_TASK_ID,
                "commit": short_new,
                "evidence": {"type": REWRITE_TYPE, "from": cited, "to": short_new},
                "notes": f"git rewrote commit {cited} as {short_new} (rebase or amend); "
                f"entries[{index}] cites the old one",
            }
        )
    return new_entries


def reconcile_after_rewrite(root: Path, rewrites: list[tuple[str, str]]) -> int:
    """post-rewrite hook: for cited commits that were rewritten (old->new from git's post-rewrite stdin),
    append reconcile entries (task_id `meta/reconcile-commits`, evidence naming old->new,
    commit = new 12-hex).
    Returns how many entries were appended (0 when the workspace has no progress log or nothing cited)."""
    if not rewrites or not (root / display_path("progress")).is_file():
        return 0
    with workspace_lock(root):  # read and append under one lock, so a concurrent append cannot be missed
        data = read_state(root).data("progress")
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            return 0
        new_entries = reconcile_entries(entries, rewrites)
        if new_entries:
            append_entries(root, new_entries, locked=True)
    return len(new_entries)
