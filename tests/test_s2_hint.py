"""The S2 finding's fix hint names only what really fixes it (it used to suggest `small plan --add`, which
numbers its own ids, and a `meta/reconcile-plan` entry, which S2 ignores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.repo import Repo, plain_workspace
from support.workspace import FIRST_ENTRY, entry

REPLAY_ID = "46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0"  # the fixture handoff's


@pytest.fixture
def orphaned(tmp_path: Path) -> Repo:
    repo = plain_workspace(tmp_path)
    repo.write_progress([FIRST_ENTRY, dict(entry("task-9", 1), replayId=REPLAY_ID)])
    return repo


def strict_findings(repo: Repo) -> list[dict[str, str]]:
    result = repo.small("check", "--strict", "--json")
    findings: list[dict[str, str]] = json.loads(result.stdout)["findings"]
    return findings


def s2_of(repo: Repo) -> dict[str, str] | None:
    return next((f for f in strict_findings(repo) if f["rule"] == "S2"), None)


def test_the_hint_names_no_command_that_cannot_fix_it(orphaned: Repo) -> None:
    finding = s2_of(orphaned)
    assert finding is not None
    assert "task-9" in finding["message"]
    assert "plan --add" not in finding["hint"] and "reconcile" not in finding["hint"]
    assert 'add them to .small/plan.small.yml by hand (- id: "task-9"' in finding["hint"]
    assert "small reset --yes" in finding["hint"]


def test_what_the_old_hint_said_does_not_fix_it(orphaned: Repo) -> None:
    assert orphaned.small("plan", "--add", "task-9").returncode == 0
    orphaned.append_progress({**entry("meta/reconcile-plan", 2), "replayId": REPLAY_ID})
    assert s2_of(orphaned) is not None


def test_adding_the_task_by_hand_as_the_hint_says_fixes_it(orphaned: Repo) -> None:
    plan = orphaned.read(".small/plan.small.yml") + '  - id: "task-9"\n    title: "Recovered task"\n'
    orphaned.write(".small/plan.small.yml", plan)
    assert s2_of(orphaned) is None


def test_starting_a_new_run_as_the_hint_says_fixes_it(orphaned: Repo) -> None:
    assert orphaned.small("reset", "--yes").returncode == 0
    assert s2_of(orphaned) is None
