"""JSON Schemas (draft 2020-12) for the artifacts, each compiled once and reused."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from small_git.protocol.findings import Finding, json_pointer
from small_git.protocol.schema_fastpath import compile_schema, python_pattern
from small_git.protocol.yamlsafe import Document

if TYPE_CHECKING:  # jsonschema is imported only when a document fails the compiled check (see schema_fastpath)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@cache
def schema_dir() -> str:
    """Schemas ship inside the wheel as small_git/schemas; a source checkout keeps them in ./schemas."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    packaged = os.path.join(package, "schemas")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(package), "schemas")


@cache
def schema(kind: str) -> dict[str, Any]:
    with open(os.path.join(schema_dir(), f"{kind}.schema.json"), encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@cache
def validator(kind: str) -> Draft202012Validator:
    # format stays an annotation, as in the reference; timestamps are checked by the rules instead
    return _validator_class()(schema(kind))


@cache
def _validator_class() -> type[Draft202012Validator]:
    """Draft 2020-12 with ECMA-262 anchoring for `pattern` (python_pattern), as the compiled check uses."""
    import re

    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, expected: str, instance: Any, _schema: Any) -> Any:
        if validator.is_type(instance, "string") and not re.search(python_pattern(expected), instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    extended: type[Draft202012Validator] = validators.extend(Draft202012Validator, {"pattern": pattern})
    return extended


@cache
def fast_check(kind: str) -> Callable[[Any], bool]:
    return compile_schema(schema(kind))


def format_path(path: list[str | int] | tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(top level)"


def _describe(error: ValidationError) -> list[tuple[list[str | int], str, str | None]]:
    """(path, message, hint) for one schema error; required/additionalProperties name each key."""
    path = list(error.absolute_path)
    where = format_path(path)
    keyword = error.validator
    if keyword == "required":
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        return [
            ([*path, key], f"{format_path([*path, key])} is required but missing", f"add '{key}'") for key in missing
        ] or [(path, f"{where}: {error.message}", None)]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        allowed = ", ".join(sorted(known))
        return [
            (
                [*path, key],
                f"{format_path([*path, key])}: unknown key (allowed: {allowed})",
                "remove the key, or move its content into a field the schema allows",
            )
            for key in extra
        ]
    message, hint = _describe_one(error, where)
    return [(path, message, hint)]


def _describe_one(error: ValidationError, where: str) -> tuple[str, str | None]:
    keyword = error.validator
    if keyword == "const":
        return f"{where}: must be {json.dumps(error.validator_value)}", None
    if keyword == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{where}: {error.instance!r} is not one of: {allowed}", None
    if keyword == "oneOf":
        return f"{where}: {error.instance!r} has the wrong shape", _oneof_hint(where)
    if keyword == "type":
        wanted = _JSON_TYPE_NAMES.get(str(error.validator_value), str(error.validator_value))
        got = _PY_TYPE_NAMES.get(type(error.instance).__name__, type(error.instance).__name__)
        return f"{where}: must be {wanted}, got {got} {error.instance!r:.60}", None
    if keyword == "minLength":
        return f"{where}: must not be empty", None
    if keyword == "minItems":
        return f"{where}: must have at least {error.validator_value} item(s)", None
    if keyword == "pattern":
        return f"{where}: {error.instance!r} does not match {error.validator_value}", None
    return f"{where}: {error.message}", None


_JSON_TYPE_NAMES = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_PY_TYPE_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "dict": "a mapping",
    "list": "a list",
    "NoneType": "null",
}


def _oneof_hint(where: str) -> str | None:
    if where.endswith("current_task_id"):
        return "use a task id, or null when there is no current task (regenerate with: small handoff)"
    if where.endswith(("evidence", "verification", "test")):
        return "use a non-empty string or a mapping (evidence may also be a list of mappings)"
    return None


def schema_findings(kind: str, doc: Document | None, path: str) -> list[Finding]:
    data: Any = {} if doc is None or doc.data is None else doc.data
    if fast_check(kind)(data):
        return []
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    findings = []
    for error in errors:
        for at, message, hint in _describe(error):
            line = doc.line_of(at) if doc is not None and doc.data is not None else None
            findings.append(Finding("schema", path, message, line, hint, stage="validate", pointer=json_pointer(at)))
    return findings
