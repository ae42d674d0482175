"""log, blame, review, completion: reading the history of `.small/`, and the shell conventions."""

from __future__ import annotations

import click

# The command modules are imported inside each command: every CLI start pays only for the command it runs.
REPO_HELP = "A folder inside the repository (default: the current one)."


def _log_options(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(
        (
            click.argument("rev_range", metavar="[RANGE]", required=False),
            click.option("--task", metavar="ID", help="Only what concerns this task."),
            click.option("--run", "run_id", metavar="REPLAYID", help="Only this run (a replayId or its first digits)."),
            click.option("--author", metavar="PATTERN", help="Only commits whose author matches (case-insensitive)."),
            click.option("--json", "as_json", is_flag=True, help="Print one JSON document."),
            click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP),
        )
    ):
        func = option(func)
    return func


@click.command("log")
@_log_options
@click.option("--entries", is_flag=True, help="Which commit added each progress entry of the head (as blame).")
@click.option("--reverse", is_flag=True, help="Oldest commit first.")
def log_command(
    rev_range: str | None,
    task: str | None,
    run_id: str | None,
    author: str | None,
    as_json: bool,
    directory: str,
    entries: bool,
    reverse: bool,
) -> int:
    """What happened to .small/, commit by commit, from git history alone.

    Newest commit first, as git log. For each commit that touches .small/: its author, committer and
    signature; the run it started; the plan tasks it added or moved; the progress entries it appended
    (entries[N], the numbers check and redact use), reconcile entries and redactions; changes to
    intent and constraints with the gates' verdict; and every finding the gates' engine has for it.

    \b
    Examples:
      git small log
      git small log origin/main..HEAD --task task-2
      git small log --entries          # which commit added each entry
      git small log --author ada --json
    """
    from small_git.commands import log

    return log.run(
        log.LogRequest(rev_range, task, run_id, author, entries, reverse, as_json, directory),
    )


@click.command("blame")
@_log_options
def blame_command(
    rev_range: str | None, task: str | None, run_id: str | None, author: str | None, as_json: bool, directory: str
) -> int:
    """Which commit added each progress entry (the same as git small log --entries).

    \b
    Example:
      git small blame --task task-2
    """
    from small_git.commands import log

    return log.run(log.LogRequest(rev_range, task, run_id, author, True, False, as_json, directory))


@click.command("review")
@click.argument("rev_range", metavar="BASE..HEAD")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown: for a pull-request comment or a GitHub job summary.",
)
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
def review_command(rev_range: str, output_format: str, directory: str) -> int:
    """What BASE..HEAD did to .small/, on one screen, for a reviewer.

    Tasks added and moved with their transitions; entries appended with task, status, evidence and whether
    each cited commit is in HEAD's history; human-owned files changed, by whom, with the gates' verdict;
    handoff freshness at HEAD; every finding of the audit; and the plan as a Mermaid graph coloured by
    status. Exits 0 once printed: git small audit is the gate.

    \b
    Examples:
      git small review origin/main..HEAD
      git small review "$BASE..$HEAD" --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from small_git.commands import review

    return review.run(review.ReviewRequest(rev_range, output_format, directory))


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> int:
    """Print the completion script for SHELL: commands, options and values complete on TAB.

    Completes small, git-small and, where git's own completion is loaded, git small.

    \b
    Examples:
      source <(small completion bash)        # now; add the line to ~/.bashrc for every shell
      source <(small completion zsh)         # in ~/.zshrc, after compinit
      small completion fish > ~/.config/fish/completions/small.fish
    """
    from small_git.cli import cli
    from small_git.cli.completion import script
    from small_git.commands import completion

    return completion.run(completion.CompletionRequest(script(cli, shell)))


@click.command("textconv-cache")
@click.argument("rev_range", metavar="[RANGE]", required=False)
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
def textconv_cache_command(rev_range: str | None, directory: str) -> int:
    """Render every .small/ version of RANGE into git's textconv cache, in one process.

    git fills the cache itself, one driver process per blob; after fetching a long history, this makes the
    first git log -p as fast as the later ones. Needs git small install (the diff driver).

    \b
    Example:
      git fetch && git small textconv-cache origin/main && git log -p origin/main -- .small/
    """
    from small_git.commands import textconv_cache

    return textconv_cache.run(textconv_cache.TextconvCacheRequest(rev_range, directory))


COMMANDS = (log_command, blame_command, review_command, completion_command, textconv_cache_command)
