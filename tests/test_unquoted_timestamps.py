"""Timestamps written without quotes (spec §2): a string here, a time value to the reference CLI, whose schema
check then fails. small-git keeps accepting them and says so in `--json` `notices`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.cli import run_reference
from support.paths import needs_reference
from support.repo import plain_workspace
from support.workspace import WORKSPACE_FILES

from small_git.protocol.go_time import reads_as_time
from small_git.protocol.yamlsafe import load_yaml

# Probed with the reference (small v1.0.10): True where its `check` fails on `evidence: <value>` unquoted.
REFERENCE_READS_AS_TIME = {
    "2025-01-04": True,
    "2025-1-4": True,
    "2024-02-29": True,
    "0000-01-01": True,
    "2025-01-04 10:00:00": True,
    "2025-01-04  10:00:00": True,
    "2025-01-04 1:2:3.5": True,
    "2025-01-04t10:00:00Z": True,
    "2025-01-04T1:2:3Z": True,
    "2025-01-04T10:00:00,5Z": True,
    "2025-01-04T10:00:00.123456789012Z": True,
    "2025-01-04T10:00:00+01:00": True,
    "2025-01-04T10:00:00+24:00": True,
    "1999-12-31T23:59:59.5-05:00": True,
    "2025-13-45": False,
    "2025-02-30": False,
    "2025-0-04": False,
    "2025-001-04": False,
    "20250-01-04": False,
    "2025-01-04x": False,
    "2025-01-04T10:00": False,
    "2025-01-04 10:00:00Z": False,
    "2025-01-04 10:00:00 +01:00": False,
    "2025-01-04T24:00:00Z": False,
    "2025-01-04T10:00:60Z": False,
    "2025-01-04T10:00:00+25:00": False,
    "2025-01-04T10:00:00+0100": False,
    "2025-01-04T10:00:00z": False,
    "2025-01-04T10:00:00 Z": False,
    "2025-01-04T10:00:00.Z": False,
}


def progress_with(value: str) -> str:
    return (
        'small_version: "1.0.0"\nowner: "agent"\nentries:\n  - task_id: "task-1"\n'
        f'    timestamp: "2025-01-04T10:00:00.000000000Z"\n    status: "completed"\n    evidence: {value}\n'
    )


@pytest.mark.parametrize(("plain", "is_time"), sorted(REFERENCE_READS_AS_TIME.items()))
def test_which_plain_scalars_the_reference_reads_as_times(plain: str, is_time: bool) -> None:
    assert reads_as_time(plain) is is_time
    doc = load_yaml(progress_with(plain).encode(), ".small/progress.small.yml")
    assert doc.data["entries"][0]["evidence"] == plain  # always a string here (YAML 1.2)
    assert doc.reference_times == ([(7, 15)] if is_time else [])


@needs_reference
def test_the_table_agrees_with_the_reference(tmp_path: Path) -> None:
    base = plain_workspace(tmp_path)
    disagree: list[tuple[str, int, str]] = []
    for plain, is_time in REFERENCE_READS_AS_TIME.items():
        root = tmp_path / f"case-{len(disagree)}-{abs(hash(plain))}"
        shutil.copytree(base.path / ".small", root / ".small")
        (root / ".small/progress.small.yml").write_text(progress_with(plain), encoding="utf-8")
        result = run_reference(root, "check")
        if (result.returncode != 0) is not is_time or (is_time and "time.Time" not in result.stderr):
            disagree.append((plain, result.returncode, result.stderr[-200:]))
    assert not disagree


def test_check_accepts_an_unquoted_timestamp_and_json_carries_the_notice(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    text = repo.read(".small/progress.small.yml").replace(
        'timestamp: "2025-01-04T10:00:00.000000000Z"', "timestamp: 2025-01-04T10:00:00.000000000Z"
    )
    repo.write(".small/progress.small.yml", text)
    result = repo.small("check", "--strict", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    notices = json.loads(result.stdout)["notices"]
    assert [(n["rule"], n["file"], n["line"], n["severity"]) for n in notices] == [
        ("unquoted-timestamp", ".small/progress.small.yml", 5, "info")
    ]
    assert "quote it" in notices[0]["hint"]
    plain = repo.small("check")
    assert plain.returncode == 0 and plain.stderr == ""


def test_quoted_timestamps_and_other_files_carry_no_notice(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    repo.write(".small/workspace.small.yml", WORKSPACE_FILES["workspace"] + "created_at: 2025-01-04T10:00:00Z\n")
    result = repo.small("check", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["notices"] == []


def test_a_plain_date_in_the_plan_is_a_notice_too(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    repo.write(".small/plan.small.yml", WORKSPACE_FILES["plan"] + "  - id: task-3\n    title: 2025-01-04\n")
    result = repo.small("check", "--json")
    notices = json.loads(result.stdout)["notices"]
    assert [(n["rule"], n["file"], n["line"]) for n in notices] == [("unquoted-timestamp", ".small/plan.small.yml", 11)]
