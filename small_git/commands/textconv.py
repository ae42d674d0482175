"""git small textconv <file>: the diff driver's rendering of one `.small/` file (spec §6.5)."""

from __future__ import annotations

import sys

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.report import console
from small_git.report.textconv import render
from small_git.store.limits import configured_limits

# git starts this module once per blob it renders, so it imports only what the rendering runs (no pathlib,
# no click, no git layer): see `python -X importtime -m small_git.commands.textconv FILE`.


def run(path: str) -> int:
    """Print the rendering of `path` ("-": standard input). Unreadable YAML is printed as it is, so a diff
    never fails; only a file that cannot be read at all is an error."""
    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise SmallError(f"cannot read {path}: {exc.strerror}", exit_code=EXIT_USAGE, file=path) from None
    # Past the loader's size limit there is nothing to render; the raw bytes still diff.
    out = raw if len(raw) > configured_limits().max_bytes else render(raw, path)
    console.write_bytes(out)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """`python -m small_git.commands.textconv FILE`: what the diff driver runs. git starts one process per
    blob, so this skips the command line's start-up (click and every command's options)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        console.err("usage: python -m small_git.commands.textconv FILE")
        return EXIT_USAGE
    try:
        return run(args[0])
    except SmallError as exc:
        console.err(f"error: {exc.message}")
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
