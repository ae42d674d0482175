"""The installed console scripts, as users and git start them. Everything else runs the CLI in-process
(tests/support/cli.py); these show that the installed `small` and `git-small` are the same program, and that
what the in-process runner does (install hooks, say) is what the installed one does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support.cli import installed_small, run, small
from support.paths import VENV_BIN
from support.repo import Repo, plain_workspace, seed


@pytest.mark.parametrize("program", ["small", "git-small"])
def test_the_console_script_answers_with_the_exit_codes_of_the_spec(tmp_path: Path, program: str) -> None:
    workspace = plain_workspace(tmp_path)
    version = installed_small(tmp_path, "--version", program=program)
    assert version.returncode == 0 and version.stdout == small(tmp_path, "--version").stdout
    assert installed_small(workspace, "check", "--strict", program=program).returncode == 0
    (workspace / ".small" / "plan.small.yml").write_text('small_version: "1.0.0"\nowner: "agent"\ntasks: {}\n')
    invalid = installed_small(workspace, "check", "--json", program=program)
    assert invalid.returncode == 1 and json.loads(invalid.stdout)["exit_code"] == 1
    assert installed_small(tmp_path, "check", program=program).returncode == 2  # no .small/ here
    assert installed_small(tmp_path, "check", "--no-such-flag", program=program).returncode == 2


def test_python_m_small_git_is_the_same_program(tmp_path: Path) -> None:
    module = run(tmp_path, sys.executable, "-m", "small_git", "--version")
    assert module.returncode == 0 and module.stdout == installed_small(tmp_path, "--version").stdout


def test_git_finds_git_small_as_its_small_subcommand(tmp_path: Path) -> None:
    workspace = plain_workspace(tmp_path)
    through_git = run(workspace, "git", "small", "check", "--help")
    assert through_git.returncode == 0 and "Usage: git small check" in through_git.stdout


def test_hooks_installed_in_process_are_those_the_installed_cli_installs(tmp_path: Path) -> None:
    by_runner, by_script = Repo.create(tmp_path, "a"), Repo.create(tmp_path, "b")
    by_runner.small("install", check=True)
    by_script.installed_small("install", check=True)
    for hook in ("pre-commit", "commit-msg", "pre-push"):
        text = (by_runner / f".git/hooks/{hook}").read_text()
        assert text == (by_script / f".git/hooks/{hook}").read_text()
        assert str(VENV_BIN / "git-small") in text  # hooks run the installed program, never the test process


def test_a_commit_runs_the_installed_hook_and_is_refused_or_accepted(repo: Repo) -> None:
    seed(repo)  # the workspace committed, the hooks installed
    repo.write_progress([{"task_id": "task-1", "timestamp": "2025-01-04T10:00:00.000000000Z", "evidence": "x"}])
    refused = repo.commit("rewrite history", check=False)
    assert refused.returncode != 0 and "small-git commit-msg: refused" in refused.stderr  # -m: judged once
    repo.git("reset", "-q", "--hard")
    repo.write("src/app.py", "print('changed')\n")
    assert repo.commit("code only").returncode == 0
