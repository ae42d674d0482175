"""Manual pages, generated from the command line itself, so they say what `--help` says.

`git small --help` is git's `git help small`, which opens `git-small(1)`. The build (hatch_build.py) writes
`git-small.1` (every command), `git-small-<command>.1` (one command, `man git-small-log`) and `small.1` (the
same page as git-small.1) and installs them in `share/man/man1` of the environment, where `man` finds them
beside the scripts. `python -m small_git.cli.manpages DIR` writes them by hand.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

SECTION = "1"
MANUAL = "small-git Manual"
_FIRST_IN_LINE = re.compile(r"^([.'])", re.MULTILINE)


def roff(text: str) -> str:
    """Text safe as roff: backslashes and hyphens escaped, no line starting with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return _FIRST_IN_LINE.sub(r"\\&\1", text)


def _paragraphs(help_text: str) -> Iterator[tuple[bool, str]]:
    """(preformatted, text) for each paragraph of click help; `\\b` marks a paragraph click does not rewrap."""
    for block in re.split(r"\n\s*\n", help_text.strip()):
        lines = block.splitlines()
        if lines and lines[0].strip() == "\b":
            yield True, "\n".join(lines[1:])
        else:
            yield False, " ".join(line.strip() for line in lines)


def _body(help_text: str) -> list[str]:
    out: list[str] = []
    for preformatted, text in _paragraphs(help_text):
        if preformatted:
            out += [".PP", ".nf", ".RS 4", roff(_dedent(text)), ".RE", ".fi"]
        else:
            out += [".PP", roff(text)]
    return out


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def _commands(group: click.Group, ctx: click.Context) -> Iterator[tuple[str, click.Command, click.Context]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx)
        yield name, command, sub
        if isinstance(command, click.Group):
            for deeper, child, child_ctx in _commands(command, sub):
                yield f"{name} {deeper}", child, child_ctx


def _options(command: click.Command, ctx: click.Context) -> list[str]:
    out: list[str] = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue  # arguments are in the synopsis
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        out += [".TP", f"\\fB{roff(names)}\\fR", roff(help_text) or "\\&"]
    return out


def _usage(name: str, command: click.Command, ctx: click.Context) -> str:
    pieces = " ".join(command.collect_usage_pieces(ctx))
    return f"\\fBgit small {roff(name)}\\fR {roff(pieces)}".rstrip()


def _header(title: str, summary: str, version: str) -> list[str]:
    return [
        f'.TH "{title.upper()}" "{SECTION}" "" "small-git {version}" "{MANUAL}"',
        ".SH NAME",
        f"{roff(title)} \\- {roff(summary)}",
    ]


def command_page(name: str, command: click.Command, ctx: click.Context, version: str) -> str:
    title = f"git-small-{name.replace(' ', '-')}"
    lines = _header(title, command.get_short_help_str(limit=200), version)
    lines += [".SH SYNOPSIS", _usage(name, command, ctx), ".SH DESCRIPTION", *_body(command.help or "")]
    options = _options(command, ctx)
    if options:
        lines += [".SH OPTIONS", *options]
    lines += [".SH SEE ALSO", "\\fBgit-small\\fR(1)"]
    return "\n".join(lines) + "\n"


def main_page(cli: click.Group, version: str) -> str:
    ctx = click.Context(cli, info_name="git small")
    lines = _header("git-small", "SMALL Protocol state under .small/, with git as the ledger", version)
    lines += [
        ".SH SYNOPSIS",
        "\\fBgit small\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]",
        ".br",
        "\\fBsmall\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]",
        ".SH DESCRIPTION",
        *_body(cli.help or ""),
        ".PP",
        "\\fBsmall\\fR and \\fBgit small\\fR are the same program. Every command prints its flags and an example "
        "with \\fB\\-\\-help\\fR; \\fBgit small \\-\\-help\\fR (git's \\fBgit help small\\fR) opens this page.",
        ".SH GLOBAL OPTIONS",
        *_options(cli, ctx),
        ".SH COMMANDS",
    ]
    for name, command, sub in _commands(cli, ctx):
        lines += [".SS " + roff(name), _usage(name, command, sub), *_body(command.help or "")]
        lines += _options(command, sub)
    lines += [
        ".SH EXIT STATUS",
        ".TP",
        "0",
        "ok",
        ".TP",
        "1",
        "the state is invalid (findings printed)",
        ".TP",
        "2",
        "usage error or unreadable input (unknown flag, bad value, missing .small/, history that cannot be read)",
        ".TP",
        "3",
        "internal error (set SMALL_DEBUG=1 for a traceback)",
        ".SH ENVIRONMENT",
        ".TP",
        "NO_COLOR",
        "set (to anything but the empty string): no colour, as with \\fB\\-\\-no\\-color\\fR",
        ".TP",
        "SMALL_PROGRESS_DELAY",
        "seconds before a long log, review or audit draws its progress on a terminal (default 0.5)",
        ".TP",
        "SMALL_ACTOR=agent",
        "marks the environment as an agent's: human\\-owned files cannot be committed from it",
        ".SH SEE ALSO",
        "\\fBgit\\fR(1), \\fBgit\\-small\\-log\\fR(1), \\fBgit\\-small\\-review\\fR(1); the documentation in docs/ of "
        "the small\\-git sources",
    ]
    return "\n".join(lines) + "\n"


def pages(cli: click.Group, version: str) -> dict[str, str]:
    """File name -> page text."""
    found = {"git-small.1": main_page(cli, version), "small.1": f".so man{SECTION}/git-small.{SECTION}\n"}
    ctx = click.Context(cli, info_name="git small")
    for name, command, sub in _commands(cli, ctx):
        found[f"git-small-{name.replace(' ', '-')}.{SECTION}"] = command_page(name, command, sub, version)
    return found


def write_pages(directory: Path, version: str) -> list[Path]:
    """Write every page into `directory` (the build passes the version it builds)."""
    from small_git.cli import cli

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in pages(cli, version).items():
        target = directory / filename
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    from importlib.metadata import version as installed_version

    for path in write_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "man"), installed_version("small-git")):
        print(path)
