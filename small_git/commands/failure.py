"""Not a command: how a command that failed is reported, the same way for every command.

A `SmallError` is something the user can act on: its message (and fix) on stderr, or one JSON document under
`--json`, and its exit code. Anything else escaping a command is a defect in small-git: exit 3.
"""

from __future__ import annotations

import os

from small_git.errors import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, SmallError
from small_git.report import console

INTERRUPTED = 130  # what a shell reports for Ctrl-C
USAGE = EXIT_USAGE


def _emit_error(command: str, code: int, error: dict[str, object]) -> None:
    from small_git.report import json_report  # only on the error path

    json_report.emit(json_report.error_document(command, code, error))


def report_usage(command: str, message: str) -> int:
    """A usage error (unknown flag, bad value) as the `--json` document; exit 2 (D6)."""
    _emit_error(command, EXIT_USAGE, {"message": message, "rule": "usage"})
    return EXIT_USAGE


def report_abort() -> int:
    console.err("Aborted.")
    return EXIT_USAGE


def report_failure(command: str, exc: Exception, as_json: bool) -> int:
    """Report what escaped `command`; returns the exit code."""
    if isinstance(exc, BrokenPipeError):
        return EXIT_OK  # the reader went away (`small status | head`): nothing left to say
    if isinstance(exc, SmallError):
        if as_json:
            _emit_error(command, exc.exit_code, exc.to_dict())
        else:
            console.err(f"error: {exc.message}")
            if exc.hint:
                console.err(f"    fix: {exc.hint}")
        return exc.exit_code
    if os.environ.get("SMALL_DEBUG"):
        import traceback  # only here: every command and hook imports this module

        traceback.print_exception(exc)
    message = f"internal error: {type(exc).__name__}: {exc}"
    if as_json:
        _emit_error(command, EXIT_INTERNAL, {"message": message, "rule": "internal"})
    else:
        console.err(message + " (set SMALL_DEBUG=1 for a traceback, and please report it)")
    return EXIT_INTERNAL
