"""`doctor`: diagnose a workspace and name the fix for each problem. Read-only.

Exit 0 when nothing is wrong (warnings allowed), 1 when something is, 2 when there is no `.small/` at all.
Unlike the reference it never suggests a command that would drop progress history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SmallError
from small_git.git import plumbing as git
from small_git.protocol.artifacts import ALL_FILES, CACHE_DIR, display_path
from small_git.protocol.cross_rules import tasks_of
from small_git.protocol.findings import ERROR, WARNING, Finding, sort_key
from small_git.report import console, json_report
from small_git.report.doctor import INFO, doctor_document, render_doctor
from small_git.store.reader import resolve_root
from small_git.workflow import agents_md
from small_git.workflow.drafts import pending_drafts
from small_git.workflow.freshness import handoff_freshness
from small_git.workflow.view import View, load_view, status_counts

OK, WARN = INFO, WARNING
STAGE = "doctor"


def _finding(
    name: str, level: str, message: str, fix: str | None = None, file: str | None = None, line: int | None = None
) -> Finding:
    """One thing doctor found: `name` is the area (files, rules/<rule>, plan, ...), `level` a severity (ok is
    `info`), `fix` the hint."""
    return Finding(name, file or "", message, line, fix, level, STAGE)


def _files(view: View, init_cmd: str) -> list[Finding]:
    out = []
    missing = [display_path(k) for k in ALL_FILES if not view.present(k)]
    if missing:
        out.append(
            _finding(
                "files",
                ERROR,
                f"missing: {', '.join(missing)}",
                f"{init_cmd} --force  (creates only the missing files; existing ones are kept)",
            )
        )
    for kind, problem in view.problems.items():
        fix = (
            f"edit {display_path(kind)} at the place named, then run: small check"
            if kind != "progress"
            else "run: small fix  (it restores a log whose last entry was torn by a crash)"
        )
        out.append(_finding("files", ERROR, problem, fix, display_path(kind)))
    if not out:
        out.append(_finding("files", OK, "all six files are present and parse"))
    return out


def _rules(view: View) -> list[Finding]:
    from small_git.protocol.checker import CheckOptions, check_state

    if view.problems:
        return [_finding("rules", WARN, "not checked: a file could not be read (see above)")]
    out = []
    try:
        default = check_state(view.state, options=CheckOptions(scope="any"))
        strict = check_state(view.state, options=CheckOptions(strict=True, scope="any"))
    except SmallError as exc:
        return [_finding("rules", ERROR, exc.message, exc.hint, exc.file, exc.line)]
    seen = set()
    for finding in sorted(default.findings, key=sort_key):
        seen.add((finding.rule, finding.file, finding.line, finding.message))
        out.append(_finding(f"rules/{finding.rule}", ERROR, finding.message, finding.hint, finding.file, finding.line))
    for finding in sorted(strict.findings + default.warnings, key=sort_key):
        if (finding.rule, finding.file, finding.line, finding.message) not in seen:
            seen.add((finding.rule, finding.file, finding.line, finding.message))
            out.append(
                _finding(
                    f"rules/{finding.rule}",
                    WARN,
                    f"(strict) {finding.message}" if finding in strict.findings else finding.message,
                    finding.hint,
                    finding.file,
                    finding.line,
                )
            )
    if not default.findings:
        note = "" if strict.ok else "; check --strict does not"
        out.insert(0, _finding("rules", OK, "check passes" + note))
    return out


def _workflow(view: View, root: Path) -> list[Finding]:
    out = []
    plan = view.data.get("plan")
    if view.present("plan") and "plan" not in view.problems:
        counts = status_counts(plan)
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no tasks"
        level = OK if tasks_of(plan) else WARN
        out.append(
            _finding(
                "plan",
                level,
                f"{len(tasks_of(plan))} task(s): {summary}",
                None if level == OK else 'add one: small plan --add "Title"',
            )
        )
        if counts.get("blocked"):
            out.append(
                _finding(
                    "plan",
                    WARN,
                    f"{counts['blocked']} task(s) blocked",
                    "read the blocker in progress, then: small checkpoint --task ID --status "
                    'completed|blocked --evidence "..." (or --reopen)',
                )
            )
    if view.present("handoff") and "handoff" not in view.problems:
        fresh = handoff_freshness(root, view.data.get("handoff"))
        if fresh["state"] == "stale":
            shown = ", ".join(fresh["changed"][:3]) + (" ..." if fresh["changed_count"] > 3 else "")
            out.append(
                _finding(
                    "handoff",
                    WARN,
                    f"stale: {fresh['changed_count']} path(s) changed since it "
                    f"was generated at {fresh['commit']} ({shown})",
                    "regenerate it: small handoff",
                )
            )
        elif fresh["state"] == "fresh":
            out.append(_finding("handoff", OK, f"fresh (generated at {fresh['commit']})"))
        else:
            # Outside git there is nothing to compare with; that is not the handoff's fault.
            unrecorded = fresh["commit"] is None and fresh["reason"] != "not a git work tree"
            out.append(
                _finding(
                    "handoff",
                    WARN if unrecorded else OK,
                    f"freshness unknown: {fresh['reason']}",
                    "regenerate it: small handoff" if unrecorded else None,
                )
            )
    for draft in pending_drafts(root):
        kind = Path(draft).name.split(".")[0]
        out.append(
            _finding("drafts", WARN, f"{draft} awaits review", f"a human reviews it, then runs: small accept {kind}")
        )
    return out


def _environment(root: Path) -> list[Finding]:
    out = []
    top = git.top_level(root) if root.is_dir() else None
    if top is None:
        out.append(
            _finding(
                "git",
                WARN,
                f"{root} is not in a git work tree: no history, no gates",
                "run: git init, then: small install",
            )
        )
    else:
        # check-ignore judges a path name, so the probe file need not exist.
        if not git.is_ignored(f"{CACHE_DIR}/probe.log", root):
            out.append(
                _finding(
                    "git",
                    WARN,
                    f"{CACHE_DIR}/ is not ignored by git (it holds local logs)",
                    f"add the line {CACHE_DIR}/ to {root / '.gitignore'}",
                )
            )
    report = agents_md.inspect(root / agents_md.DEFAULT_FILE, allow_missing=False, strict=True)
    if "error" in report:
        out.append(
            _finding(
                "agents",
                WARN,
                f"{agents_md.DEFAULT_FILE}: {report['error']}",
                str(report.get("recommendation") or "run: small agents apply"),
            )
        )
    else:
        out.append(_finding("agents", OK, f"{agents_md.DEFAULT_FILE} has the current SMALL block"))
    return out


def diagnose(directory: str | os.PathLike[str] | None) -> tuple[Path, list[Finding]]:
    root = resolve_root(directory)
    init_cmd = f"small init --dir {root}"
    try:
        view = load_view(root)
    except SmallError as exc:
        return root, [_finding("workspace", ERROR, exc.message, exc.hint or f"run: {init_cmd}")]
    found = _files(view, f"run: {init_cmd}") + _rules(view) + _workflow(view, root) + _environment(root)
    return root, found


def exit_code_of(found: list[Finding]) -> int:
    if any(d.rule == "workspace" and d.severity == ERROR for d in found):
        return EXIT_USAGE
    return EXIT_INVALID if any(d.severity == ERROR for d in found) else EXIT_OK


@dataclass(frozen=True)
class DoctorRequest:
    directory: str | None = None
    json: bool = False


def run(request: DoctorRequest) -> int:
    as_json = request.json
    root, found = diagnose(request.directory)
    code = exit_code_of(found)
    if as_json:
        json_report.emit(doctor_document(root, found, code))
    else:
        console.out(render_doctor(root, found))
    return code
