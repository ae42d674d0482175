"""install, uninstall, hook, audit, help: the git gates."""

from __future__ import annotations

import os
import sys

import click

from small_git.commands.hook_names import HOOK_NAMES

# The command modules are imported inside each command: every CLI start (and every hook) pays only for
# the command it runs.
REPO_HELP = "A folder inside the repository (default: the current one)."
SERVER_LAYOUTS = ("plain", "gitlab", "gitlab-file", "gitea", "forgejo")  # integration/server/layouts.py


@click.command()
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
@click.option("--no-drivers", is_flag=True, help="Install the hooks only, not the drivers.")
@click.option("--server", is_flag=True, help="Install the pre-receive gate (the default on a bare repository).")
@click.option("--layout", type=click.Choice(SERVER_LAYOUTS), help="Where the forge runs hooks (default: detected).")
@click.option("--hooks-dir", type=click.Path(file_okay=False), help="A server-wide hooks folder instead of --dir.")
@click.option("--policy", type=click.Path(dir_okay=False), help="A server-side policy file (git config format).")
def install(
    directory: str, no_drivers: bool, server: bool, layout: str | None, hooks_dir: str | None, policy: str | None
) -> int:
    """Install the gates as git hooks (pre-commit, pre-merge-commit, commit-msg, post-rewrite, pre-push).

    Also post-commit, post-merge and post-checkout, which keep the textconv cache of .small/ filled
    (filled for the existing history now; off with: git config small.textconvCache false).
    Hooks that were already there keep running, before small-git's. Running it again is harmless.
    On a bare repository (or with --server) it installs the pre-receive gate instead, where the
    forge runs it: plain git, GitLab, Gitea or Forgejo (docs/server.md).

    \b
    Examples:
      git small install
      git small install --dir /srv/git/project.git
      git small install --server --layout gitlab --hooks-dir /var/opt/gitlab/gitaly/custom_hooks
    """
    from small_git.commands import install as install_command

    request = install_command.InstallRequest(directory, not no_drivers, server, layout, hooks_dir, policy)
    return install_command.run(request)


@click.command()
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
@click.option("--hooks-dir", type=click.Path(file_okay=False), help="A server-wide hooks folder instead of --dir.")
def uninstall(directory: str, hooks_dir: str | None) -> int:
    """Remove small-git's hooks and drivers, putting back the hooks that were there before.

    On a bare repository it removes the pre-receive gate, wherever its layout put it.

    \b
    Examples:
      git small uninstall
      git small uninstall --dir /srv/git/project.git
    """
    from small_git.commands import uninstall as uninstall_command

    return uninstall_command.run(uninstall_command.UninstallRequest(directory, hooks_dir))


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument(
    "name",
    type=click.Choice(HOOK_NAMES),
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook(name: str, args: tuple[str, ...]) -> int:
    """Run one gate as git hook NAME would (what installed hooks and pre-commit call).

    \b
    Example:
      git small hook pre-commit
    """
    if name == "pre-receive":  # the server gate is a command of its own
        from small_git.commands import pre_receive

        return pre_receive.run(pre_receive.PreReceiveRequest(args, sys.stdin.read(), os.environ))
    from small_git.commands import hook as hook_command

    return hook_command.run(hook_command.HookRequest(name, args))


@click.command()
@click.argument("rev_range", metavar="[OLD..NEW]", required=False)
@click.option("--old", "--before", "old", help="The ref's old tip (all zeros or empty: a new ref).")
@click.option("--new", "--after", "new", help="The ref's new tip (default: HEAD).")
@click.option("--ref", help="The ref that moved, for messages (default: from NEW).")
@click.option("--forced/--no-forced", default=None, help="What CI reported; shown only, the audit decides.")
@click.option(
    "--from-ci",
    type=click.Choice(["github", "gitlab"]),
    help="Read the update from the CI event (GITHUB_EVENT_PATH; CI_COMMIT_BEFORE_SHA, CI_COMMIT_SHA).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (also on failure).")
@click.option("--dir", "directory", default=".", show_default=True, help=REPO_HELP)
def audit(
    rev_range: str | None,
    old: str | None,
    new: str | None,
    ref: str | None,
    forced: bool | None,
    from_ci: str | None,
    as_json: bool,
    directory: str,
) -> int:
    """Judge a ref update OLD..NEW (the ref moved from OLD to NEW) as a push would be judged.

    Every commit NEW brings is judged; when the move is not a fast-forward (a force push, a rewind),
    every progress entry OLD held must still be at NEW. A single revision (default HEAD) is judged as
    a new ref: its whole history. An all-zero OLD (a new branch in CI) means the same.

    \b
    Exit codes: 0 clean, 1 findings, 2 usage error or missing history (the fetch to run is printed).
    Examples:
      git small audit origin/main..HEAD
      git small audit --old "$BEFORE" --new "$AFTER" --ref refs/heads/main
      git small audit --from-ci github
    """
    from small_git.commands import audit as audit_command

    request = audit_command.AuditRequest(rev_range, old, new, ref, forced, from_ci, as_json, directory)
    return audit_command.run(request)


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

    return textconv_command.run(textconv_command.TextconvRequest(file))


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

    return merge_driver_command.run(merge_driver_command.MergeDriverRequest(args))


@click.command("help")
@click.argument("topic", required=False, type=click.Choice(["gates", "recovering", "redaction", "authority"]))
def help_topic(topic: str | None) -> int:
    """What the gates check and what to do about a refusal (TOPIC: gates, recovering, redaction, authority).

    \b
    Example:
      git small help gates
    """
    from small_git.commands import help as help_command

    return help_command.run(help_command.HelpRequest(topic))


COMMANDS: tuple[click.Command, ...] = (install, uninstall, hook, audit, redact, textconv, merge_driver, help_topic)
