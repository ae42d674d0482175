"""`agents apply|check|print`: the bounded SMALL block in AGENTS.md (reference §7.20 markers and composition).

The block tells an agent how to work in this repository. Only the text between the markers is ours; whatever
the file holds around it is kept byte for byte (apart from the blank lines the composition rules normalise).
These commands never touch `.small/`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SmallError
from small_git.report import console, json_report
from small_git.store.atomic import atomic_write
from small_git.workflow.agents_md import (
    BEGIN_MARKER,
    BLOCK_CONTENT,
    END_MARKER,
    MODES,
    compose,
    find_block,
    inspect,
    plain_text,
    read_text,
    target_file,
)


@dataclass(frozen=True)
class ApplyRequest:
    directory: str | None = None
    file_name: str | None = None  # default AGENTS.md
    mode: str | None = None  # append | prepend: where a file without a block gets it
    overwrite: bool = False  # replace a file without a block by the block
    dry_run: bool = False  # show the change as a diff
    print_result: bool = False  # print the composed file


@dataclass(frozen=True)
class CheckRequest:
    directory: str | None = None
    file_name: str | None = None
    allow_missing: bool = False
    strict: bool = False  # also fail on a missing block or drift
    json: bool = False


@dataclass(frozen=True)
class PrintRequest:
    with_markers: bool = True
    output_format: str = "md"  # md | plain


def run_apply(request: ApplyRequest) -> int:
    mode, overwrite = request.mode, request.overwrite
    if mode is not None and mode not in MODES:
        raise SmallError(f"invalid --agents-mode {mode!r} (use append or prepend)", exit_code=EXIT_USAGE)
    if mode is not None and overwrite:
        raise SmallError("--agents-mode and --overwrite-agents/--force are mutually exclusive", exit_code=EXIT_USAGE)
    path = target_file(request.directory, request.file_name)
    existing = read_text(path)
    new_text = compose(existing, mode, overwrite)
    if request.print_result:
        console.write(new_text)
        return EXIT_OK
    if request.dry_run:
        old_lines = (existing or "").splitlines(keepends=True)
        diff = difflib.unified_diff(
            old_lines, new_text.splitlines(keepends=True), fromfile=f"a/{path.name}", tofile=f"b/{path.name}"
        )
        console.write_lines(diff)
        console.out("(dry run: nothing written)" if existing != new_text else f"{path.name} is up to date")
        return EXIT_OK
    if existing == new_text:
        console.out(f"{path.name} is up to date")
        return EXIT_OK
    # Write through a symlink to its target rather than replacing the link with a file.
    atomic_write(path.resolve() if path.is_symlink() else path, new_text.encode("utf-8"))
    console.out(_apply_message(existing, path.name, mode, overwrite))
    return EXIT_OK


def _apply_message(existing: str | None, name: str, mode: str | None, overwrite: bool) -> str:
    if existing is None or not existing.strip():
        return f"Created {name}"
    if find_block(existing) is not None:
        return f"Updated SMALL harness block in {name}"
    if overwrite:
        return f"Overwrote {name}"
    return f"{'Appended' if mode == 'append' else 'Prepended'} SMALL harness block to {name}"


def run_check(request: CheckRequest) -> int:
    path = target_file(request.directory, request.file_name)
    report = inspect(path, allow_missing=request.allow_missing, strict=request.strict)
    code = EXIT_INVALID if "error" in report else EXIT_OK
    if request.json:
        json_report.emit(report)
        return code
    if code == EXIT_OK:
        if not report["hasFile"]:
            console.out(f"{path.name} is missing (allowed)")
        elif not report["hasBlock"]:
            console.out(f"{path.name} has no SMALL harness block (use --strict to require one)")
        else:
            drift = (
                " (differs from the canonical block; refresh with: git small agents apply)"
                if report["hasDrift"]
                else ""
            )
            console.out(f"{path.name}: SMALL harness block OK{drift}")
        return code
    console.err(f"error: {report['error']}")
    if report.get("recommendation"):
        console.err(f"hint: {report['recommendation']}")
    return code


def run_print(request: PrintRequest) -> int:
    with_markers, output_format = request.with_markers, request.output_format
    if output_format not in ("md", "plain"):
        raise SmallError(f"invalid --format {output_format!r} (use md or plain)", exit_code=EXIT_USAGE)
    content = BLOCK_CONTENT if output_format == "md" else plain_text(BLOCK_CONTENT)
    console.write(f"{BEGIN_MARKER}\n{content}{END_MARKER}\n" if with_markers else content)
    return EXIT_OK
