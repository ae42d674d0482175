"""One module per command. Each exposes `run(...) -> int` (the exit code) over already-parsed options.

`run_writer` is what the commands that write share for `--json`: one document saying what was written, also
when the command is refused part-way."""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`: the diff driver (one process per blob) would import it for nothing

if TYPE_CHECKING:
    from collections.abc import Callable

    from small_git.workflow.written import Written


def run_writer(command: str, as_json: bool, body: Callable[[Written], int]) -> int:
    """Run `body`; under `--json` print one document of what it wrote (with the error, when it raised one)."""
    # Imported here, not above: the diff driver (`python -m small_git.commands.textconv`, once per blob)
    # imports this package, and must not pay for what only the writers use.
    from small_git.errors import SmallError
    from small_git.report import json_report
    from small_git.workflow.written import Written

    written = Written()
    if not as_json:
        return body(written)
    error = None
    try:
        code = body(written)
    except SmallError as exc:
        code, error = exc.exit_code, exc.to_dict()
    paths, removed = written.paths()
    json_report.emit(
        json_report.written_document(
            command,
            str(written.root) if written.root is not None else None,
            paths,
            removed,
            written.entries,
            written.messages,
            written.details,
            code,
            error,
        )
    )
    return code
