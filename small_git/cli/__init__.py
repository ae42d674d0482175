"""The command line: option parsing only. `main()` is the one place that turns errors into exit codes.

Exit codes (spec §3): 0 ok, 1 invalid state, 2 usage error or unreadable input, 3 internal error.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from small_git import PROTOCOL_VERSION, __version__
from small_git.errors import EXIT_INTERNAL, EXIT_USAGE, SmallError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(context_settings=CONTEXT)
@click.option(
    "--no-color",
    "--no-colour",
    is_flag=True,
    expose_value=False,
    help="No ANSI colour (also NO_COLOR=1; colour is only ever used on a terminal). Works after the command too.",
)
@click.version_option(
    __version__,
    "-v",
    "--version",
    prog_name="small-git",
    message=f'%(prog)s %(version)s\nSupported spec versions: ["{PROTOCOL_VERSION}"]',
)
def cli() -> None:
    """small-git: SMALL Protocol v1.0.0 state under .small/, with git as the ledger.

    \b
    Example:
      git small init --intent "Ship the parser"
      git small check --strict
    """


# Each module adds its commands with register(cli). The command modules are independent of each other.
_COMMAND_MODULES = ("check_cmds", "state_cmds", "workflow_cmds", "git_cmds", "history_cmds")
for _name in _COMMAND_MODULES:
    _qualified = f"{__name__}.{_name}"
    try:
        _module = importlib.import_module(_qualified)
    except ModuleNotFoundError as _exc:  # a command family that is not part of this build
        if _exc.name != _qualified:
            raise
        continue
    _module.register(cli)


def _command_name(argv: list[str]) -> str:
    return next((a for a in argv if not a.startswith("-")), "")


# The loader accepts nesting up to 1,000 levels (spec §2); jsonschema, repr() and the rules walk a value with
# one or more frames per level, so Python's default limit of 1,000 frames would turn legal input into exit 3.
_RECURSION_LIMIT = 10_000


def _emit_error(command: str, code: int, error: dict[str, object]) -> None:
    from small_git.report import json_report  # only on the error path: it pulls in the checker

    json_report.emit(json_report.error_document(command, code, error))


NO_COLOR_FLAGS = ("--no-color", "--no-colour")


def _take_no_color(args: list[str]) -> list[str]:
    """`--no-color` anywhere before `--` (the reference CLI's persistent flag): colour off, flag removed."""
    end = args.index("--") if "--" in args else len(args)
    if not any(a in NO_COLOR_FLAGS for a in args[:end]):
        return args
    from small_git.report.colour import switch_off

    switch_off()
    return [a for a in args[:end] if a not in NO_COLOR_FLAGS] + args[end:]


def main(argv: list[str] | None = None) -> None:
    args = _take_no_color(list(sys.argv[1:] if argv is None else argv))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), _RECURSION_LIMIT))
    as_json = "--json" in args
    try:
        # One completion variable for `small` and `git-small` alike (the scripts of `small completion` set it).
        code = cli.main(args=args, prog_name=_prog_name(), complete_var="_SMALL_COMPLETE", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:  # unknown flag, bad value, missing argument: always exit 2 (D6)
        if as_json:
            _emit_error(_command_name(args), EXIT_USAGE, {"message": exc.format_message(), "rule": "usage"})
        else:
            exc.show()
        code = EXIT_USAGE
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        code = EXIT_USAGE
    except SmallError as exc:
        if as_json:
            _emit_error(_command_name(args), exc.exit_code, exc.to_dict())
        else:
            print(f"error: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"    fix: {exc.hint}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a traceback is a defect
        if os.environ.get("SMALL_DEBUG"):
            traceback.print_exc()
        message = f"internal error: {type(exc).__name__}: {exc}"
        if as_json:
            _emit_error(_command_name(args), EXIT_INTERNAL, {"message": message, "rule": "internal"})
        else:
            print(message + " (set SMALL_DEBUG=1 for a traceback, and please report it)", file=sys.stderr)
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else 0)


def _prog_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "small"
    return "git small" if name == "git-small" else ("small" if name in ("__main__.py", "-c") else name)
