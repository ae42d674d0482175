"""Which git command started us. Git tells hooks and drivers nothing about `--amend` or about replaying
commits, so the gates look at the git processes above them."""

from __future__ import annotations

import os
from collections.abc import Iterator

# A hook that may not judge at all (pre-commit before commit-msg) reads this module first: it imports no
# dataclasses, pathlib or subprocess, which would cost that hook more than the rest of its run.


def git_ancestors(levels: int = 8) -> Iterator[list[str]]:
    """The argv of each `git` process above this one, nearest first (the pre-commit framework adds levels)."""
    pid = os.getppid()
    for _ in range(levels):
        info = _process(pid)
        if info is None:
            return
        argv, parent = info
        if argv and os.path.basename(argv[0]) in ("git", "git.exe"):
            yield argv
        if parent <= 1 or parent == pid:
            return
        pid = parent


def _process(pid: int) -> tuple[list[str], int] | None:
    proc = f"/proc/{pid}"
    if os.path.isdir(proc):
        try:
            with open(f"{proc}/cmdline", "rb") as handle:
                argv = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
            with open(f"{proc}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return argv, parent
    import subprocess

    try:  # macOS and other systems without /proc
        out = subprocess.run(
            ["ps", "-o", "ppid=", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return None
    if not out:
        return None
    parent_text, _, args_text = out.partition(" ")
    try:
        return args_text.split(), int(parent_text)
    except ValueError:
        return None


# --- reading git's arguments as git reads them ----------------------------------------------------------------

# Global options that take the next argument as their value (`git -C dir commit`, `git -c k=v commit`).
_GLOBAL_VALUES = frozenset(("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"))


class Grammar:
    """What a git command's options look like: which short letters and long names take a value."""

    __slots__ = ("short_values", "long_values", "long_flags")

    def __init__(self, short_values: str, long_values: frozenset[str], long_flags: frozenset[str]) -> None:
        self.short_values = short_values
        self.long_values = long_values
        self.long_flags = long_flags  # the other long options (abbreviations must be unambiguous among all)

    def resolve(self, name: str) -> str | None:
        """A long option's full name (git accepts any unambiguous prefix, and `no-` negations)."""
        names = self.long_values | self.long_flags
        negated = {f"no-{n}" for n in self.long_flags}
        everything = names | negated
        if name in everything:
            return name
        matches = [n for n in everything if n.startswith(name)]
        return matches[0] if len(matches) == 1 else None


COMMIT = Grammar(
    "mFCct",
    frozenset(
        (
            "message",
            "file",
            "author",
            "date",
            "reuse-message",
            "reedit-message",
            "fixup",
            "squash",
            "template",
            "cleanup",
            "trailer",
            "pathspec-from-file",
        )
    ),
    frozenset(
        (
            "quiet",
            "verbose",
            "reset-author",
            "signoff",
            "edit",
            "status",
            "all",
            "include",
            "interactive",
            "patch",
            "only",
            "verify",
            "dry-run",
            "short",
            "branch",
            "ahead-behind",
            "porcelain",
            "long",
            "null",
            "amend",
            "post-rewrite",
            "allow-empty",
            "allow-empty-message",
            "pathspec-file-nul",
            "gpg-sign",
            "untracked-files",
            "no-edit",
            "no-verify",
        )
    ),
)
MERGE = Grammar(
    "mFsX",
    frozenset(("message", "file", "strategy", "strategy-option", "into-name", "cleanup")),
    frozenset(
        (
            "squash",
            "commit",
            "edit",
            "ff",
            "ff-only",
            "log",
            "stat",
            "summary",
            "compact-summary",
            "progress",
            "signoff",
            "verify",
            "verify-signatures",
            "autostash",
            "allow-unrelated-histories",
            "rerere-autoupdate",
            "overwrite-ignore",
            "abort",
            "quit",
            "continue",
            "quiet",
            "verbose",
            "gpg-sign",
            "no-commit",
            "no-ff",
        )
    ),
)
PULL = Grammar(
    "sXo",
    frozenset(
        (
            "strategy",
            "strategy-option",
            "upload-pack",
            "depth",
            "deepen",
            "shallow-since",
            "shallow-exclude",
            "refmap",
            "server-option",
        )
    ),
    MERGE.long_flags | frozenset(("rebase", "all", "append", "force", "tags", "prune", "dry-run", "ipv4", "ipv6")),
)


def command_of(argv: list[str]) -> tuple[str, list[str]] | None:
    """(git's subcommand, its arguments) from a `git` process's argv; None when there is none."""
    index = 1
    while index < len(argv):
        word = argv[index]
        if word in _GLOBAL_VALUES:
            index += 2
            continue
        if word.startswith("-"):
            index += 1
            continue
        return word, argv[index + 1 :]
    return None


def long_options(args: list[str], grammar: Grammar) -> list[str]:
    """The long names of the options in `args`, in order, values skipped as git skips them (`-m --amend`
    is a message, not an option). Short flags are not reported."""
    return [option for option in options(args, grammar) if len(option) > 1]


def options(args: list[str], grammar: Grammar) -> list[str]:
    """Every option in `args`, in order: long ones by full name, short ones by letter (`-am x` gives `a`,
    `m`), values skipped as git skips them."""
    found: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            break
        if word.startswith("--"):
            name, has_value, _ = word[2:].partition("=")
            full = grammar.resolve(name)
            if full in grammar.long_values and not has_value:
                index += 1  # the next argument is the value
            if full is not None:
                found.append(full)
        elif word.startswith("-") and len(word) > 1:
            for position, letter in enumerate(word[1:], start=1):
                found.append(letter)
                if letter in grammar.short_values:
                    if position == len(word) - 1:
                        index += 1  # the value is the next argument
                    break  # or the rest of the word
    return found


def option_in_effect(args: list[str], grammar: Grammar, name: str) -> bool:
    """Whether `--name` is set when git is done reading `args` (the last of `--name`/`--no-name` wins)."""
    state = False
    for option in long_options(args, grammar):
        if option == name:
            state = True
        elif option == f"no-{name}":
            state = False
    return state


# The options that give `git commit` its message, and those that open the editor on it (or may: a template, a
# fixup or squash message that git prepares).
_MESSAGE_GIVEN = frozenset(("m", "F", "C", "message", "file", "reuse-message"))
_EDITOR_MAY_OPEN = frozenset(("c", "reedit-message", "t", "template", "fixup", "squash"))


def commit_opens_editor(args: list[str]) -> bool:
    """Whether `git commit ARGS` may open an editor on its message, as git decides it: not when the message
    is given (`-m`, `-F`, `-C`) or `--no-edit` is last, always with `-e`/`--edit`. In doubt, yes."""
    given = False
    edit: bool | None = None
    for option in options(args, COMMIT):
        if option in _EDITOR_MAY_OPEN:
            return True
        if option in _MESSAGE_GIVEN:
            given = True
        elif option in ("e", "edit"):
            edit = True
        elif option == "no-edit":
            edit = False
    return edit if edit is not None else not given


def nearest_command(commands: tuple[str, ...]) -> tuple[str, list[str]] | None:
    """The nearest git process above us running one of `commands` (our own `git small ...` and other
    git processes in between are skipped)."""
    for argv in git_ancestors():
        parsed = command_of(argv)
        if parsed is not None and parsed[0] in commands:
            return parsed
    return None
