"""`--json` on every command that writes (init, plan, apply, handoff, reset, fix): exactly one JSON document on
stdout saying what was written — the paths (checked here against what really changed on disk), the progress
entries appended (checked against the log's tail), the exit code — on success and on failure alike."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support.cli import small
from support.repo import Repo, init_workspace

from small_git.protocol.yamlsafe import YamlError, load_yaml

WATCHED = (".small", ".small-drafts", ".small-cache/torn", ".small-cache/logs")


def _disk(root: Path) -> dict[str, bytes]:
    files = {}
    for folder in WATCHED:
        if (root / folder).is_dir():
            for path in (root / folder).iterdir():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    if (root / ".gitignore").exists():
        files[".gitignore"] = (root / ".gitignore").read_bytes()
    return files


def _entries(root: Path) -> list[dict[str, Any]] | None:
    """The log's entries (None when it does not parse: a torn tail, say)."""
    path = root / ".small/progress.small.yml"
    try:
        return load_yaml(path.read_bytes(), "progress").data["entries"] if path.exists() else []
    except YamlError:
        return None


def run_json(root: Path, *args: str, expect: int = 0, input: str | None = None) -> dict[str, Any]:
    """Run `small <args> --json` in `root`; check that stdout is one document whose `written`, `removed` and
    `entries` are what really happened."""
    before, logged = _disk(root), _entries(root)
    code, out, err = small(root, *args, "--json", input=input)
    assert code == expect, f"{args}: exit {code}\n{out}\n{err}"
    doc = json.loads(out)  # one document, nothing else on stdout
    assert doc["exit_code"] == code and doc["command"] == args[0]
    after = _disk(root)
    changed = sorted(p for p in after if before.get(p) != after[p])
    rewritten = [p for p in doc["written"] if p in before and before[p] == after.get(p)]  # same bytes, new file
    assert sorted(set(changed) | set(rewritten)) == doc["written"], (changed, doc["written"])
    assert doc["removed"] == sorted(p for p in before if p not in after)
    now = _entries(root)
    if logged is not None and now is not None:
        assert doc["entries"] == now[len(logged) :]
    else:
        assert doc["entries"] == []
    return doc


def test_init(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    doc = run_json(root, "init", "--intent", "Ship it")
    assert doc["workspace"] == str(root) and ".gitignore" in doc["written"]
    assert [e["task_id"] for e in doc["entries"]] == ["meta/init"]
    assert len(doc["created"]) == 6 and doc["gitignore_updated"] is True
    again = run_json(root, "init", expect=2)
    assert again["written"] == [] and again["entries"] == [] and "already exists" in again["error"]["message"]
    (root / ".small/constraints.small.yml").unlink()
    forced = run_json(root, "init", "--force")
    assert forced["written"] == [".small/constraints.small.yml"] and forced["entries"] == []


def test_plan_edits_list_what_they_wrote_and_the_tasks_after(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "w")
    doc = run_json(root, "plan", "--add", "Parse", "--done", "task-1")
    assert ".small/plan.small.yml" in doc["written"] and ".small/progress.small.yml" in doc["written"]
    assert [(e["task_id"], e["status"]) for e in doc["entries"]] == [("task-1", "completed")]
    assert [t["id"] for t in doc["tasks"]] == ["task-1", "task-2"]
    assert doc["messages"] == ["Added task task-2: Parse", "task-1: pending -> completed"]
    listing = run_json(root, "plan")
    assert listing["written"] == [] and listing["entries"] == [] and len(listing["tasks"]) == 2
    refused = run_json(root, "plan", "--done", "task-9", expect=2)
    assert refused["written"] == [] and refused["error"]["message"]


def test_handoff(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "w")
    doc = run_json(root, "handoff", "--summary", "Half way")
    assert ".small/handoff.small.yml" in doc["written"] and doc["entries"] == []  # (and the run it starts)
    assert len(doc["replay_id"]) == 64 and doc["current_task_id"] == "task-1"


def test_reset(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "w")
    refused = run_json(root, "reset", expect=2)
    assert refused["written"] == [] and "--yes" in refused["error"]["message"]
    doc = run_json(root, "reset", "--yes")
    assert [e["task_id"] for e in doc["entries"]] == ["meta/reset"]
    assert {".small/plan.small.yml", ".small/handoff.small.yml", ".small/progress.small.yml"} <= set(doc["written"])
    assert doc["replay_id"] == doc["entries"][0]["replayId"] and doc["previous_replay_id"]


def test_fix_names_what_it_repaired_and_what_it_left(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "w")
    log = root / ".small/progress.small.yml"
    log.write_bytes(log.read_bytes() + b'  - task_id: "task-1"\n    sta')
    doc = run_json(root, "fix")
    assert ".small/progress.small.yml" in doc["written"]
    assert any(p.startswith(".small-cache/torn/") for p in doc["written"])
    assert len(doc["fixed"]) == 1 and doc["left_alone"] == [] and "Fixed 1 problem" in doc["messages"]
    assert run_json(root, "fix")["written"] == []
    log.write_bytes(log.read_bytes() + b"entries: [\n")  # no torn tail: left alone, exit 1
    left = run_json(root, "fix", expect=1)
    assert left["written"] == [] and left["left_alone"]


@pytest.mark.parametrize("exit_code", [0, 3])
def test_apply_keeps_stdout_for_the_document(tmp_path: Path, exit_code: int) -> None:
    root = init_workspace(tmp_path / "w")
    doc = run_json(
        root, "apply", "--task", "task-1", "--checkpoint", "--cmd", f"echo from-the-command; exit {exit_code}",
        expect=exit_code,
    )  # fmt: skip
    assert doc["outcome"]["exit_code"] == exit_code and doc["log"] in doc["written"]
    assert [e.get("status") for e in doc["entries"]] == [None, "completed" if exit_code == 0 else "blocked"]
    assert "from-the-command" in (root / doc["log"]).read_text()


def test_apply_echoes_the_commands_stdout_on_stderr(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "w")
    code, out, err = small(root, "apply", "--json", "--cmd", "echo from-the-command")
    assert code == 0 and json.loads(out)["exit_code"] == 0
    assert "\nfrom-the-command\n" in err and "\nfrom-the-command\n" not in out  # json.loads: stdout is the document


def test_apply_dry_run_and_a_refused_apply(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "w")
    dry = run_json(root, "apply", "--dry-run")
    assert dry["dry_run"] is True and dry["written"] == [] and dry["messages"][0] == "No command specified"
    refused = run_json(root, "apply", "--task", "task-1", "--timeout", "1", expect=2)
    assert refused["written"] == [] and refused["error"]["message"] == "no command to run"


def test_a_flag_after_double_dash_belongs_to_the_command(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "w")
    code, out, err = small(root, "apply", "--", "sh", "-c", "exit 2", "--json")
    assert code == 2 and out == ""  # no JSON: the --json was the command's


def test_no_workspace(tmp_path: Path) -> None:
    for command in (["plan"], ["handoff"], ["reset", "--yes"], ["fix"], ["apply", "--cmd", "true"]):
        code, out, _ = small(tmp_path, *command, "--json")
        doc = json.loads(out)
        assert (code, doc["exit_code"], doc["error"]["rule"], doc["written"]) == (2, 2, "no-workspace", []), command
    assert not os.path.exists(tmp_path / ".small")


def test_repo_writers_under_git(tmp_path: Path) -> None:
    repo = Repo.create(tmp_path)
    doc = run_json(repo.path, "init")
    assert doc["workspace"] == str(repo.path)
