"""The click application: the `small` group and every command family's commands.

The group imports a family's module only when one of its commands is asked for: `small check` imports
`check_cmds` alone, while `--help`, shell completion and the manual pages, which ask for every command, load
every family.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}

# The commands each family module holds in its COMMANDS (tests/test_cli_app.py keeps the two in step).
FAMILIES: dict[str, tuple[str, ...]] = {
    "check_cmds": ("validate", "lint", "check", "verify", "version"),
    "state_cmds": ("init", "plan", "progress", "checkpoint", "handoff", "reset", "fix"),
    "workflow_cmds": ("status", "doctor", "emit", "apply", "draft", "accept", "agents"),
    "git_cmds": ("install", "uninstall", "hook", "audit", "redact", "textconv", "merge-driver", "help"),
    "history_cmds": ("log", "blame", "review", "completion", "textconv-cache"),
}
_FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}


class LazyGroup(click.Group):
    """A group whose commands are imported, one family module at a time, when they are first asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()

    def _load(self, family: str) -> None:
        if family in self._loaded:
            return
        module = importlib.import_module(f"{__package__}.{family}")
        for command in module.COMMANDS:
            self.add_command(command)
        self._loaded.add(family)

    def load_all(self) -> None:
        for family in FAMILIES:
            self._load(family)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_FAMILY_OF)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        family = _FAMILY_OF.get(cmd_name)
        if family is None:
            self.load_all()  # an unknown name: click's "did you mean" then chooses among every command
        else:
            self._load(family)
        return self.commands.get(cmd_name)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from small_git.commands import version as version_command

    ctx.exit(version_command.run(version_command.VersionRequest()))


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.option(
    "--no-color",
    "--no-colour",
    is_flag=True,
    expose_value=False,
    help="No ANSI colour (also NO_COLOR=1; colour is only ever used on a terminal). Works after the command too.",
)
@click.option(
    "-v",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """small-git: SMALL Protocol v1.0.0 state under .small/, with git as the ledger.

    \b
    Example:
      git small init --intent "Ship the parser"
      git small check --strict
    """
