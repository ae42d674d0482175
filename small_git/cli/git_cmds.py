"""install, uninstall, hook, audit: the git gates."""

from __future__ import annotations

import click

# The command modules are imported inside each command: every CLI start (and every hook) pays only for
# the command it runs.
REPO_HELP = "A folder inside the repository (default: the current one)."


@click.command()
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
@click.option("--no-drivers", is_flag=True, help="Install the hooks only, not the drivers.")
def install(directory: str, no_drivers: bool) -> int:
    """Install the gates as git hooks (pre-commit, pre-merge-commit, commit-msg, post-rewrite, pre-push).

    Hooks that were already there keep running, before small-git's. Running it again is harmless.

    \b
    Example:
      git small install
    """
    from small_git.commands import install as install_command

    return install_command.run(directory, drivers=not no_drivers)


@click.command()
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
def uninstall(directory: str) -> int:
    """Remove small-git's hooks and drivers, putting back the hooks that were there before.

    \b
    Example:
      git small uninstall
    """
    from small_git.commands import uninstall as uninstall_command

    return uninstall_command.run(directory)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("name", type=click.Choice(["pre-commit", "pre-merge-commit", "commit-msg", "post-rewrite", "pre-push"]))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook(name: str, args: tuple[str, ...]) -> int:
    """Run one gate as git hook NAME would (what installed hooks and pre-commit call).

    \b
    Example:
      git small hook pre-commit
    """
    from small_git.commands import hook as hook_command

    return hook_command.run(name, args)


@click.command()
@click.argument("rev_range", metavar="[RANGE]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (also on failure).")
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
def audit(rev_range: str | None, as_json: bool, directory: str) -> int:
    """Judge every commit of RANGE (base..head; default: all of HEAD) by the gates' rules.

    \b
    Exit codes: 0 clean, 1 findings, 2 usage error or missing history (a shallow clone).
    Example:
      git small audit origin/main..HEAD
    """
    from small_git.commands import audit as audit_command

    return audit_command.run(rev_range, as_json, directory)


@click.command()
@click.option(
    "--entry",
    type=click.IntRange(min=0),
    required=True,
    help="The entry's number, from 0, as findings name it (entries[N]).",
)
@click.option("--field", required=True, help="The field holding the value: notes, evidence.output, ...")
@click.option(
    "--dir",
    "directory",
    default=".",
    show_default=True,
    help="The folder holding .small/ (or the .small folder itself).",
)
def redact(entry: int, field: str, directory: str) -> int:
    """Replace a secret in an old progress entry by its SHA-256 marker and record the redaction.

    \b
    Commit the result with a "Small-Redact: <reason>" trailer; the gates accept nothing else.
    Example:
      git small redact --entry 3 --field notes
    """
    from small_git.commands import redact as redact_command

    return redact_command.run(redact_command.RedactRequest(entry, field, directory))


@click.command()
@click.argument("file")
def textconv(file: str) -> int:
    """Render a .small/ file one line per entry, task or field, for git diff.

    Unreadable YAML is printed unchanged, so a diff never fails. git small install configures it.

    \b
    Example:
      git small textconv .small/progress.small.yml
    """
    from small_git.commands import textconv as textconv_command

    return textconv_command.run(file)


@click.command("merge-driver")
@click.argument("args", nargs=-1, metavar="ANCESTOR CURRENT OTHER [MARKER_SIZE] [PATH]")
def merge_driver(args: tuple[str, ...]) -> int:
    """git's merge driver for progress.small.yml (append-only) and plan.small.yml.

    The result is written into CURRENT; exit 1 leaves a conflict. git small install configures it.
    The file name PATH chooses the merge (plan.small.yml: by task id; anything else: progress).

    \b
    Example:
      git config merge.small-progress.driver "git small merge-driver %O %A %B %L %P"
    """
    from small_git.commands import merge_driver as merge_driver_command

    return merge_driver_command.run(args)


COMMANDS: tuple[click.Command, ...] = (install, uninstall, hook, audit, redact, textconv, merge_driver)
