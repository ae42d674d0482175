"""validate, lint, check and verify: one checker, four views of it (spec §3)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from small_git.protocol.artifacts import LONG_LOG_BYTES
from small_git.protocol.checker import CheckOptions, CheckResult, check_scope, check_state
from small_git.report import console, json_report
from small_git.report.text import plural, print_findings, shown_path
from small_git.protocol.state import State
from small_git.store.reader import read_state, resolve_root

STAGES_OF = {
    "validate": ("validate",),
    "lint": ("lint",),
    "check": ("validate", "lint", "verify"),
    "verify": ("validate", "lint", "verify"),
}


@dataclass(frozen=True)
class CheckRequest:
    command: str  # validate | lint | check | verify
    directory: str | None = None
    strict: bool = False
    scope: str = "root"
    json: bool = False
    ci: bool = False  # terse: no hints, no success line
    format_strict: bool = False
    git: bool = False  # also the tip-level evidence check against HEAD (spec §6.4)


def run(request: CheckRequest) -> int:
    scope = check_scope(request.scope)
    root = resolve_root(request.directory)
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
        from small_git.gates.tipcheck import head_findings

        result.findings += head_findings(root, state)
    if request.json:
        json_report.emit(json_report.check_document(request.command, str(root), result, request.strict))
        return result.exit_code
    if not request.ci and result.warnings:
        print_findings(result.warnings)
    mode = " --strict" if request.strict else ""
    if result.ok:
        if not request.ci:
            console.out(f"{request.command}{mode} passed: {shown_path(root / '.small')}")
        return result.exit_code
    print_findings(result.findings, with_hint=not request.ci)
    files = len({f.file for f in result.findings})
    console.err(f"{request.command}{mode} failed: {plural(len(result.findings), 'finding')} in {plural(files, 'file')}")
    return result.exit_code


def _checked(root: Path, state: State, options: CheckOptions) -> CheckResult:
    """The check; a long log after an append is checked from the added entries (workflow/check_memo.py)."""
    size = state.files["progress"].size
    if size is None or size < LONG_LOG_BYTES:
        return check_state(state, options=options)
    from small_git.workflow.check_memo import CheckMemo  # only a long log pays for the memo's imports

    return CheckMemo(root).check(state, options)
