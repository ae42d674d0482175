"""The click group loads a command family's module only when one of its commands runs: its table of which
family holds which command is each family's COMMANDS, and `small check` starts without the other families."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click
import pytest
from support.cli import run, small
from support.repo import plain_workspace

from small_git.cli.app import FAMILIES, cli


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_table_names_each_familys_commands(family: str) -> None:
    module = importlib.import_module(f"small_git.cli.{family}")
    assert tuple(command.name for command in module.COMMANDS) == FAMILIES[family]


def test_the_families_are_every_command_module_of_the_cli() -> None:
    folder = Path(importlib.import_module("small_git.cli").__file__ or "").parent
    assert sorted(FAMILIES) == sorted(path.stem for path in folder.glob("*_cmds.py"))


def test_every_command_is_listed_and_found() -> None:
    ctx = click.Context(cli, info_name="small")
    names = cli.list_commands(ctx)
    assert names == sorted(name for names in FAMILIES.values() for name in names)
    for name in names:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name


def test_an_unknown_command_is_told_the_nearest_one(tmp_path: Path) -> None:
    code, _, err = small(tmp_path, "chek")
    assert code == 2 and "No such command 'chek'. Did you mean 'check'?" in err


# What `small check` of a valid workspace needs no part of: the other command families; what only a traceback,
# a torn log, --json, a hook's call or a printed finding needs; dataclasses (protocol/values.py), which compile
# their methods as they are defined; pathlib (store/reader.py works on strings).
NOT_ON_THE_CHECK_PATH = (
    "small_git.cli.state_cmds",
    "small_git.cli.workflow_cmds",
    "small_git.cli.git_cmds",
    "small_git.cli.history_cmds",
    "traceback",
    "small_git.protocol.torn",
    "small_git.protocol.interop",
    "dataclasses",
    "pathlib",
    "small_git.commands.hook_names",
    "small_git.report.json_report",
    "small_git.report.colour",
)


# Prints, as the process ends, every module it imported.
MODULES_AT_EXIT = (
    "import atexit, sys; atexit.register(lambda: print(*sys.modules, file=sys.stderr)); "
    "from small_git.cli import main; main()"
)


def test_check_imports_only_its_own_family(tmp_path: Path) -> None:
    workspace = plain_workspace(tmp_path)
    proc = run(workspace, sys.executable, "-c", MODULES_AT_EXIT, "check")
    assert proc.returncode == 0 and proc.stdout == "check passed: .small\n", proc.stderr
    imported = set(proc.stderr.split())
    assert "small_git.cli.check_cmds" in imported
    assert sorted(imported & set(NOT_ON_THE_CHECK_PATH)) == []
