"""The click application: the `small` group and every command family's commands."""

from __future__ import annotations

import click

from small_git.cli import check_cmds, git_cmds, history_cmds, state_cmds, workflow_cmds

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from small_git.commands import version as version_command

    ctx.exit(version_command.run(version_command.VersionRequest()))


@click.group(context_settings=CONTEXT)
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


_FAMILIES = (check_cmds, state_cmds, workflow_cmds, git_cmds, history_cmds)
for _command in (command for family in _FAMILIES for command in family.COMMANDS):
    cli.add_command(_command)
