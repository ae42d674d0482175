"""`small emit`: the whole state as one JSON document, also on failure."""

from __future__ import annotations

import json
from pathlib import Path

from support.repo import Repo, plain_workspace
from support.workspace import WORKSPACE_FILES

ARTIFACTS = ("intent", "constraints", "plan", "progress", "handoff", "workspace")


def emit(repo: Repo, *args: str) -> tuple[int, dict[str, object]]:
    done = repo.small("emit", *args)
    return done.returncode, json.loads(done.stdout)


def test_default_document_holds_every_artifact_and_the_status(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    code, doc = emit(repo)
    assert code == 0
    for kind in ARTIFACTS:
        assert kind in doc
    plan = doc["plan"]
    assert isinstance(plan, dict) and [t["id"] for t in plan["tasks"]] == ["task-1", "task-2"]
    progress = doc["progress"]
    assert isinstance(progress, dict) and progress["entries"][0]["task_id"] == "task-1"
    status = doc["status"]
    assert isinstance(status, dict) and status["current_task"] == "task-2" and status["progress_entries"] == 1
    paths = doc["paths"]
    assert isinstance(paths, dict) and paths["root"] == str(repo.path)
    assert "enforcement" not in doc


def test_include_selects_sections(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    code, doc = emit(repo, "--include", "status, plan")
    assert code == 0
    assert "status" in doc and "plan" in doc
    for absent in ("intent", "constraints", "progress", "handoff", "paths"):
        assert absent not in doc


def test_check_adds_findings_and_its_exit_code(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    code, doc = emit(repo, "--check", "--include", "status")
    assert code == 0
    enforcement = doc["enforcement"]
    assert isinstance(enforcement, dict) and enforcement["exit_code"] == 0
    repo.write(".small/plan.small.yml", WORKSPACE_FILES["plan"].replace('"in_progress"', '"completed"'))
    code, doc = emit(repo, "--check")
    enforcement = doc["enforcement"]
    assert code == 1 and isinstance(enforcement, dict)
    assert any(f["rule"] == "evidence-gate" for f in enforcement["findings"])


def test_failures_still_print_one_json_document(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    code, doc = emit(repo, "--include", "status,bogus")
    assert code == 2 and doc["exit_code"] == 2 and "bogus" in str(doc["error"])
    repo.write(".small/handoff.small.yml", "summary: [unclosed\n")
    code, doc = emit(repo)
    files = doc["files"]
    assert code == 2 and isinstance(files, dict) and "error" in files["handoff"]
    assert doc["intent"] is not None  # everything readable is still emitted
    empty = Repo(tmp_path / "empty")
    empty.path.mkdir()
    code, doc = emit(empty)
    assert code == 2 and doc["exit_code"] == 2


def test_workspace_scope(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    repo.write(".small/workspace.small.yml", WORKSPACE_FILES["workspace"].replace("repo-root", "examples"))
    code, doc = emit(repo)
    assert code == 2 and "examples" in str(doc["error"])
    assert emit(repo, "--workspace", "examples")[0] == 0
    assert emit(repo, "--workspace", "any")[0] == 0
