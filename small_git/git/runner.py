"""The one way small-git starts git.

Hooks run inside git with `GIT_DIR`, `GIT_INDEX_FILE` and, on a server, the quarantine variables set, so git
runs as a plain subprocess that inherits the caller's environment, with these changes:
- inherited pathspec switches (`GIT_LITERAL_PATHSPECS`, `GIT_GLOB_PATHSPECS`, `GIT_NOGLOB_PATHSPECS`,
  `GIT_ICASE_PATHSPECS`) are dropped: they would change which paths a command names;
- for the gates (the default) every path is literal (`GIT_LITERAL_PATHSPECS=1`: a folder called
  `:(exclude)x` is a folder, not pathspec magic), replace objects are ignored (`GIT_NO_REPLACE_OBJECTS=1`:
  the gates judge the objects git shows people, not what `git replace` substitutes locally) and a partial
  clone never fetches from the network (`GIT_NO_LAZY_FETCH=1`: a missing object is missing history).
Commands that make commits (and so run hooks and the user's own tools) pass `gate=False` and get the caller's
environment without the pathspec switches.

A failure raises `GitError`, which carries the command, its exit code and its stderr.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError

PATHSPEC_SWITCHES = ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS")
GATE_SETTINGS = {"GIT_LITERAL_PATHSPECS": "1", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_NO_LAZY_FETCH": "1"}
GIT_HINT = "install git 2.30 or newer"


class GitError(SmallError):
    """git failed, or is missing. Exit 2: the input (repository, revision) cannot be read."""

    def __init__(self, command: Sequence[str], returncode: int | None, stderr: str, *, hint: str | None = None) -> None:
        self.command = list(command)
        self.returncode = returncode
        self.stderr = stderr
        status = "could not start" if returncode is None else f"exit {returncode}"
        detail = f": {stderr.strip()}" if stderr.strip() else ""
        super().__init__(f"{' '.join(self.command)} failed ({status}){detail}", exit_code=EXIT_USAGE, hint=hint)


@dataclass(frozen=True)
class GitResult:
    command: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        """stdout as text (invalid UTF-8 kept as surrogate escapes, so paths round-trip)."""
        return self.stdout.decode("utf-8", "surrogateescape")

    @property
    def error_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def git_environment(base: Mapping[str, str] | None = None, *, gate: bool = True) -> dict[str, str]:
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in PATHSPEC_SWITCHES}
    if gate:
        env.update(GATE_SETTINGS)
    return env


def run(
    args: Sequence[str],
    cwd: Path | str | None = None,
    *,
    input: bytes | None = None,
    check: bool = True,
    gate: bool = True,
    env: Mapping[str, str] | None = None,
) -> GitResult:
    """Run `git <args>`; raise GitError when it fails and `check` is set."""
    command = ("git", *args)
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            input=input,
            capture_output=True,
            env=git_environment(env, gate=gate),
            check=False,
        )
    except FileNotFoundError:
        raise GitError(command, None, "git is not installed or not on PATH", hint=GIT_HINT) from None
    except NotADirectoryError:
        raise GitError(command, None, f"{cwd} is not a directory") from None
    result = GitResult(command, proc.returncode, proc.stdout, proc.stderr)
    if check and not result.ok:
        raise GitError(command, proc.returncode, result.error_text)
    return result


def start(args: Sequence[str], cwd: Path | str | None = None, *, gate: bool = True) -> subprocess.Popen[bytes]:
    """A long-running `git <args>` with pipes to talk to (`git cat-file --batch`)."""
    command = ("git", *args)
    try:
        return subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_environment(gate=gate),
        )
    except FileNotFoundError:
        raise GitError(command, None, "git is not installed or not on PATH", hint=GIT_HINT) from None
