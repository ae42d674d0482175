"""Reading a git process's arguments as git reads them (small_git/git/processes.py): which subcommand runs,
and whether `--amend` (or another long option) is in effect. The hooks rely on it; tests/test_git_gates_fooled.py
shows it through real commits, these pin the grammar itself."""

from __future__ import annotations

import os

import pytest

from small_git.git.processes import (
    COMMIT,
    MERGE,
    PULL,
    _process,
    command_of,
    git_ancestors,
    long_options,
    nearest_command,
    option_in_effect,
)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["git", "commit", "--amend"], ("commit", ["--amend"])),
        (["/usr/bin/git", "-C", "repo", "-c", "user.name=x", "commit", "-m", "m"], ("commit", ["-m", "m"])),
        (["git", "--no-pager", "--git-dir", "d", "rebase", "main"], ("rebase", ["main"])),
        (["git", "-p"], None),
        (["git"], None),
    ],
)
def test_the_subcommand_is_found_past_global_options(argv: list[str], expected: object) -> None:
    assert command_of(argv) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "--amend"],
        ["-m", "tidy", "-m", "--amend"],
        ["--message", "--amend"],
        ["-am", "--amend"],
        ["-C", "--amend"],
        ["--amend", "--no-amend"],
        ["--", "--amend"],
        ["--message=--amend"],
    ],
)
def test_a_message_or_value_saying_amend_is_not_an_amend(args: list[str]) -> None:
    assert not option_in_effect(args, COMMIT, "amend")


@pytest.mark.parametrize(
    "args",
    [["--amend"], ["--am", "-m", "reword"], ["-m", "x", "--amend", "--no-edit"], ["-a", "--amend"], ["-mx", "--amend"]],
)
def test_amend_in_any_spelling_git_accepts_is_an_amend(args: list[str]) -> None:
    assert option_in_effect(args, COMMIT, "amend")


def test_long_options_are_resolved_from_unambiguous_prefixes_and_values_are_skipped() -> None:
    assert COMMIT.resolve("amen") == "amend"
    assert COMMIT.resolve("no-ame") == "no-amend"
    assert COMMIT.resolve("zzz") is None
    assert long_options(["--message", "--amend", "--amend"], COMMIT) == ["message", "amend"]
    assert "no-ff" in long_options(["--no-ff", "main"], MERGE)
    assert option_in_effect(["--rebase"], PULL, "rebase")
    assert not option_in_effect(["--rebase", "--no-rebase"], PULL, "rebase")


def test_a_process_is_read_with_its_arguments_and_parent() -> None:
    info = _process(os.getpid())
    assert info is not None
    argv, parent = info
    assert argv and parent == os.getppid()
    assert _process(2**22 + 12345) is None  # no such process


def test_without_git_above_there_is_no_git_command() -> None:
    # the tests do not run under git: nothing above this process is a git command
    if any(command_of(argv) for argv in git_ancestors()):
        pytest.skip("this test run was started from inside git")
    assert nearest_command(("commit", "merge")) is None
