"""Options shared by many commands, defined once so that every command spells them the same way."""

from __future__ import annotations

import click

DIR_HELP = "The folder holding .small/ (or the .small folder itself)."
SCOPE = click.Choice(["root", "examples", "any"], case_sensitive=False)
SCOPE_HELP = "Which workspace kind to accept: root (repo-root), examples, or any."

dir_option = click.option("--dir", "directory", default=".", show_default=True, help=DIR_HELP)
scope_option = click.option("--workspace", "scope", type=SCOPE, default="root", show_default=True, help=SCOPE_HELP)
