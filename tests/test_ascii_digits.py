"""Patterns that mean ASCII say so (issue: a timestamp written with full-width or Arabic-Indic digits was
accepted by `check`, `progress add` and every gate, because Python's `\\d` and `int()` take any Unicode digit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import FIRST_ENTRY, VENV_BIN, entry, plain_workspace, seeded_repo

from small_git.gates.redaction import parse_field_path
from small_git.protocol.timestamps import TimestampError, parse_ns

FULL_WIDTH = "２０２５-01-05T10:00:00.000000000Z"
ARABIC_INDIC = "٢٠٢٩-01-05T10:00:00.000000000Z"
NON_ASCII_STAMPS = [
    FULL_WIDTH,
    ARABIC_INDIC,
    "2025-01-05T1٠:00:00.000000000Z",  # one Arabic-Indic digit in the hour
    "2025-01-05T10:00:00.٠٠٠Z",  # in the fraction
    "2025-01-05T10:00:00.000+０２:00",  # in the offset
    "२०२५-०१-०५T10:00:00.0Z",  # Devanagari
]


@pytest.mark.parametrize("stamp", NON_ASCII_STAMPS)
def test_a_timestamp_needs_ascii_digits(stamp: str) -> None:
    with pytest.raises(TimestampError):
        parse_ns(stamp)


def test_the_same_timestamp_in_ascii_digits_is_fine() -> None:
    assert parse_ns("2025-01-05T10:00:00.000000000Z") == parse_ns("2025-01-05T11:00:00.000+01:00")


@pytest.mark.parametrize("stamp", [FULL_WIDTH, ARABIC_INDIC])
def test_check_refuses_a_non_ascii_timestamp(tmp_path: Path, stamp: str) -> None:
    repo = plain_workspace(tmp_path)
    repo.write_progress([FIRST_ENTRY, dict(entry("task-2", 1), timestamp=stamp)])
    result = repo.small("check", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert [f["rule"] for f in document["findings"]] == ["timestamp"]
    assert document["findings"][0]["pointer"] == "/entries/1/timestamp"


@pytest.mark.parametrize("flag", ["--at", "--after"])
def test_progress_add_refuses_a_non_ascii_timestamp(tmp_path: Path, flag: str) -> None:
    repo = plain_workspace(tmp_path)
    before = repo.read(".small/progress.small.yml")
    result = repo.small(
        "progress", "add", "--task", "task-2", "--status", "in_progress", flag, FULL_WIDTH, "--no-commit-evidence"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "invalid timestamp" in result.stderr
    assert repo.read(".small/progress.small.yml") == before


def test_pre_commit_refuses_an_entry_with_a_non_ascii_timestamp(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path)
    repo.append_progress(dict(entry("task-2", 1), timestamp=ARABIC_INDIC))
    result = repo.commit("an entry from another tool", check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "timestamp" in result.stderr


def test_a_limit_written_in_other_digits_is_a_usage_error(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    result = repo.run(str(VENV_BIN / "small"), "check", env={"SMALL_MAX_FILE_BYTES": "６４００００００"}, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "SMALL_MAX_FILE_BYTES" in result.stderr and "positive whole number" in result.stderr


def test_an_entry_size_limit_in_other_digits_is_not_read_as_a_number(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    result = repo.run(
        str(VENV_BIN / "small"),
        *("progress", "add", "--task", "task-2", "--status", "in_progress", "--no-commit-evidence"),
        *("--evidence", "ran the parser tests " * 10),
        env={"SMALL_MAX_ENTRY_BYTES": "１００"},  # read as 100 it would refuse this 200-byte entry
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_task_id_with_other_digits_does_not_number_the_next_task(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    plan = repo.read(".small/plan.small.yml") + '  - id: "task-٩"\n    title: "Nine in Arabic-Indic digits"\n'
    repo.write(".small/plan.small.yml", plan)
    result = repo.small("plan", "--add", "Next task")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "task-3" in result.stdout, result.stdout  # task-1 and task-2 exist; "task-٩" is not task-9


def test_a_redaction_field_index_needs_ascii_digits() -> None:
    assert parse_field_path("evidence[1].ref") == ["evidence", 1, "ref"]
    with pytest.raises(ValueError, match="cannot read the field path"):
        parse_field_path("evidence[١].ref")


def test_the_merge_drivers_marker_size_needs_ascii_digits(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    for name in ("base", "ours", "theirs"):
        repo.write(name, repo.read(".small/progress.small.yml"))
    result = repo.small("merge-driver", "base", "ours", "theirs", "７", ".small/progress.small.yml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "conflict marker size must be a number" in result.stderr


def test_a_harness_marker_versioned_in_other_digits_is_no_marker(tmp_path: Path) -> None:
    """The reference's Go `\\d` is ASCII: it finds no block here, so neither does small-git."""
    repo = plain_workspace(tmp_path)
    repo.write("AGENTS.md", "intro\n\n<!-- BEGIN SMALL HARNESS v١.٠ -->\nstuff\n<!-- END SMALL HARNESS v١.٠ -->\n")
    result = repo.small("agents", "check", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["hasBlock"] is False
