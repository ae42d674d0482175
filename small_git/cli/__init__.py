"""The command line: option parsing only. `main()` is the one place that turns what a command returns or
raises into an exit code (the reporting itself is `small_git.commands.failure`'s).

Exit codes (spec §3): 0 ok, 1 invalid state, 2 usage error or unreadable input, 3 internal error.
"""

from __future__ import annotations

import os
import sys

import click

from small_git.cli import check_cmds, git_cmds, history_cmds, state_cmds, workflow_cmds
from small_git.commands import failure

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


def _command_name(argv: list[str]) -> str:
    return next((a for a in argv if not a.startswith("-")), "")


# The loader accepts nesting up to 1,000 levels (spec §2); jsonschema, repr() and the rules walk a value with
# one or more frames per level, so Python's default limit of 1,000 frames would turn legal input into exit 3.
_RECURSION_LIMIT = 10_000


NO_COLOR_FLAGS = ("--no-color", "--no-colour")


def _take_no_color(args: list[str]) -> list[str]:
    """`--no-color` anywhere before `--` (the reference CLI's persistent flag) is taken out of the arguments
    and becomes NO_COLOR=1, which every reporter (and any program this one starts) honours."""
    end = args.index("--") if "--" in args else len(args)
    if not any(a in NO_COLOR_FLAGS for a in args[:end]):
        return args
    os.environ["NO_COLOR"] = "1"
    return [a for a in args[:end] if a not in NO_COLOR_FLAGS] + args[end:]


def main(argv: list[str] | None = None) -> None:
    args = _take_no_color(list(sys.argv[1:] if argv is None else argv))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), _RECURSION_LIMIT))
    as_json = "--json" in args[: args.index("--") if "--" in args else len(args)]  # not a flag of apply's command
    try:
        # One completion variable for `small` and `git-small` alike (the scripts of `small completion` set it).
        code = cli.main(args=args, prog_name=_prog_name(), complete_var="_SMALL_COMPLETE", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:  # unknown flag, bad value, missing argument: always exit 2 (D6)
        if as_json:
            code = failure.report_usage(_command_name(args), exc.format_message())
        else:
            exc.show()
            code = failure.USAGE
    except click.exceptions.Abort:
        code = failure.report_abort()
    except KeyboardInterrupt:
        code = failure.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a traceback is a defect
        code = failure.report_failure(_command_name(args), exc, as_json)
    sys.exit(code if isinstance(code, int) else 0)


def _prog_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "small"
    return "git small" if name == "git-small" else ("small" if name in ("__main__.py", "-c") else name)
