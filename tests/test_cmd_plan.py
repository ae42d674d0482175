"""`small plan`: add, statuses, dependencies, remove, move, reset; refusals leave the plan untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import small
from support.repo import init_workspace
from support.workspace import check_exit, progress_bytes

from small_git.protocol.yamlsafe import load_yaml


def plan_data(root: Path) -> dict:
    return load_yaml((root / ".small/plan.small.yml").read_bytes(), "plan").data


def test_plan_edits_through_the_cli(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    code, out, _ = small(tmp_path, "plan", "--add", "Parse", "--add", "Import", *d)
    assert code == 0 and "Added task task-2: Parse" in out and "Added task task-3: Import" in out
    workspace = load_yaml((root / ".small/workspace.small.yml").read_bytes(), "w").data
    assert len(workspace["run"]["replay_id"]) == 64  # the first plan write starts the run
    assert small(tmp_path, "plan", "--depends", "task-3:task-2", *d)[0] == 0
    assert plan_data(root)["tasks"][2]["dependencies"] == ["task-2"]
    assert small(tmp_path, "plan", "--move", "task-3", "--before", "task-1", *d)[0] == 0
    assert [t["id"] for t in plan_data(root)["tasks"]] == ["task-3", "task-1", "task-2"]
    before = progress_bytes(root)
    code, out, _ = small(tmp_path, "plan", "--done", "task-1", *d)
    assert code == 0 and "task-1: pending -> completed" in out
    entry = load_yaml(progress_bytes(root), "p").data["entries"][-1]
    assert progress_bytes(root).startswith(before)
    assert (entry["task_id"], entry["status"], entry["replayId"]) == (
        "task-1",
        "completed",
        workspace["run"]["replay_id"],
    )
    assert small(tmp_path, "plan", "--status", "task-2=in_progress", *d)[0] == 0
    assert check_exit(root, strict=True) == 0
    listed = small(tmp_path, "plan", *d)
    assert listed[0] == 0 and "task-2  in_progress  Parse" in listed[1]


def test_plan_without_flags_lists_the_tasks(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Parse the header", "--add", "Import rows", *d, check=True)
    small(
        tmp_path, "plan", "--depends", "task-3:task-2", "--depends", "task-3:task-1", "--done", "task-1", *d, check=True
    )
    before = {p.name: p.read_bytes() for p in (root / ".small").iterdir()}
    code, out, err = small(tmp_path, "plan", *d)
    assert (code, err) == (0, "")
    assert out == (
        "task-1  completed  Initial task\n"
        "task-2  pending    Parse the header\n"
        "task-3  pending    Import rows  (depends on task-2, task-1)\n"
    )
    assert {p.name: p.read_bytes() for p in (root / ".small").iterdir()} == before  # nothing written


def test_plan_json_lists_the_tasks_as_one_document(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Parse", "--depends", "task-2:task-1", *d, check=True)
    code, out, _ = small(tmp_path, "plan", "--json", *d)
    assert code == 0
    doc = json.loads(out)
    assert doc["command"] == "plan" and doc["exit_code"] == 0 and doc["workspace"] == str(root)
    assert doc["tasks"] == [
        {"id": "task-1", "status": "pending", "title": "Initial task", "dependencies": []},
        {"id": "task-2", "status": "pending", "title": "Parse", "dependencies": ["task-1"]},
    ]


def test_plan_lists_a_plan_without_tasks_and_refuses_one_whose_tasks_are_no_list(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    (root / ".small/plan.small.yml").write_text('small_version: "1.0.0"\nowner: "agent"\ntasks: []\n')
    code, out, _ = small(root, "plan")
    assert code == 0 and "no tasks" in out
    (root / ".small/plan.small.yml").write_text('small_version: "1.0.0"\nowner: "agent"\ntasks: "x"\n')
    code, out, err = small(root, "plan", "--json")
    assert code == 2 and json.loads(out)["error"]["file"] == ".small/plan.small.yml"


@pytest.mark.parametrize(
    "args",
    [
        ["--depends", "task-1:task-1"],
        ["--depends", "task-1:task-9"],
        ["--depends", "nonsense"],
        ["--done", "task-9"],
        ["--remove", "task-9"],
        ["--status", "task-1=finished"],
        ["--reset"],
        ["--move", "task-1"],
        ["--depends", "task-2:task-3", "--depends", "task-3:task-2"],
    ],
)
def test_refused_edits_change_nothing(tmp_path: Path, args: list[str]) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Two", "--add", "Three", *d)
    plan, log = (root / ".small/plan.small.yml").read_bytes(), progress_bytes(root)
    code, _, err = small(tmp_path, "plan", *args, *d)
    assert code == 2 and err.startswith("error:"), err
    assert (root / ".small/plan.small.yml").read_bytes() == plan and progress_bytes(root) == log


def test_final_tasks_move_only_with_reopen(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    assert small(tmp_path, "plan", "--done", "task-1", *d)[0] == 0
    code, _, err = small(tmp_path, "plan", "--pending", "task-1", *d)
    assert code == 2 and "--reopen" in err
    assert small(tmp_path, "plan", "--pending", "task-1", "--reopen", *d)[0] == 0
    assert plan_data(root)["tasks"][0]["status"] == "pending"


def test_plan_reset_needs_yes_and_keeps_progress(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Two", *d)
    log = progress_bytes(root)
    assert small(tmp_path, "plan", "--reset", "--yes", *d)[0] == 0
    assert [t["id"] for t in plan_data(root)["tasks"]] == ["task-1"]
    assert progress_bytes(root).startswith(log)
    assert load_yaml(progress_bytes(root), "p").data["entries"][-1]["task_id"] == "meta/plan-reset"


def test_remove_refuses_tasks_named_in_progress(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Two", "--add", "Three", *d)
    small(tmp_path, "checkpoint", "--task", "task-2", "--status", "in_progress", "--no-commit-evidence", *d)
    code, _, err = small(tmp_path, "plan", "--remove", "task-2", *d)
    assert code == 2 and "cancel it instead" in err
    assert small(tmp_path, "plan", "--remove", "task-3", *d)[0] == 0
    assert [t["id"] for t in plan_data(root)["tasks"]] == ["task-1", "task-2"]
    assert check_exit(root, strict=True) == 0
