"""git small log and git small log --entries (blame) over a scripted history made by real git through the
installed hooks. Golden files pin the text; regenerate after a deliberate change with SMALL_UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from support.golden import matches_golden, writes_golden
from support.history import PHONE, Scripted, normalise

pytestmark = writes_golden  # a missing golden file is written for review


_OUTPUTS: dict[tuple[str, ...], str] = {}


def log(scripted: Scripted, *args: str) -> str:
    """The output of `git small log ARGS` (run once per module: the history does not change)."""
    key = (str(scripted.repo.path), *args)
    if key not in _OUTPUTS:
        proc = scripted.repo.small("log", *args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        _OUTPUTS[key] = proc.stdout
    return _OUTPUTS[key]


def log_json(scripted: Scripted, *args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(log(scripted, "--json", *args))
    return document


@pytest.mark.slow  # the first to ask for the scripted history, so that one worker builds it early
def test_log_tells_the_scripted_history_with_its_commits(scripted: Scripted) -> None:
    matches_golden(normalise(log(scripted), scripted), "history-log.txt")


def test_blame_names_the_commit_that_added_each_entry(scripted: Scripted) -> None:
    matches_golden(normalise(log(scripted, "--entries"), scripted), "history-blame.txt")
    assert log(scripted, "--entries") == scripted.repo.small("blame").stdout


def test_the_agents_attempt_was_refused_by_the_gate_and_log_shows_the_verdict(scripted: Scripted) -> None:
    assert "human-file-agent-change" in scripted.refused_stderr
    agent = scripted.commits["agent"]
    block = log(scripted).split(f"commit {agent}")[1].split("\ncommit ")[0]
    assert "Author:    Claude <noreply@anthropic.com>" in block
    assert ".small/constraints.small.yml changed (constraints): REFUSED" in block
    human = log(scripted).split(f"commit {scripted.commits['intent']}")[1].split("\ncommit ")[0]
    assert ".small/intent.small.yml changed (intent): accepted" in human


def test_json_carries_the_same_commits_entries_and_verdicts(scripted: Scripted) -> None:
    text = log(scripted)
    document = log_json(scripted)
    assert [c["sha"] for c in document["commits"]] == re.findall(r"^commit ([0-9a-f]{40})", text, re.MULTILINE)
    entries = [
        (e["index"], e["entry"]["task_id"]) for c in document["commits"] for w in c["workspaces"] for e in w["entries"]
    ]
    shown = re.findall(r"^    entries\[(\d+)\] (?:<?\S+ )?(\S+)", text, re.MULTILINE)
    assert len(entries) == len(shown)
    by_sha = {c["sha"]: c for c in document["commits"]}
    agent = by_sha[scripted.commits["agent"]]
    assert agent["author"] == {"name": "Claude", "email": "noreply@anthropic.com"}
    assert agent["signature"] == {"status": "N", "meaning": "none"}
    (change,) = agent["workspaces"][0]["human_changes"]
    assert change["verdict"] == "refused" and change["file"] == ".small/constraints.small.yml"
    assert any(f["rule"] == "human-file-agent-change" for f in agent["workspaces"][0]["findings"])
    redact = by_sha[scripted.commits["redact"]]["workspaces"][0]
    assert redact["redactions"] == [
        {"entry": 5, "field": "notes", "digest": redact["redactions"][0]["digest"], "reason": "personal data"}
    ]
    merge = by_sha[scripted.commits["merge"]]
    assert len(merge["parents"]) == 2 and merge["workspaces"][0]["merged_entries"] == [7]
    reconcile = by_sha[scripted.commits["head"]]["workspaces"][0]["reconciles"]
    assert len(reconcile) == 1 and reconcile[0]["index"] == 10
    assert reconcile[0]["from"] != reconcile[0]["to"]


def test_runs_name_the_commit_that_started_each(scripted: Scripted) -> None:
    runs = log_json(scripted)["runs"]
    assert [run["started_by"] for run in runs] == [scripted.commits["plan"], scripted.commits["reset"]]
    assert all(re.fullmatch(r"[0-9a-f]{64}", run["replay_id"]) for run in runs)
    assert runs[0]["replay_id"] != runs[1]["replay_id"]


def test_a_redacted_value_is_not_repeated_from_the_older_commit(scripted: Scripted) -> None:
    assert PHONE in scripted.repo.git("show", f"{scripted.commits['datum']}:.small/progress.small.yml").stdout
    for args in ((), ("--entries",), ("--json",), ("--entries", "--json")):
        assert "555-0100" not in log(scripted, *args)


def test_blame_attributes_entries_through_redaction_merge_and_rebase(scripted: Scripted) -> None:
    lines = {line["index"]: line for line in log_json(scripted, "--entries")["entries"]}
    assert lines[5]["commit"] == scripted.commits["datum"]  # redacted later, still added by its own commit
    assert lines[6]["commit"] == scripted.commits["redact"]
    assert lines[7]["commit"] == scripted.commits["branch"]  # came in through the merge
    assert lines[10]["commit"] == scripted.commits["head"]  # the reconcile entry
    assert lines[0]["author"] == {"name": "Ada Human", "email": "ada@example.com"}


def test_filters_by_task_author_and_run(scripted: Scripted) -> None:
    by_task = log_json(scripted, "--task", "task-3")
    tasks = {e["task_id"] for c in by_task["commits"] for w in c["workspaces"] for e in w["entries"]}
    assert tasks == {"task-3"}
    assert all(not w["human_changes"] for c in by_task["commits"] for w in c["workspaces"])
    by_author = log_json(scripted, "--author", "CLAUDE")
    assert [c["sha"] for c in by_author["commits"]] == [scripted.commits["agent"]]
    first_run = log_json(scripted)["runs"][0]["replay_id"]
    in_run = log_json(scripted, "--run", first_run[:10])
    shas = {c["sha"] for c in in_run["commits"]}
    assert scripted.commits["checkpoint"] in shas and scripted.commits["intent"] not in shas
    assert {e["task_id"] for e in log_json(scripted, "--entries", "--task", "task-2")["entries"]} == {"task-2"}


def test_a_range_shows_only_its_commits_and_blame_marks_older_entries(scripted: Scripted) -> None:
    document = log_json(scripted, f"{scripted.base}..HEAD")
    shas = [c["sha"] for c in document["commits"]]
    assert scripted.commits["init"] not in shas and scripted.commits["plan"] not in shas
    assert scripted.commits["checkpoint"] in shas
    blame = log(scripted, "--entries", f"{scripted.base}..HEAD").splitlines()
    assert blame[0].startswith("entries[0] (before the range) ")
    assert not blame[1].startswith("entries[1] (before the range)")


def test_reverse_puts_the_oldest_commit_first(scripted: Scripted) -> None:
    first = log(scripted, "--reverse").splitlines()[0]
    assert first == f"commit {scripted.commits['init']}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no-such-branch",), "is not a commit"),
        (("HEAD...main",), "use a two-dot range"),
        (("--dir", "/nonexistent/folder"), "is not a folder"),
    ],
)
def test_bad_input_is_a_usage_error_without_a_traceback(
    scripted: Scripted, args: tuple[str, ...], message: str
) -> None:
    proc = scripted.repo.small("log", *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_a_repository_with_no_workspace_has_an_empty_log(tmp_path: Path) -> None:
    from support.repo import Repo

    repo = Repo.create(tmp_path)
    repo.write("a.txt", "a\n")
    repo.commit("code only")
    proc = repo.small("log")
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(repo.small("log", "--json").stdout)["commits"] == []


def test_help_says_what_it_does_with_an_example(scripted: Scripted) -> None:
    for command in ("log", "blame"):
        proc = scripted.repo.small(command, "--help")
        assert proc.returncode == 0 and "git small " in proc.stdout.split("Example")[1]
