"""Colour on a terminal (a real pseudo-terminal here) and never in a pipe, off with NO_COLOR and --no-color;
progress on standard error only when it is a terminal, never on standard output."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest
from support.paths import VENV_BIN
from support.repo import Repo, prebuilt_repo, seeded_repo
from support.workspace import entry

ESC = "\x1b["


def in_terminal(
    repo: Repo, *args: str, env: dict[str, str] | None = None, stdout_pipe: bool = False
) -> tuple[str, str]:
    """(what reached the terminal, what reached the stdout pipe) for `git small ARGS` with a pty as its
    terminal: stderr always on the pty, stdout on it too unless `stdout_pipe`."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [str(VENV_BIN / "git-small"), *args],
            cwd=repo.path,
            env={**os.environ, **repo.env, "TERM": "xterm", **(env or {})},
            stdin=slave,
            stdout=subprocess.PIPE if stdout_pipe else slave,
            stderr=slave,
        )
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal's other side closed
            break
        if not data:
            break
        chunks.append(data)
    piped = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace"), piped


def task_2_done(folder: Path) -> Repo:
    repo = seeded_repo(folder)
    repo.append_progress(entry("task-2", 1, status="completed"))
    repo.commit("task-2 done", "--no-verify")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A seeded repository where task-2 is done (built once per run, copied)."""
    return prebuilt_repo(f"{__name__}.repo", task_2_done, tmp_path)


def test_status_is_coloured_on_a_terminal_and_plain_in_a_pipe(repo: Repo) -> None:
    shown, _ = in_terminal(repo, "status")
    assert ESC in shown and "Current task:" in shown
    piped = repo.small("status")
    assert piped.returncode == 0 and ESC not in piped.stdout and "Current task:" in piped.stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("status",), {"NO_COLOR": "1"}),
        (("--no-color", "status"), {}),
        (("status", "--no-color"), {}),
        (("status",), {"TERM": "dumb"}),
    ],
)
def test_colour_is_off_with_no_color_or_the_flag(repo: Repo, args: tuple[str, ...], env: dict[str, str]) -> None:
    shown, _ = in_terminal(repo, *args, env=env)
    assert "Current task:" in shown and ESC not in shown


def test_an_empty_no_color_leaves_colour_on(repo: Repo) -> None:
    shown, _ = in_terminal(repo, "status", env={"NO_COLOR": ""})
    assert ESC in shown


def test_findings_are_coloured_on_a_terminal_only(repo: Repo) -> None:
    repo.write(".small/plan.small.yml", repo.read(".small/plan.small.yml").replace('"completed"', '"done"'))
    shown, _ = in_terminal(repo, "check")
    assert ESC in shown and "[" in shown
    piped = repo.small("check")
    assert piped.returncode == 1 and ESC not in piped.stderr and "plan.small.yml" in piped.stderr


def test_log_is_coloured_on_a_terminal_only(repo: Repo) -> None:
    shown, _ = in_terminal(repo, "log")
    assert f"{ESC}33mcommit " in shown
    assert ESC not in repo.small("log").stdout


@pytest.mark.parametrize("command", [("log",), ("audit",), ("review", "HEAD~1..HEAD")])
def test_progress_goes_to_a_terminal_stderr_and_never_to_stdout(repo: Repo, command: tuple[str, ...]) -> None:
    shown, piped = in_terminal(repo, *command, env={"SMALL_PROGRESS_DELAY": "0"}, stdout_pipe=True)
    assert "commits" in shown and "\r\x1b[K" in shown  # drawn, then erased
    assert "\r" not in piped and "1/" not in piped.split("\n")[0]


def test_no_progress_when_stderr_is_a_pipe(repo: Repo) -> None:
    proc = repo.run(str(VENV_BIN / "git-small"), "log", env={"SMALL_PROGRESS_DELAY": "0"})
    assert "\r" not in proc.stderr and proc.stderr == ""


def test_a_short_run_draws_no_progress_by_default(repo: Repo) -> None:
    shown, _ = in_terminal(repo, "log", env={"SMALL_PROGRESS_DELAY": "3600"}, stdout_pipe=True)
    assert "reading history" not in shown
