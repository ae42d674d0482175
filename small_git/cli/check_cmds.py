"""validate, lint, check, verify, version."""

from __future__ import annotations

import click

from small_git.cli.options import dir_option, scope_option


@click.command()
@dir_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--spec-dir", hidden=True, help="Accepted for compatibility; schemas are built in.")
def validate(directory: str, as_json: bool, spec_dir: str | None) -> int:
    """Check the five artifacts against the SMALL v1.0.0 schemas.

    \b
    Example:
      small validate --dir path/to/project
    """
    from small_git.commands import check as check_command

    return check_command.run(check_command.CheckRequest("validate", directory, json=as_json))


@click.command()
@dir_option
@click.option("--strict", is_flag=True, help="Also S1-S4, secrets and insecure links.")
@click.option("--format-strict", is_flag=True, help="Fail when small_version is not a quoted string.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--spec-dir", hidden=True, help="Accepted for compatibility; schemas are built in.")
def lint(directory: str, strict: bool, format_strict: bool, as_json: bool, spec_dir: str | None) -> int:
    """Check the protocol rules (timestamps, evidence, plan graph, ...).

    \b
    Example:
      small lint --strict --format-strict
    """
    from small_git.commands import check as check_command

    return check_command.run(
        check_command.CheckRequest("lint", directory, strict, json=as_json, format_strict=format_strict)
    )


@click.command()
@dir_option
@click.option("--strict", is_flag=True, help="Also S1-S4, secrets and insecure links.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (also on failure).")
@click.option("--ci", is_flag=True, help="Terse output for CI logs: findings only, no hints.")
@click.option("--format-strict", is_flag=True, help="Fail when small_version is not a quoted string.")
@scope_option
@click.option(
    "--git", "with_git", is_flag=True, help="Also require every cited commit to be in HEAD's history (spec §6.4)."
)
def check(
    directory: str, strict: bool, as_json: bool, ci: bool, format_strict: bool, scope: str, with_git: bool
) -> int:
    """Validate, lint and verify a workspace in one go; prints every finding with file and line.

    \b
    Exit codes: 0 valid, 1 findings, 2 usage error or unreadable input.
    Example:
      small check --strict --dir .
    """
    from small_git.commands import check as check_command

    return check_command.run(
        check_command.CheckRequest("check", directory, strict, scope, as_json, ci, format_strict, git=with_git)
    )


@click.command()
@dir_option
@click.option("--strict", is_flag=True, help="Also S1-S4, secrets and insecure links.")
@click.option("--ci", is_flag=True, help="Terse output for CI logs: findings only, no hints.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (also on failure).")
@scope_option
def verify(directory: str, strict: bool, ci: bool, as_json: bool, scope: str) -> int:
    """Verify the workspace: schemas, rules, workspace kind and the handoff's current task.

    \b
    Example:
      small verify --strict --ci
    """
    from small_git.commands import check as check_command

    return check_command.run(check_command.CheckRequest("verify", directory, strict, scope, as_json, ci))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def version(as_json: bool) -> int:
    """Print the small-git version and the SMALL versions it supports.

    \b
    Example:
      small version --json
    """
    from small_git.commands import version as version_command

    return version_command.run(version_command.VersionRequest(json=as_json))


COMMANDS: tuple[click.Command, ...] = (validate, lint, check, verify, version)
