"""One JSON document on stdout, on success and on failure (shape documented in docs/json.md)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the checker is heavy to import; commands that only print JSON should not pay for it
    from small_git.protocol.checker import CheckResult


def emit(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def check_document(command: str, workspace: str, result: CheckResult, strict: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"command": command, "workspace": workspace, "strict": strict}
    for stage, status in result.stages.items():
        stage_doc: dict[str, Any] = {"status": status}
        errors = [f"{f.location}: {f.message}" for f in result.findings if f.stage == stage]
        if errors:
            stage_doc["errors"] = errors
        doc[stage] = stage_doc
    doc["findings"] = [f.to_dict() for f in result.findings]
    doc["warnings"] = [f.to_dict() for f in result.warnings]
    doc["notices"] = [f.to_dict() for f in result.notices]
    doc["exit_code"] = result.exit_code
    return doc


def error_document(command: str, exit_code: int, error: dict[str, Any]) -> dict[str, Any]:
    return {"command": command, "exit_code": exit_code, "error": error, "findings": []}


def written_document(
    command: str,
    workspace: str | None,
    written: list[str],
    removed: list[str],
    entries: list[dict[str, Any]],
    messages: list[str],
    details: dict[str, Any],
    exit_code: int,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`--json` of a command that writes (init, plan, apply, handoff, reset, fix): what it wrote, on success
    and on failure alike (docs/json.md)."""
    doc: dict[str, Any] = {
        "command": command,
        "workspace": workspace,
        "written": written,
        "removed": removed,
        "entries": entries,
        "messages": messages,
        **details,
        "exit_code": exit_code,
    }
    if error is not None:
        doc["error"] = error
    return doc
