"""validate, lint, check and verify: one checker, four views of it (spec §3)."""

from __future__ import annotations

import os

from small_git.protocol.artifacts import LONG_LOG_BYTES, SMALL_DIR
from small_git.protocol.checker import CheckOptions, CheckResult, check_scope, check_state
from small_git.protocol.state import State
from small_git.protocol.values import Frozen
from small_git.report import console
from small_git.report.text import plural, print_findings, shown_path
from small_git.store.reader import read_state, root_folder

STAGES_OF = {
    "validate": ("validate",),
    "lint": ("lint",),
    "check": ("validate", "lint", "verify"),
    "verify": ("validate", "lint", "verify"),
}


class CheckRequest(Frozen):
    """What `validate`, `lint`, `check` and `verify` were asked (a plain immutable class rather than a
    dataclass: every `small check` defines it as it starts)."""

    __slots__ = ("command", "directory", "strict", "scope", "json", "ci", "format_strict", "git")
    command: str  # validate | lint | check | verify
    directory: str | None
    strict: bool
    scope: str
    json: bool
    ci: bool  # terse: no hints, no success line
    format_strict: bool
    git: bool  # also the tip-level evidence check against HEAD (spec §6.4)

    def __init__(
        self,
        command: str,
        directory: str | None = None,
        strict: bool = False,
        scope: str = "root",
        json: bool = False,
        ci: bool = False,
        format_strict: bool = False,
        git: bool = False,
    ) -> None:
        field = object.__setattr__
        field(self, "command", command)
        field(self, "directory", directory)
        field(self, "strict", strict)
        field(self, "scope", scope)
        field(self, "json", json)
        field(self, "ci", ci)
        field(self, "format_strict", format_strict)
        field(self, "git", git)


def run(request: CheckRequest) -> int:
    scope = check_scope(request.scope)
    root = root_folder(request.directory)  # a string: check starts without pathlib
    state = read_state(root)
    options = CheckOptions(
        strict=request.strict,
        scope=scope,
        stages=STAGES_OF[request.command],
        format_strict=request.format_strict,
        notices=request.json,
    )
    result = _checked(root, state, options)
    if request.git:
        from pathlib import Path

        from small_git.gates.tipcheck import head_findings

        result.findings += head_findings(Path(root), state)
    if request.json:
        from small_git.report import json_report

        json_report.emit(json_report.check_document(request.command, root, result, request.strict))
        return result.exit_code
    if not request.ci and result.warnings:
        print_findings(result.warnings)
    mode = " --strict" if request.strict else ""
    if result.ok:
        if not request.ci:
            console.out(f"{request.command}{mode} passed: {shown_path(os.path.join(root, SMALL_DIR))}")
        return result.exit_code
    print_findings(result.findings, with_hint=not request.ci)
    files = len({f.file for f in result.findings})
    console.err(f"{request.command}{mode} failed: {plural(len(result.findings), 'finding')} in {plural(files, 'file')}")
    return result.exit_code


def _checked(root: str, state: State, options: CheckOptions) -> CheckResult:
    """The check; a long log after an append is checked from the added entries (workflow/check_memo.py)."""
    size = state.files["progress"].size
    if size is None or size < LONG_LOG_BYTES:
        return check_state(state, options=options)
    from pathlib import Path

    from small_git.workflow.check_memo import CheckMemo  # only a long log pays for the memo's imports

    return CheckMemo(Path(root)).check(state, options)
