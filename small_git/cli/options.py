"""Options shared by many commands, defined once so that every command spells them the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DIR_HELP = "The folder holding .small/ (or the .small folder itself)."
SCOPE = click.Choice(["root", "examples", "any"], case_sensitive=False)
SCOPE_HELP = "Which workspace kind to accept: root (repo-root), examples, or any."

dir_option = click.option("--dir", "directory", default=".", show_default=True, help=DIR_HELP)
scope_option = click.option("--workspace", "scope", type=SCOPE, default="root", show_default=True, help=SCOPE_HELP)


def entry_options(func: F) -> F:
    """--notes, --at, --after and --no-commit-evidence: how a command appends its progress entry."""
    for option in reversed(
        (
            click.option("--notes", help="Free text."),
            click.option("--at", help="The entry's timestamp (RFC 3339); must be after the last entry."),
            click.option("--after", help="Stamp the entry just after this time (RFC 3339)."),
            click.option("--no-commit-evidence", is_flag=True, help="Do not record HEAD in the entry's commit field."),
        )
    ):
        func = option(func)
    return func
