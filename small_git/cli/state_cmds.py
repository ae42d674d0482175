"""init, plan, progress add, checkpoint, handoff, reset, fix: the commands that write `.small/`."""

from __future__ import annotations

import click

from small_git.cli.options import dir_option, entry_options, scope_option

STATUS_HELP = "pending, in_progress, completed, blocked or cancelled."


@click.command()
@click.option("--intent", help="The project's intent (otherwise a placeholder to fill in).")
@click.option("--force", is_flag=True, help="Create only the files that are missing; never overwrite.")
@click.option("--dir", "directory", default=None, help="Where to create .small/.  [default: .]")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as one JSON document.")
def init(intent: str | None, force: bool, directory: str | None, as_json: bool) -> int:
    """Create a workspace: artifacts, workspace file, first entry, handoff.

    \b
    Example:
      small init --intent "Ship the CSV importer"
      small init --force        # recreate only missing files
    """
    from small_git.commands import init as command

    return command.run(command.InitRequest(directory, intent, force, as_json))


@click.command()
@click.option("--add", "add", multiple=True, metavar="TITLE", help="Add a pending task (id task-N).")
@click.option("--done", multiple=True, metavar="ID", help="Mark a task completed (records progress).")
@click.option("--pending", multiple=True, metavar="ID", help="Mark a task pending (records progress).")
@click.option("--blocked", multiple=True, metavar="ID", help="Mark a task blocked (records progress).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="ID=STATUS",
    help="Set a task's status (records progress).",
)
@click.option("--reopen", is_flag=True, help="Allow moving a completed or cancelled task.")
@click.option("--depends", multiple=True, metavar="TASK:DEP", help="TASK depends on DEP.")
@click.option("--remove", multiple=True, metavar="ID", help="Remove a task nothing depends on.")
@click.option("--move", metavar="ID", help="Move a task; with --before ID or --after ID.")
@click.option("--before", metavar="ID", help="With --move: put the task before this one.")
@click.option("--after", metavar="ID", help="With --move: put the task after this one.")
@click.option("--reset", is_flag=True, help="Replace the plan with the template (needs --yes).")
@click.option("--yes", is_flag=True, help="Confirm --reset.")
@click.option("--json", "as_json", is_flag=True, help="Print the tasks (after any edits) as one JSON document.")
@dir_option
@scope_option
def plan(
    add: tuple[str, ...],
    done: tuple[str, ...],
    pending: tuple[str, ...],
    blocked: tuple[str, ...],
    statuses: tuple[str, ...],
    reopen: bool,
    depends: tuple[str, ...],
    remove: tuple[str, ...],
    move: str | None,
    before: str | None,
    after: str | None,
    reset: bool,
    yes: bool,
    as_json: bool,
    directory: str,
    scope: str,
) -> int:
    """List the tasks; add, remove, reorder them; set dependencies, statuses.

    \b
    Example:
      small plan                # id, status, title and dependencies of each task
      small plan --add "Parse the CSV header" --add "Import rows"
      small plan --depends task-3:task-2 --move task-3 --before task-2
    """
    from small_git.commands import plan as command

    pairs: list[tuple[str, str]] = [(t, "completed") for t in done] + [(t, "pending") for t in pending]
    pairs += [(t, "blocked") for t in blocked]
    for raw in statuses:
        task, sep, value = raw.partition("=")
        if not sep:
            raise click.BadParameter(f"expected ID=STATUS, got {raw!r}", param_hint="--status")
        pairs.append((task.strip(), value.strip()))
    request = command.PlanRequest(
        add=add,
        statuses=tuple(pairs),
        depends=depends,
        remove=remove,
        move=move,
        before=before,
        after=after,
        reopen=reopen,
        reset=reset,
        yes=yes,
        directory=directory,
        scope=scope,
        json=as_json,
    )
    return command.run(request)


@click.group()
def progress() -> None:
    """Work with the append-only progress log.

    \b
    Example:
      small progress add --task task-2 --status in_progress --evidence "parser skeleton"
    """


@progress.command("add")
@click.option("--task", required=True, help="The task id (meta/... for bookkeeping entries).")
@click.option("--status", required=True, help=STATUS_HELP)
@click.option("--evidence", help="What shows the progress (test run, output, link, ...).")
@entry_options
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
@dir_option
@scope_option
def progress_add(
    task: str,
    status: str,
    evidence: str | None,
    notes: str | None,
    at: str | None,
    after: str | None,
    no_commit_evidence: bool,
    as_json: bool,
    directory: str,
    scope: str,
) -> int:
    """Append one entry to the progress log (the plan is not changed).

    \b
    Example:
      small progress add --task task-2 --status in_progress --evidence "pytest: 4 passed"
    """
    from small_git.commands import progress as command

    return command.run(
        command.ProgressRequest(
            task, status, evidence, notes, at, after, directory, scope, as_json, not no_commit_evidence
        )
    )


@click.command()
@click.option("--task", required=True, help="The plan task to move.")
@click.option("--status", required=True, help=STATUS_HELP)
@click.option("--evidence", help="What proves it (test run, output, link, ...).")
@entry_options
@click.option("--reopen", is_flag=True, help="Move a completed or cancelled task (recorded in the entry).")
@click.option("--commit", "commit", is_flag=True, help="Also git-commit .small/ with Small-Task/Status trailers.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@dir_option
@scope_option
def checkpoint(
    task: str,
    status: str,
    evidence: str | None,
    notes: str | None,
    reopen: bool,
    at: str | None,
    after: str | None,
    commit: bool,
    no_commit_evidence: bool,
    as_json: bool,
    directory: str,
    scope: str,
) -> int:
    """Move a task to a new status and record it in progress, in one step.

    \b
    Example:
      small checkpoint --task task-2 --status completed --evidence "pytest: 12 passed"
      small checkpoint --task task-2 --status in_progress --reopen --notes "edge case found"
    """
    from small_git.commands import checkpoint as command

    return command.run(
        command.CheckpointRequest(
            task,
            status,
            evidence,
            notes,
            reopen,
            at,
            after,
            directory,
            scope,
            as_json,
            not no_commit_evidence,
            commit,
        )
    )


@click.command()
@click.option("--summary", help="The summary to write (otherwise derived from the plan).")
@click.option("--replay-id", help="Use this replayId (64 hex digits; source: manual).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as one JSON document.")
@dir_option
@scope_option
def handoff(summary: str | None, replay_id: str | None, as_json: bool, directory: str, scope: str) -> int:
    """Regenerate the handoff from the plan (same state, same bytes).

    \b
    Example:
      small handoff --summary "Parser done; importer next"
    """
    from small_git.commands import handoff as command

    return command.run(command.HandoffRequest(summary, replay_id, directory, scope, json=as_json))


@click.command()
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--keep-intent", is_flag=True, help="Keep intent.small.yml (the default; accepted for compatibility).")
@click.option("--reset-intent", is_flag=True, help="Also replace intent.small.yml with the template.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as one JSON document.")
@dir_option
@scope_option
def reset(yes: bool, keep_intent: bool, reset_intent: bool, as_json: bool, directory: str, scope: str) -> int:
    """Start a new run: new plan, handoff and replayId; progress is kept.

    \b
    Example:
      small reset --yes
    """
    from small_git.commands import reset as command

    if keep_intent and reset_intent:
        raise click.UsageError("--keep-intent and --reset-intent exclude each other")

    def confirm(prompt: str) -> bool:  # on stderr under --json: stdout holds the document alone
        return click.confirm(prompt, err=as_json)

    return command.run(command.ResetRequest(directory, yes, not reset_intent, scope, confirm=confirm, json=as_json))


@click.command()
@click.option("--versions", is_flag=True, help="Only quote small_version values.")
@click.option("--all", "all_fixes", is_flag=True, help="Every repair (the default).")
@click.option("--orphan-progress", is_flag=True, hidden=True, help="Refused: it would rewrite history.")
@click.option("--json", "as_json", is_flag=True, help="Print what was repaired and written as one JSON document.")
@dir_option
@scope_option
def fix(versions: bool, all_fixes: bool, orphan_progress: bool, as_json: bool, directory: str, scope: str) -> int:
    """Repair what can be repaired without rewriting progress history.

    \b
    Example:
      small fix && small check --strict
    """
    from small_git.commands import fix as command

    return command.run(command.FixRequest(directory, versions, all_fixes, orphan_progress, scope, as_json))


COMMANDS: tuple[click.Command, ...] = (init, plan, progress, checkpoint, handoff, reset, fix)
