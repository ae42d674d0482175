"""`small doctor`'s findings as text (`[ERROR] area: message (file:line)` and a `->` line with the fix) and as
its JSON document (`diagnoses`, with the levels ok, warn and error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from small_git.protocol.findings import ERROR, WARNING, Finding

INFO = "info"  # doctor's "ok": what was checked and holds
LEVEL = {ERROR: "error", WARNING: "warn", INFO: "ok"}


def diagnosis(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"name": finding.rule, "level": LEVEL[finding.severity], "message": finding.message}
    for key, value in (("fix", finding.hint), ("file", finding.file or None), ("line", finding.line)):
        if value is not None:
            out[key] = value
    return out


def doctor_document(root: Path, found: list[Finding], code: int) -> dict[str, Any]:
    return {
        "command": "doctor",
        "workspace": str(root),
        "ok": code == 0,
        "diagnoses": [diagnosis(f) for f in found],
        "exit_code": code,
    }


def render_doctor(root: Path, found: list[Finding]) -> str:
    lines = [f"Workspace: {root}"]
    for d in found:
        where = f" ({d.file}:{d.line})" if d.file and d.line else (f" ({d.file})" if d.file else "")
        lines.append(f"[{LEVEL[d.severity].upper()}] {d.rule}: {d.message}{where}")
        if d.hint:
            lines.append(f"     -> {d.hint}")
    errors = sum(d.severity == ERROR for d in found)
    warnings = sum(d.severity == WARNING for d in found)
    lines.append(f"{errors} problem(s), {warnings} warning(s)" if errors or warnings else "Everything looks right.")
    return "\n".join(lines)
