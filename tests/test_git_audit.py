"""The audit engine on States built from bytes: the append-only and merge rules, without git."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.workspace import FIRST_ENTRY, WORKSPACE_FILES, entry, progress_yaml

from small_git.gates.append_only import subsequence_findings
from small_git.gates.audit import judge_transition
from small_git.gates.context import AuditContext
from small_git.git.states import SYMLINK_PROBLEM, workspace_prefix, workspace_prefixes
from small_git.protocol.state import State

CTX = AuditContext(Path("."), stage="audit", label="commit abc")
E1, E2, E3, E4 = FIRST_ENTRY, entry("task-2", 1), entry("task-2", 2), entry("task-2", 3)


def state(entries: list[dict[str, str]] | None, progress_text: str | None = None) -> State:
    files: dict[str, bytes | None] = {k: v.encode() for k, v in WORKSPACE_FILES.items()}
    if progress_text is not None:
        files["progress"] = progress_text.encode()
    else:
        files["progress"] = None if entries is None else progress_yaml(entries).encode()
    return State.from_bytes(files)


def rules(findings: list) -> list[str]:
    return [f.rule for f in findings]


def test_append_is_accepted() -> None:
    assert judge_transition(state([E1]), state([E1, E2, E3]), None, context=CTX) == []


def test_reformatting_is_allowed() -> None:
    flow = (
        'small_version: "1.0.0"\nowner: "agent"\nentries: ['
        + ", ".join("{" + ", ".join(f'{k}: "{v}"' for k, v in e.items()) + "}" for e in (E1, E2))
        + "]\n"
    )
    assert judge_transition(state([E1]), state(None, flow), None, context=CTX) == []


@pytest.mark.parametrize(
    ("new", "rule", "words"),
    [
        ([dict(E1, evidence="rewritten"), E2], "progress-rewrite", "changes entries[0]"),
        ([dict(E1, timestamp="2025-01-04T09:00:00.000000000Z"), E2], "progress-rewrite", "re-timestamps entries[0]"),
        ([E2], "progress-entry-removed", "removes entries[0]"),
        ([E2, E1], "progress-reorder", "moves entries[0]"),
        ([], "progress-entry-removed", "removes entries[0]"),
    ],
)
def test_changing_old_entries_is_refused(new: list[dict[str, str]], rule: str, words: str) -> None:
    found = judge_transition(
        state([E1, E2]) if rule == "progress-reorder" else state([E1]), state(new), None, context=CTX
    )
    assert rules(found) == [rule]
    assert words in found[0].message and "task-1" in found[0].message
    assert found[0].file == ".small/progress.small.yml"
    assert "git small progress add" in (found[0].hint or "") or "rebase" in (found[0].hint or "")


def test_deleting_the_log_is_refused() -> None:
    assert rules(judge_transition(state([E1]), state(None), None, context=CTX)) == ["progress-deleted"]
    assert rules(judge_transition(state([E1]), None, None, context=CTX)) == ["progress-deleted"]


def test_new_entry_older_than_the_last_is_refused() -> None:
    found = judge_transition(state([E1, E3]), state([E1, E3, E2]), None, context=CTX)
    assert rules(found) == ["progress-timestamp-order"]
    assert "entries[2]" in found[0].message


def test_symlinked_canonical_file_is_refused() -> None:
    new = state([E1])
    new.files["plan"].raw = None
    new.files["plan"].problem = SYMLINK_PROBLEM
    assert "canonical-symlink" in rules(judge_transition(state([E1]), new, None, context=CTX))


def test_merge_interleaving_both_parents_is_accepted() -> None:
    ours, theirs = state([E1, E2]), state([E1, E3])
    assert judge_transition(ours, state([E1, E2, E3]), None, [ours, theirs], CTX) == []
    assert judge_transition(ours, state([E1, E2, E3, E4]), None, [ours, theirs], CTX) == []


def test_merge_losing_an_entry_is_refused() -> None:
    ours, theirs = state([E1, E2]), state([E1, E3])
    found = judge_transition(ours, state([E1, E2]), None, [ours, theirs], CTX)
    assert rules(found) == ["progress-merge-lost-entry"]
    assert "parent 2" in found[0].message
    changed = judge_transition(ours, state([E1, E2, dict(E3, evidence="x")]), None, [ours, theirs], CTX)
    assert rules(changed) == ["progress-merge-lost-entry"]


def test_merge_inserting_a_new_entry_between_old_ones_is_refused() -> None:
    ours, theirs = state([E1, E2]), state([E1, E4])
    found = judge_transition(ours, state([E1, E2, E3, E4]), None, [ours, theirs], CTX)
    assert rules(found) == ["progress-merge-inserted-entry"]


def test_merge_out_of_timestamp_order_is_refused() -> None:
    ours, theirs = state([E1, E3]), state([E1, E2])
    assert rules(judge_transition(ours, state([E1, E3, E2]), None, [ours, theirs], CTX)) == ["progress-timestamp-order"]


def test_force_push_keeps_old_entries_as_a_subsequence() -> None:
    assert subsequence_findings(state([E1, E3]), state([E1, E2, E3]), CTX) == []
    lost = subsequence_findings(state([E1, E3]), state([E1, E2]), CTX)
    assert rules(lost) == ["progress-force-push-lost-entry"]


def test_workspace_prefixes_come_from_paths() -> None:
    assert workspace_prefix(".small/plan.small.yml") == ""
    assert workspace_prefix("examples/demo/.small/plan.small.yml") == "examples/demo/"
    assert workspace_prefix(".small") == ""
    assert workspace_prefix("src/small.py") is None
    assert workspace_prefix(".small-drafts/intent.small.yml") is None
    assert workspace_prefixes(["a/.small/x", ".small/y", "b.txt"]) == ["", "a/"]


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_any_order_preserving_interleaving_merges_and_any_loss_is_refused(data: st.DataObject) -> None:
    ours_new = data.draw(st.integers(0, 4))
    theirs_new = data.draw(st.integers(0, 4))
    seconds = data.draw(
        st.lists(st.integers(1, 500), min_size=ours_new + theirs_new, max_size=ours_new + theirs_new, unique=True)
    )
    mine = sorted(seconds[:ours_new])
    other = sorted(seconds[ours_new:])
    ours = state([E1] + [entry("task-2", s) for s in mine])
    theirs = state([E1] + [entry("task-2", s) for s in other])
    merged = [E1] + [entry("task-2", s) for s in sorted(seconds)]  # interleaved by time
    assert judge_transition(ours, state(merged), None, [ours, theirs], CTX) == []
    if len(merged) > 1:
        drop = data.draw(st.integers(1, len(merged) - 1))
        lossy = merged[:drop] + merged[drop + 1 :]
        assert rules(judge_transition(ours, state(lossy), None, [ours, theirs], CTX)) == ["progress-merge-lost-entry"]
