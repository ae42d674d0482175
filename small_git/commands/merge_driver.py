"""git small merge-driver %O %A %B [%L] [%P]: git's merge driver for progress.small.yml (spec §6.2, §6.5),
and for plan.small.yml when %P names one.

Git runs it with the ancestor's, our and their version in temporary files; the result replaces our file
(atomically). Exit 0 is a clean merge; exit 1 leaves a conflict, with markers and the reason in the file and
on stderr, as git expects of a merge driver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SmallError
from small_git.integration.merge_driver import merge_plan, merge_progress, replaying
from small_git.protocol.artifacts import filename
from small_git.report import console
from small_git.store.atomic import atomic_write

DEFAULT_MARKER_SIZE = 7


def parse_arguments(args: tuple[str, ...]) -> tuple[str, str, str, int, str]:
    """(ancestor, current, other, marker size, path) from `%O %A %B`, `%O %A %B %P` or `%O %A %B %L %P`."""
    if not 3 <= len(args) <= 5:
        raise SmallError(
            f"merge-driver takes 3 to 5 arguments (%O %A %B [%L] [%P]), got {len(args)}",
            exit_code=EXIT_USAGE,
            hint="configure it as: git small merge-driver %O %A %B %L %P (git small install does)",
        )
    ancestor, current, other = args[:3]
    marker_size, path = DEFAULT_MARKER_SIZE, ""
    if len(args) == 5:
        if not re.fullmatch(r"[0-9]+", args[3]):  # not isdigit(): git writes ASCII, int() takes any digit
            raise SmallError(
                f"merge-driver: the conflict marker size must be a number, got {args[3]!r}", exit_code=EXIT_USAGE
            )
        marker_size, path = int(args[3]), args[4]
    elif len(args) == 4:
        path = args[3]
    return ancestor, current, other, marker_size, path or Path(current).name


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return b""  # git passes an empty file for a side without the file; be as lenient with a missing one
    except OSError as exc:
        raise SmallError(f"merge-driver: cannot read {path}: {exc.strerror}", exit_code=EXIT_USAGE) from None


@dataclass(frozen=True)
class MergeDriverRequest:
    args: tuple[str, ...]  # %O %A %B [%L] [%P], as git passes them


def run(request: MergeDriverRequest) -> int:
    ancestor, current, other, marker_size, path = parse_arguments(request.args)
    versions = _read(ancestor), _read(current), _read(other)
    if path.replace("\\", "/").rsplit("/", 1)[-1] == filename("plan"):
        result = merge_plan(*versions, marker_size=marker_size, path=path)
    else:
        result = merge_progress(*versions, replay=replaying(Path.cwd()), marker_size=marker_size, path=path)
    atomic_write(Path(current), result.data)
    if result.conflict is not None:
        console.err(f"small-git merge driver: {path}: {result.conflict}")
        return EXIT_INVALID
    return EXIT_OK
