"""The command line: option parsing only. `main()` is the one place that turns what a command returns or
raises into an exit code (the reporting itself is `small_git.commands.failure`'s).

Exit codes (spec §3): 0 ok, 1 invalid state, 2 usage error or unreadable input, 3 internal error.

click is imported only when options are to be parsed: `git small hook NAME ARGS...`, what every installed
hook runs, has none (git decides its arguments), so a hook starts without it.
"""

from __future__ import annotations

import gc
import os
import sys

from small_git.commands import failure

TYPE_CHECKING = False
if TYPE_CHECKING:
    import click


def __getattr__(name: str) -> click.Group:
    if name == "cli":  # the click group, for the manual pages and in-process tests
        from small_git.cli.app import cli

        return cli
    raise AttributeError(name)


def _hook_call(args: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """`hook NAME ARGS...` as an installed hook runs it; None for anything click must parse (`hook --help`, a
    wrong name). What follows the name is git's (a remote's name and URL, a file name) and is never read as an
    option: a remote called `--help` must not turn the gate into a help page that exits 0."""
    if len(args) < 2 or args[0] != "hook":
        return None
    from small_git.commands.hook_names import HOOK_NAMES  # only for a hook: any other command starts without

    return (args[1], tuple(args[2:])) if args[1] in HOOK_NAMES else None


def _run_hook(name: str, args: tuple[str, ...]) -> int:
    try:
        if name == "pre-receive":  # the server gate is a command of its own
            from small_git.commands import pre_receive

            return pre_receive.run(pre_receive.PreReceiveRequest(args, sys.stdin.read(), os.environ))
        from small_git.commands import hook as hook_command

        return hook_command.run(hook_command.HookRequest(name, args))
    except KeyboardInterrupt:
        return failure.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a traceback is a defect
        return failure.report_failure("hook", exc, False)


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
    given = list(sys.argv[1:] if argv is None else argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), _RECURSION_LIMIT))
    hook_call = _hook_call(given)  # before `--no-color` is taken out: a hook's arguments are git's, untouched
    if hook_call is not None:
        sys.exit(_run_hook(*hook_call))
    args = _take_no_color(given)
    # What the start imports (click, the group) lives until the process ends: the collector would only scan it
    # again at each collection, and once more at exit. So it is imported with the collector paused, then
    # frozen out of its reach (gc.freeze); what the command itself allocates is collected as usual.
    collecting = gc.isenabled()
    gc.disable()
    import click

    from small_git.cli.app import cli

    gc.freeze()
    if collecting:
        gc.enable()

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
