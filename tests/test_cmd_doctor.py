"""`small doctor`: names a fix for each problem; exit 1 when something is wrong, 2 without a workspace."""

from __future__ import annotations

import json
from pathlib import Path

from support.repo import Repo, seeded_repo
from support.workspace import WORKSPACE_FILES


def healthy(tmp_path: Path) -> Repo:
    repo = seeded_repo(tmp_path, install=False)
    repo.write(".gitignore", ".small-cache/\n")
    assert repo.small("agents", "apply").returncode == 0
    repo.commit("harness")
    assert repo.small("handoff").returncode == 0
    repo.commit("handoff")
    return repo


def doctor(repo: Repo) -> tuple[int, list[dict[str, object]]]:
    done = repo.small("doctor", "--json")
    doc = json.loads(done.stdout)
    assert doc["exit_code"] == done.returncode
    return done.returncode, list(doc["diagnoses"])


def levels(diagnoses: list[dict[str, object]]) -> dict[str, str]:
    return {str(d["name"]): str(d["level"]) for d in diagnoses}


def test_healthy_workspace_passes(tmp_path: Path) -> None:
    repo = healthy(tmp_path)
    code, found = doctor(repo)
    assert code == 0, found
    assert all(d["level"] == "ok" for d in found), found
    text = repo.small("doctor")
    assert text.returncode == 0 and "Everything looks right." in text.stdout


def test_missing_file_names_a_non_destructive_fix(tmp_path: Path) -> None:
    repo = healthy(tmp_path)
    (repo.path / ".small/constraints.small.yml").unlink()
    code, found = doctor(repo)
    assert code == 1
    files = next(d for d in found if d["name"] == "files")
    assert files["level"] == "error" and "constraints.small.yml" in str(files["message"])
    assert "init" in str(files["fix"]) and "only the missing files" in str(files["fix"])


def test_broken_yaml_and_rule_violations_are_errors_with_fixes(tmp_path: Path) -> None:
    repo = healthy(tmp_path)
    repo.write(".small/plan.small.yml", WORKSPACE_FILES["plan"].replace('"in_progress"', '"completed"'))
    code, found = doctor(repo)
    assert code == 1
    gate = next(d for d in found if d["name"] == "rules/evidence-gate")
    assert gate["level"] == "error" and "checkpoint" in str(gate["fix"]) and gate["line"]
    repo.write(".small/intent.small.yml", "intent: [unclosed\n")
    code, found = doctor(repo)
    assert code == 1
    broken = next(d for d in found if d.get("file") == ".small/intent.small.yml")
    assert broken["level"] == "error" and broken["fix"]


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    repo = healthy(tmp_path)
    (repo.path / "AGENTS.md").unlink()
    repo.write("src/app.py", "print('changed')\n")
    repo.write(".small-drafts/intent.small.yml", WORKSPACE_FILES["intent"])
    code, found = doctor(repo)
    assert code == 0
    by_name = levels(found)
    assert by_name["agents"] == "warn" and by_name["handoff"] == "warn" and by_name["drafts"] == "warn"
    text = repo.small("doctor").stdout
    assert "small agents apply" in text and "small handoff" in text and "small accept intent" in text


def test_outside_git_and_without_workspace(tmp_path: Path) -> None:
    plain = Repo(tmp_path / "plain")
    plain.path.mkdir()
    done = plain.small("doctor")
    assert done.returncode == 2 and "small init" in done.stdout
    plain.write_workspace()
    code, found = doctor(plain)
    assert code == 0 and levels(found)["git"] == "warn"
