"""The progress.small.yml merge driver: the pure three-way merge, then real git merge, rebase, cherry-pick
and push with the driver installed by `git small install`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.repo import Repo, seed
from support.workspace import FIRST_ENTRY, WORKSPACE_FILES, entry, progress_yaml

from small_git.integration.merge_driver import merge_plan, merge_progress
from small_git.protocol.yamlsafe import load_yaml

PROGRESS = ".small/progress.small.yml"
E1, E2, E3, E4, E5 = (entry("task-2", second) for second in (1, 2, 3, 4, 5))


def log(*entries: dict[str, str]) -> bytes:
    return progress_yaml([FIRST_ENTRY, *entries]).encode()


def entries_of(raw: bytes | str) -> list[Any]:
    data = load_yaml(raw.encode() if isinstance(raw, str) else raw, "test").data
    assert isinstance(data, dict)
    return list(data["entries"])


# --- the merge itself -----------------------------------------------------------------------------------


def test_both_sides_new_entries_are_interleaved_by_time() -> None:
    result = merge_progress(log(E1), log(E1, E2, E4), log(E1, E3, E5))
    assert result.conflict is None
    assert entries_of(result.data) == [FIRST_ENTRY, E1, E2, E3, E4, E5]


def test_ours_bytes_are_kept_when_theirs_entries_all_come_later() -> None:
    ours = log(E1, E2)
    result = merge_progress(log(E1), ours, log(E1, E3))
    assert result.conflict is None
    assert result.data.startswith(ours)  # a pure append to our side
    assert entries_of(result.data) == [FIRST_ENTRY, E1, E2, E3]


def test_an_entry_both_sides_added_is_kept_once() -> None:
    result = merge_progress(log(), log(E1, E2), log(E1, E3))
    assert result.conflict is None
    assert entries_of(result.data) == [FIRST_ENTRY, E1, E2, E3]


def test_different_entries_at_the_same_instant_conflict() -> None:
    twin = dict(E2, task_id="task-1", evidence="the other side")
    result = merge_progress(log(E1), log(E1, E2), log(E1, twin))
    assert result.conflict is not None
    assert "2025-01-05T10:00:02.000000000Z" in result.conflict and "rebase" in result.conflict
    text = result.data.decode()
    assert "<<<<<<< ours" in text and "\n=======\n" in text and ">>>>>>> theirs" in text
    assert text.index("step 1") < text.index("<<<<<<<")  # the common entries stay outside the markers


def test_a_side_that_rewrote_the_ancestor_conflicts() -> None:
    rewritten = dict(E1, evidence="rewritten")
    result = merge_progress(log(E1), log(rewritten, E2), log(E1, E3))
    assert result.conflict is not None and "ours changes entries[1]" in result.conflict
    assert b"<<<<<<< ours" in result.data and b"rewritten" in result.data and b"step 3" in result.data


def test_unreadable_side_conflicts_with_both_versions_kept() -> None:
    result = merge_progress(log(E1), b"entries: [unclosed\n", log(E1, E3), marker_size=9)
    assert result.conflict is not None and "cannot be read" in result.conflict
    assert result.data.count(b"<<<<<<<<< ours") == 1 and b"entries: [unclosed" in result.data


def test_replay_puts_replayed_entries_after_upstream_and_restamps_them() -> None:
    late = entry("task-2", 9)
    result = merge_progress(log(), log(late), log(E1, E2), replay=True)
    assert result.conflict is None
    merged = entries_of(result.data)
    assert merged[:2] == [FIRST_ENTRY, late]
    assert [m["timestamp"] for m in merged[2:]] == ["2025-01-05T10:00:09.000000001Z", "2025-01-05T10:00:09.000000002Z"]
    assert "original timestamp 2025-01-05T10:00:01.000000000Z" in merged[2]["notes"]
    assert merged[2]["evidence"] == E1["evidence"]


def test_replay_keeps_times_that_are_already_in_order_and_existing_notes() -> None:
    noted = dict(E1, notes="first try")
    result = merge_progress(log(), log(E2), log(noted, E5), replay=True)
    merged = entries_of(result.data)
    assert merged[2]["notes"].startswith("first try [re-stamped on replay; original timestamp ")
    assert merged[3] == E5


def test_replay_of_a_later_commit_skips_entries_upstream_holds_restamped() -> None:
    late = entry("task-2", 9)
    first = merge_progress(log(), log(late), log(E1), replay=True).data
    second = merge_progress(log(E1), first, log(E1, E2), replay=True)
    merged = entries_of(second.data)
    assert len(merged) == 4 and merged[:3] == entries_of(first)
    assert merged[3]["evidence"] == E2["evidence"]


# --- real git ---------------------------------------------------------------------------------------------


@pytest.fixture
def repo(repo: Repo) -> Repo:
    seed(repo)  # installs the hooks and the drivers
    assert "merge-driver" in repo.git("config", "merge.small-progress.driver").stdout
    return repo


def branches_that_both_append(repo: Repo, mine: list[dict[str, str]], theirs: list[dict[str, str]]) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    for new in theirs:
        repo.append_progress(new)
        repo.commit(f"feature appends {new['evidence']}")
    repo.git("checkout", "-q", "main")
    for new in mine:
        repo.append_progress(new)
        repo.commit(f"main appends {new['evidence']}")


@pytest.mark.slow
def test_git_merge_interleaves_and_the_result_passes_every_gate(repo: Repo) -> None:
    branches_that_both_append(repo, [E1, E4], [E2, E3])
    merged = repo.git("merge", "--no-edit", "feature")  # pre-merge-commit judged the result
    assert "CONFLICT" not in merged.stdout
    assert len(repo.git("log", "-1", "--format=%P").stdout.split()) == 2
    assert entries_of(repo.read(PROGRESS)) == [FIRST_ENTRY, E1, E2, E3, E4]
    assert repo.small("check").returncode == 0
    audit = repo.small("audit")
    assert audit.returncode == 0, audit.stderr
    repo.append_progress(E5)
    repo.commit("append after the merge")  # pre-commit accepts the next append


def test_same_instant_entries_leave_a_conflict_that_says_so(repo: Repo) -> None:
    twin = dict(E2, evidence="other side")
    branches_that_both_append(repo, [E2], [twin])
    proc = repo.git("merge", "--no-edit", "feature", check=False)
    assert proc.returncode != 0 and "CONFLICT" in proc.stdout
    assert "different entry at 2025-01-05T10:00:02.000000000Z" in proc.stderr
    text = repo.read(PROGRESS)
    assert "# small-git merge driver: both sides added a different entry" in text
    assert "<<<<<<< ours" in text and ">>>>>>> theirs" in text
    assert PROGRESS in repo.git("diff", "--name-only", "--diff-filter=U").stdout


@pytest.mark.slow
def test_rebase_replays_entries_after_upstream_and_push_passes(tmp_path: Path, repo: Repo) -> None:
    remote = Repo.create(tmp_path, "remote.git", bare=True)
    repo.git("remote", "add", "origin", remote.path)
    branches_that_both_append(repo, [E3, E4], [E1, E2])  # the feature's entries are older
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "feature")
    repo.git("rebase", "main")  # no conflict: the driver replays both feature commits
    merged = entries_of(repo.read(PROGRESS))
    assert merged[:3] == [FIRST_ENTRY, E3, E4]
    assert [m["evidence"] for m in merged[3:]] == ["step 1", "step 2"]
    assert [m["timestamp"] for m in merged[3:]] == ["2025-01-05T10:00:04.000000001Z", "2025-01-05T10:00:04.000000002Z"]
    assert "original timestamp 2025-01-05T10:00:01.000000000Z" in merged[3]["notes"]
    assert repo.small("check").returncode == 0
    pushed = repo.git("push", "origin", "feature", check=False)  # the pre-push gate judges each commit
    assert pushed.returncode == 0, pushed.stderr
    assert repo.small("audit", "origin/main..HEAD").returncode == 0


@pytest.mark.slow
def test_cherry_pick_is_a_replay_too(repo: Repo) -> None:
    branches_that_both_append(repo, [E3], [E1])
    repo.git("cherry-pick", "feature")
    merged = entries_of(repo.read(PROGRESS))
    assert merged[:2] == [FIRST_ENTRY, E3]
    assert merged[2]["timestamp"] == "2025-01-05T10:00:03.000000001Z"
    assert repo.small("audit").returncode == 0


def test_merge_driver_usage_errors_exit_2(repo: Repo) -> None:
    proc = repo.small("merge-driver", "only-one")
    assert proc.returncode == 2 and "3 to 5 arguments" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- plan.small.yml -----------------------------------------------------------------------------------------

PLAN = ".small/plan.small.yml"
BASE_PLAN = WORKSPACE_FILES["plan"]


def with_task(plan: str, task_id: str, title: str, status: str = "pending") -> str:
    return plan + f'  - id: "{task_id}"\n    title: "{title}"\n    status: "{status}"\n'


def task_ids(raw: bytes | str) -> list[tuple[str, str]]:
    data = load_yaml(raw.encode() if isinstance(raw, str) else raw, "test").data
    assert isinstance(data, dict)
    return [(task["id"], task["status"]) for task in data["tasks"]]


def test_plan_tasks_added_on_both_sides_are_merged_by_id() -> None:
    ours = with_task(BASE_PLAN, "task-3", "Ours")
    theirs = with_task(BASE_PLAN.replace('"in_progress"', '"blocked"'), "task-4", "Theirs")
    result = merge_plan(BASE_PLAN.encode(), ours.encode(), theirs.encode())
    assert result.conflict is None
    assert task_ids(result.data) == [
        ("task-1", "completed"),
        ("task-2", "blocked"),
        ("task-3", "pending"),
        ("task-4", "pending"),
    ]


def test_plan_line_merge_that_is_clean_keeps_comments() -> None:
    base = "# the plan\n" + BASE_PLAN
    ours = base.replace('"completed"', '"completed"  # done early')
    theirs = with_task(base, "task-3", "Theirs")
    result = merge_plan(base.encode(), ours.encode(), theirs.encode())
    assert result.conflict is None
    assert result.data.decode() == with_task(ours, "task-3", "Theirs")


def test_plan_task_changed_differently_on_both_sides_conflicts() -> None:
    ours = BASE_PLAN.replace('"in_progress"', '"completed"')
    theirs = BASE_PLAN.replace('"in_progress"', '"blocked"')
    result = merge_plan(BASE_PLAN.encode(), ours.encode(), theirs.encode())
    assert result.conflict is not None and "both sides changed task task-2" in result.conflict
    assert b"<<<<<<< ours" in result.data and b">>>>>>> theirs" in result.data


@pytest.mark.slow
def test_git_merge_of_tasks_added_on_both_branches(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(PLAN, with_task(repo.read(PLAN), "task-4", "Feature work"))
    repo.commit("feature plans task-4")
    repo.git("checkout", "-q", "main")
    repo.write(PLAN, with_task(repo.read(PLAN), "task-3", "Main work"))
    repo.commit("main plans task-3")
    repo.git("merge", "--no-edit", "feature")
    assert [task for task, _ in task_ids(repo.read(PLAN))] == ["task-1", "task-2", "task-3", "task-4"]
    assert repo.small("check").returncode == 0
