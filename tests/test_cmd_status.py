"""`small status`: the compact view, its JSON, tolerance of missing files, and handoff freshness."""

from __future__ import annotations

import json
from pathlib import Path

from support.repo import Repo, seeded_repo
from support.workspace import WORKSPACE_FILES, entry, progress_yaml


def workspace(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "ws")
    repo.path.mkdir()
    repo.write_workspace(entries=[entry("task-1", 1, status="completed"), entry("task-2", 2), entry("meta/apply", 3)])
    return repo


def status_json(repo: Repo, *args: str) -> tuple[int, dict[str, object]]:
    done = repo.small("status", "--json", *args)
    return done.returncode, json.loads(done.stdout)


def test_text_view_names_intent_current_task_counts_and_recent_entries(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    done = repo.small("status")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Intent: Ship the parser" in out
    assert "Current task: task-2" in out
    assert "1 completed" in out and "1 in_progress" in out
    assert "step 2" in out and "step 1" in out
    assert "meta/apply" not in out  # machinery, hidden from recent entries
    assert "Handoff:" in out


def test_json_document(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    code, doc = status_json(repo, "--recent", "1")
    assert code == 0
    plan = doc["plan"]
    assert isinstance(plan, dict)
    assert plan["total_tasks"] == 2 and plan["current_task"] == "task-2"
    assert plan["tasks_by_status"] == {"pending": 0, "in_progress": 1, "blocked": 0, "completed": 1, "cancelled": 0}
    progress = doc["progress"]
    assert isinstance(progress, dict)
    assert progress["entries"] == 3 and [e["task_id"] for e in progress["recent"]] == ["task-2"]
    assert doc["intent"] == "Ship the parser"
    assert doc["files"] == {k: "present" for k in ("intent", "constraints", "plan", "progress", "handoff", "workspace")}
    assert doc["drafts"] == []


def test_next_actionable_respects_dependencies(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    plan = WORKSPACE_FILES["plan"].replace('status: "in_progress"', 'status: "pending"')
    repo.write(
        ".small/plan.small.yml",
        plan
        + '  - id: "task-3"\n    title: "After two"\n    dependencies: ["task-2"]\n'
        + '  - id: "task-4"\n    title: "Free"\n',
    )
    code, doc = status_json(repo)
    view = doc["plan"]
    assert isinstance(view, dict)
    assert view["next_actionable"] == ["task-2", "task-4"] and view["current_task"] == "task-2"


def test_missing_files_are_tolerated(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    for kind in ("handoff", "constraints", "plan"):
        (repo.path / f".small/{kind}.small.yml").unlink()
    code, doc = status_json(repo)
    assert code == 0
    files = doc["files"]
    assert isinstance(files, dict) and files["handoff"] == "missing" and files["plan"] == "missing"
    done = repo.small("status")
    assert done.returncode == 0 and "Missing:" in done.stdout
    assert "none (write one: small handoff)" in done.stdout


def test_unreadable_file_is_shown_and_exits_2(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    repo.write(".small/plan.small.yml", "tasks: [unclosed\n")
    code, doc = status_json(repo)
    assert code == 2
    problems = doc["problems"]
    assert isinstance(problems, list) and problems[0]["file"] == ".small/plan.small.yml"
    assert doc["intent"] == "Ship the parser"  # the rest is still shown
    text = repo.small("status")
    assert text.returncode == 2
    assert text.stdout.count(".small/plan.small.yml") == 1, text.stdout  # named once, with its line
    assert "Unreadable: .small/plan.small.yml:2:" in text.stdout
    assert "Plan: unreadable" in text.stdout and "0 task(s)" not in text.stdout


def test_no_workspace_is_exit_2_with_one_json_document(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "empty")
    repo.path.mkdir()
    done = repo.small("status", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["exit_code"] == 2
    assert repo.small("status").returncode == 2
    assert repo.small("status", "--recent", "-1").returncode == 2


def test_pending_drafts_are_listed(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    repo.write(".small-drafts/intent.small.yml", WORKSPACE_FILES["intent"])
    code, doc = status_json(repo)
    assert doc["drafts"] == [".small-drafts/intent.small.yml"]
    assert "small accept intent" in repo.small("status").stdout


def _freshness(repo: Repo) -> dict[str, object]:
    handoff = status_json(repo)[1]["handoff"]
    assert isinstance(handoff, dict)
    fresh = handoff["freshness"]
    assert isinstance(fresh, dict)
    return fresh


def test_handoff_freshness_follows_git(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    assert _freshness(repo)["state"] == "unknown"  # the seeded handoff records no commit
    assert repo.small("handoff").returncode == 0
    recorded = _freshness(repo)
    assert recorded["commit"] == repo.head()[:12]
    repo.commit("handoff")  # the commit that only adds the handoff keeps it fresh
    assert _freshness(repo)["state"] == "fresh"
    repo.write("src/app.py", "print('changed')\n")
    stale = _freshness(repo)
    assert stale["state"] == "stale" and stale["changed"] == ["src/app.py"]
    assert "STALE" in repo.small("status").stdout
    repo.commit("more code")
    repo.write("src/new.py", "x = 1\n")  # untracked code counts too
    assert _freshness(repo)["changed"] == ["src/app.py", "src/new.py"]


def test_the_text_view_names_the_stale_paths(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    assert repo.small("handoff").returncode == 0
    repo.commit("handoff")
    repo.write("src/app.py", "print('changed')\n")
    repo.write("src/new.py", "x = 1\n")
    out = repo.small("status").stdout
    assert "  changed since: src/app.py, src/new.py\n" in out
    for number in range(25):
        repo.write(f"gen/f{number:02}.txt", "x\n")
    out = repo.small("status").stdout
    assert "(and 7 more)" in out and "gen/f00.txt" in out  # the JSON keeps 20 paths; the count says the rest


def test_handoff_naming_an_unknown_commit(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    handoff = WORKSPACE_FILES["handoff"].replace(
        "links: []", 'links:\n  - url: "git:0123456789ab"\n    description: "generated at"'
    )
    repo.write(".small/handoff.small.yml", handoff)
    fresh = _freshness(repo)
    assert fresh["state"] == "unknown" and "0123456789ab" in str(fresh["reason"])


def test_progress_log_with_no_entries(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    repo.write(".small/progress.small.yml", progress_yaml([]))
    code, doc = status_json(repo)
    assert code == 0
    progress = doc["progress"]
    assert isinstance(progress, dict) and progress["entries"] == 0 and progress["last_timestamp"] is None


def test_every_workflow_command_has_help_with_an_example(tmp_path: Path) -> None:
    repo = workspace(tmp_path)
    for command in ("status", "doctor", "emit", "apply", "draft", "accept", "agents"):
        done = repo.small(command, "--help")
        assert done.returncode == 0 and "Example:" in done.stdout, command
