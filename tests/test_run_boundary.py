"""A run's rules see that run's entries: the boundary is the entry `reset` (or `plan --reset`) appends, and the
plan/progress rules (plan-lags-progress, the evidence gate, S1, S2), `fix` and the lifecycle read only the
current run. Also what plan-lags-progress means (protocol/lifecycle.py), so that the reference's own flows pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.repo import Repo
from support.workspace import entry

from small_git.protocol import lifecycle
from small_git.protocol.run_boundary import current_run, run_start, starts_run


def boundary(task_id: str, notes: str | None = None) -> dict[str, Any]:
    return {"task_id": task_id, "status": "completed", "evidence": "x", **({"notes": notes} if notes else {})}


@pytest.mark.parametrize(
    ("item", "is_boundary"),
    [
        (boundary("meta/reset"), True),
        (boundary("meta/plan-reset"), True),
        (boundary("reset", "small reset"), True),  # the reference's reset
        (boundary("reset", "small reset --keep-intent"), True),
        (boundary("plan-reset", "small plan --reset"), True),  # the reference's plan --reset
        (boundary("reset"), False),  # a plan task that happens to be called reset
        (boundary("reset", "reset the parser state"), False),
        (boundary("meta/init"), False),
        (boundary("task-1"), False),
        ("not a mapping", False),
        ({"task_id": 7}, False),
    ],
)
def test_which_entries_start_a_run(item: Any, is_boundary: bool) -> None:
    assert starts_run(item) is is_boundary


def test_the_current_run_is_the_last_boundary_and_what_follows() -> None:
    log = [boundary("meta/init"), boundary("task-1"), boundary("meta/reset"), boundary("task-1"), boundary("x")]
    assert run_start(log) == 2 and current_run(log) == log[2:]
    log.append(boundary("reset", "small reset"))
    assert current_run(log) == log[-1:]
    assert run_start([boundary("task-1")]) == 0 and current_run([]) == []


OPEN, FINAL = ("pending", "in_progress", "blocked"), ("completed", "cancelled")


def expected_contradiction(plan: str, last: str, reopened: bool) -> bool:
    if plan == last or {plan, last} <= {"pending", "in_progress"}:
        return False
    return not (plan in FINAL and last in OPEN and not reopened)


@pytest.mark.parametrize("reopened", [False, True])
@pytest.mark.parametrize("last", OPEN + FINAL)
@pytest.mark.parametrize("plan", OPEN + FINAL)
def test_what_contradicts_the_plan(plan: str, last: str, reopened: bool) -> None:
    assert lifecycle.contradicts(plan, last, reopened) is expected_contradiction(plan, last, reopened)


def progress(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"entries": list(entries)}


def plan_of(**statuses: str) -> dict[str, Any]:
    return {"tasks": [{"id": task_id, "title": task_id, "status": s} for task_id, s in statuses.items()]}


def test_command_records_and_earlier_runs_are_not_moves() -> None:
    apply_record = {**entry("task-2", 2), "status": "completed", "command_sha256": "0" * 64}
    log = progress({**entry("task-1", 1), "status": "cancelled"}, boundary("meta/reset"), apply_record)
    assert {task: status for task, (status, _) in lifecycle.last_decisions(log).items()} == {"meta/reset": "completed"}
    assert lifecycle.lagging_tasks(plan_of(**{"task-1": "pending", "task-2": "pending"}), log) == []


def test_a_reopen_the_plan_has_not_followed_is_reported() -> None:
    reopened = {**entry("task-1", 2), "notes": "reopened from completed: flaky test"}
    log = progress({**entry("task-1", 1), "status": "completed"}, reopened)
    assert lifecycle.lagging_tasks(plan_of(**{"task-1": "completed"}), log) == [
        (0, "task-1", "completed", "in_progress")
    ]
    plain = progress({**entry("task-1", 1), "status": "completed"}, entry("task-1", 2))
    assert lifecycle.lagging_tasks(plan_of(**{"task-1": "completed"}), plain) == []  # the plan is ahead


# --- through the CLI and real git -------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo.create(tmp_path)
    assert repo.small("init").returncode == 0
    assert repo.small("install").returncode == 0
    return repo


def ok(repo: Repo, *args: str) -> str:
    result = repo.small(*args)
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result.stdout


def rules(repo: Repo, *args: str) -> list[str]:
    found = json.loads(repo.small("check", "--json", *args).stdout)["findings"]
    return [f["rule"] for f in found]


def test_a_new_run_after_a_cancelled_task_passes_check_fix_and_the_gate(repo: Repo) -> None:
    ok(repo, "checkpoint", "--task", "task-1", "--status", "cancelled", "--notes", "not needed")
    ok(repo, "reset", "--yes")
    assert rules(repo) == [] and rules(repo, "--strict") == []
    assert "Nothing to fix" in ok(repo, "fix")
    assert "cancelled" not in repo.read(".small/plan.small.yml")
    committed = repo.commit("a new run", check=False)
    assert committed.returncode == 0, committed.stderr


def test_an_earlier_runs_evidence_does_not_prove_this_runs_task(repo: Repo) -> None:
    ok(repo, "checkpoint", "--task", "task-1", "--status", "completed", "--evidence", "done in run 1")
    ok(repo, "reset", "--yes")
    plan = repo.read(".small/plan.small.yml").replace(
        'title: "Initial task"', 'title: "Initial task"\n    status: "completed"'
    )
    repo.write(".small/plan.small.yml", plan)
    assert rules(repo) == ["evidence-gate"]
    assert "S1" in rules(repo, "--strict")
    ok(repo, "progress", "add", "--task", "task-1", "--status", "completed", "--evidence", "done in run 2")
    assert rules(repo, "--strict") == []


def test_an_interrupted_reopen_is_reported_and_fixed(repo: Repo) -> None:
    ok(repo, "checkpoint", "--task", "task-1", "--status", "completed", "--evidence", "done")
    interrupted = repo.installed_small(  # the failpoint ends the process (os._exit): it needs one of its own
        *("checkpoint", "--task", "task-1", "--status", "in_progress", "--reopen"),
        env={"SMALL_TEST_FAILPOINT": "checkpoint-after-progress"},
    )
    assert interrupted.returncode == 99
    assert rules(repo) == ["plan-lags-progress"]
    assert "task-1 completed -> in_progress" in ok(repo, "fix")
    assert rules(repo) == []
