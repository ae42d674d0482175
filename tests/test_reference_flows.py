"""The reference CLI's own ordinary flows pass small-git's `check` and its gates, so a team where some people
use the reference gets no commit refused; and what small-git writes keeps working with the reference (spec §4,
last point) — where it cannot, docs/conformance.md says why (the reference's handoff after a cancelled task)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import run_reference
from support.paths import needs_reference
from support.repo import Repo

pytestmark = needs_reference


class Team:
    """One repository, both tools, small-git's gates installed."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def ref(self, *args: str) -> str:
        result = run_reference(self.repo.path, *args, env=self.repo.env)
        assert result.returncode == 0, f"small-ref {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def small(self, *args: str) -> str:
        result = self.repo.small(*args)
        assert result.returncode == 0, f"small {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def findings(self, *args: str) -> list[str]:
        result = self.repo.small("check", "--json", *args)
        return [f"{f['rule']}: {f['message']}" for f in json.loads(result.stdout)["findings"]]

    def assert_accepted(self, what: str) -> None:
        assert self.findings() == [], what
        assert self.findings("--strict") == [], what
        strict = run_reference(self.repo.path, "check", "--strict", env=self.repo.env)
        assert strict.returncode == 0, f"{what}: the reference's own check --strict\n{strict.stderr}"
        committed = self.repo.commit(what, check=False)
        assert committed.returncode == 0, f"{what}: the commit was refused\n{committed.stderr}"


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    repo = Repo.create(tmp_path)
    both = Team(repo)
    both.ref("init")
    both.small("install")
    repo.commit("start")
    yield both


def test_apply_records_a_completed_command_without_moving_the_plan(team: Team) -> None:
    team.ref("plan", "--add", "A")
    team.ref("apply", "--task", "task-2", "--cmd", "true")
    team.assert_accepted("small-ref plan --add A && small-ref apply --task task-2 --cmd true")


def test_plan_done_after_an_entry_records_nothing_new(team: Team) -> None:
    team.ref("plan", "--add", "A")
    team.ref("plan", "--pending", "task-2")
    team.ref("plan", "--done", "task-2")
    team.assert_accepted("small-ref plan --pending task-2 && small-ref plan --done task-2")


def test_a_failed_apply_and_a_blocked_checkpoint(team: Team) -> None:
    team.ref("plan", "--add", "A")
    result = run_reference(team.repo.path, "apply", "--task", "task-2", "--cmd", "false", env=team.repo.env)
    assert result.returncode != 0
    team.ref("checkpoint", "--task", "task-2", "--status", "blocked", "--evidence", "needs a fix upstream")
    team.assert_accepted("small-ref apply of a failing command, then a blocked checkpoint")


def test_the_references_reset_starts_a_run_too(team: Team) -> None:
    team.small("checkpoint", "--task", "task-1", "--status", "cancelled", "--notes", "not needed")
    team.ref("reset", "--yes", "--keep-intent")
    # the reference's own strict S2 fails on the `reset` entry it writes (it is not meta/): both tools agree
    assert team.findings() == []
    assert [f.split(":")[0] for f in team.findings("--strict")] == ["S2"]
    committed = team.repo.commit("small-ref reset", check=False)
    assert committed.returncode == 0, committed.stderr


def test_after_a_cancelled_task_the_references_handoff_refuses_and_small_gits_works(team: Team) -> None:
    """Documented in docs/conformance.md: the reference has no cancelled status in its flow (its checkpoint
    takes completed or blocked), and its handoff refuses every task that has progress but is neither."""
    team.small("checkpoint", "--task", "task-1", "--status", "cancelled", "--notes", "not needed")
    refused = run_reference(team.repo.path, "handoff", env=team.repo.env)
    assert refused.returncode != 0 and "dangling tasks detected" in refused.stderr
    assert "task-1: Initial task (status: cancelled)" in refused.stdout + refused.stderr
    team.small("handoff")
    team.assert_accepted("small checkpoint --status cancelled, then small handoff")
