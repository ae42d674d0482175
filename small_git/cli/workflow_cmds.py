"""apply, status, doctor, emit, draft, accept and the agents group.

Command modules are imported inside each command so that `small --help` stays fast and one command's
dependencies never stop the others from loading.
"""

from __future__ import annotations

import click

from small_git.cli.options import DIR_HELP, dir_option, scope_option

HUMAN_KINDS = click.Choice(["intent", "constraints"])


@click.command()
@dir_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--recent",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many recent progress entries to show.",
)
@click.option(
    "--tasks",
    default=3,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many next actionable tasks to show.",
)
def status(directory: str, as_json: bool, recent: int, tasks: int) -> int:
    """Show intent, current task, task counts, recent progress and whether the handoff is stale.

    \b
    Example:
      small status
      small status --json --recent 10
    """
    from small_git.commands import status as command

    return command.run(command.StatusRequest(directory, as_json, recent, tasks))


@click.command()
@click.option("--dir", "directory", default=None, help=DIR_HELP + "  [default: .]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def doctor(directory: str | None, as_json: bool) -> int:
    """Diagnose the workspace and name the fix for each problem (exit 1 when something is wrong).

    \b
    Example:
      small doctor --dir path/to/project
    """
    from small_git.commands import doctor as command

    return command.run(command.DoctorRequest(directory, as_json))


@click.command()
@dir_option
@scope_option
@click.option(
    "--include",
    default=None,
    help="Comma-separated sections: paths,status,intent,constraints,plan,progress,handoff,"
    "workspace,enforcement.  [default: all but enforcement]",
)
@click.option(
    "--recent",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many recent progress entries the status section lists.",
)
@click.option(
    "--tasks",
    default=3,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many next actionable tasks the status section lists.",
)
@click.option("--check", is_flag=True, help="Add the checker's findings; exit with its code.")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Accepted; the output is always JSON.")
def emit(directory: str, scope: str, include: str | None, recent: int, tasks: int, check: bool, as_json: bool) -> int:
    """Print the whole workspace state as one JSON document.

    \b
    Example:
      small emit --include status,plan --check
    """
    from small_git.commands import emit as command

    return command.run(command.EmitRequest(directory, include, recent, tasks, check, scope))


@click.command(context_settings={"allow_interspersed_args": False})
@click.option("--task", "task_id", default=None, help="The plan task this command is evidence for.")
@click.option("--cmd", "shell_command", default=None, help="Run this string with sh -c instead of argv.")
@click.option(
    "--timeout",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds before the command's process group is killed.",
)
@click.option(
    "--checkpoint",
    "--auto-checkpoint",
    "checkpoint",
    is_flag=True,
    help="Also checkpoint the task: completed on exit 0, blocked otherwise.",
)
@click.option("--dry-run", is_flag=True, help="Record nothing and run nothing; show what would happen.")
@click.option(
    "--auto-progress",
    is_flag=True,
    hidden=True,
    help="Accepted for compatibility: the output summary is always recorded.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print what was recorded as one JSON document (the command's stdout: stderr).",
)
@dir_option
@scope_option
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def apply(
    task_id: str | None,
    shell_command: str | None,
    timeout: float,
    checkpoint: bool,
    dry_run: bool,
    auto_progress: bool,
    as_json: bool,
    directory: str,
    scope: str,
    argv: tuple[str, ...],
) -> int:
    """Run one command and record it (start, exit code, output summary) in progress; exits with its code.

    The full output goes to .small-cache/logs/; the progress entry keeps the last lines, with anything
    that looks like a secret replaced by [REDACTED].

    \b
    Example:
      small apply --task task-2 -- pytest -q tests/
      small apply --task task-2 --checkpoint --cmd "make test"
    """
    from small_git.commands import apply as command

    return command.run(
        command.ApplyRequest(
            directory=directory,
            task_id=task_id,
            argv=argv,
            shell_command=shell_command,
            timeout=timeout,
            checkpoint=checkpoint,
            dry_run=dry_run,
            scope=scope,
            json=as_json,
        )
    )


@click.command()
@click.argument("kind", type=HUMAN_KINDS)
@click.option("--from", "source", required=True, help="A file to copy, or - for stdin.")
@dir_option
@scope_option
def draft(kind: str, source: str, directory: str, scope: str) -> int:
    """Propose a change to intent or constraints as a draft in .small-drafts/ for a human to accept.

    \b
    Example:
      small draft intent --from proposed-intent.yml
      cat new.yml | small draft constraints --from -
    """
    from small_git.commands import draft as command

    return command.run(command.DraftRequest(kind, source, directory, scope))


@click.command()
@click.argument("kind", type=HUMAN_KINDS)
@dir_option
@scope_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def accept(kind: str, directory: str, scope: str, as_json: bool) -> int:
    """Check a draft and, when valid, make it the canonical file (a human's step; recorded in progress).

    \b
    Example:
      small accept intent && git commit -m "Accept intent" .small/
    """
    from small_git.commands import accept as command

    return command.run(command.AcceptRequest(kind, directory, scope, as_json))


@click.group()
def agents() -> None:
    """Write, check or print the SMALL block in AGENTS.md (never touches .small/).

    \b
    Example:
      small agents apply --agents-mode append
    """


@agents.command("apply")
@click.option("--dir", "directory", default=None, help="Folder of the file.  [default: .]")
@click.option("--file", "file_name", default=None, help="The file to write.  [default: AGENTS.md]")
@click.option(
    "--agents-mode",
    "mode",
    type=click.Choice(["append", "prepend"]),
    default=None,
    help="Where to add the block to a file that has none.",
)
@click.option(
    "--overwrite-agents",
    "-f",
    "--force",
    "overwrite",
    is_flag=True,
    help="Replace the whole file with the block (when it has none).",
)
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@click.option("--print", "print_result", is_flag=True, help="Print the composed file; write nothing.")
def agents_apply(
    directory: str | None,
    file_name: str | None,
    mode: str | None,
    overwrite: bool,
    dry_run: bool,
    print_result: bool,
) -> int:
    """Write or refresh the SMALL block in AGENTS.md, keeping the rest of the file.

    \b
    Example:
      small agents apply --agents-mode append --dry-run
    """
    from small_git.commands import agents as command

    return command.run_apply(command.ApplyRequest(directory, file_name, mode, overwrite, dry_run, print_result))


@agents.command("check")
@click.option("--dir", "directory", default=None, help="Folder of the file.  [default: .]")
@click.option("--file", "file_name", default=None, help="The file to check.  [default: AGENTS.md]")
@click.option("--allow-missing", is_flag=True, help="A missing file is fine.")
@click.option("--strict", is_flag=True, help="Also fail when the block is missing or differs (drift).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
def agents_check(
    directory: str | None,
    file_name: str | None,
    allow_missing: bool,
    strict: bool,
    output_format: str,
    as_json: bool,
) -> int:
    """Check the SMALL block in AGENTS.md: markers, sections, and (with --strict) drift; exit 1 if wrong.

    \b
    Example:
      small agents check --strict --format json
    """
    from small_git.commands import agents as command

    return command.run_check(
        command.CheckRequest(directory, file_name, allow_missing, strict, as_json or output_format == "json")
    )


@agents.command("print")
@click.option(
    "--with-markers",
    type=click.BOOL,
    default=True,
    show_default=True,
    is_flag=False,
    flag_value=True,
    help="Include the BEGIN/END markers (--with-markers=false to omit).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "plain"]),
    default="md",
    show_default=True,
    help="Markdown, or plain text.",
)
def agents_print(with_markers: bool, output_format: str) -> int:
    """Print the canonical SMALL block.

    \b
    Example:
      small agents print --with-markers=false
    """
    from small_git.commands import agents as command

    return command.run_print(command.PrintRequest(with_markers, output_format))


COMMANDS: tuple[click.Command, ...] = (status, doctor, emit, apply, draft, accept, agents)
