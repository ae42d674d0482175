"""JSON Schemas (draft 2020-12) for the artifacts, each compiled once and reused."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from small_git.protocol.findings import Finding
from small_git.protocol.yamlsafe import Document


def schema_dir() -> Path:
    """Schemas ship inside the wheel as small_git/schemas; a source checkout keeps them in ./schemas."""
    packaged = Path(__file__).resolve().parent.parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


@cache
def validator(kind: str) -> Draft202012Validator:
    with open(schema_dir() / f"{kind}.schema.json", encoding="utf-8") as handle:
        schema = json.load(handle)
    # format stays an annotation, as in the reference; timestamps are checked by the rules instead
    return Draft202012Validator(schema)


def format_path(path: list[str | int] | tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(top level)"


def _describe(error: ValidationError) -> tuple[str, str | None]:
    where = format_path(list(error.absolute_path))
    keyword = error.validator
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where}: missing required key '{missing}'", f"add '{missing}'"
    if keyword == "additionalProperties":
        return f"{where}: {error.message}", "remove the key, or move it into a field the schema allows"
    if keyword == "const":
        return f"{where}: must be {json.dumps(error.validator_value)}", None
    if keyword == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{where}: {error.instance!r} is not one of: {allowed}", None
    if keyword == "oneOf":
        return f"{where}: {error.instance!r} has the wrong shape", _oneof_hint(where)
    if keyword == "type":
        return f"{where}: must be {error.validator_value}, got {type(error.instance).__name__}", None
    if keyword == "minLength":
        return f"{where}: must not be empty", None
    if keyword == "minItems":
        return f"{where}: must have at least {error.validator_value} item(s)", None
    if keyword == "pattern":
        return f"{where}: {error.instance!r} does not match {error.validator_value}", None
    return f"{where}: {error.message}", None


def _oneof_hint(where: str) -> str | None:
    if where.endswith("current_task_id"):
        return "use a task id, or null when there is no current task (regenerate with: small handoff)"
    if where.endswith(("evidence", "verification", "test")):
        return "use a non-empty string or a mapping (evidence may also be a list of mappings)"
    return None


def schema_findings(kind: str, doc: Document | None, path: str) -> list[Finding]:
    data: Any = {} if doc is None or doc.data is None else doc.data
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    findings = []
    for error in errors:
        message, hint = _describe(error)
        line = doc.line_of(list(error.absolute_path)) if doc is not None and doc.data is not None else None
        findings.append(Finding("schema", path, message, line, hint, stage="validate"))
    return findings
