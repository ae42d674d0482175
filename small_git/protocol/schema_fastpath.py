"""A compiled yes/no check for the JSON Schema subset our schemas use.

jsonschema validates a 100,000-entry progress log in about 15 seconds, even with a reused validator. This
module compiles a schema once into nested closures that only answer "valid?" — about fifty times faster. The
checker asks it first; only when it says no does jsonschema run, to produce the error messages. So jsonschema
stays the authority on what is wrong, and a schema using a keyword outside the subset refuses to compile
(a test compiles every shipped schema).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "format", "examples"})
_SUPPORTED = _ANNOTATIONS | {
    "type",
    "const",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minItems",
    "minLength",
    "pattern",
    "oneOf",
}


def python_pattern(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern for Python's `re`: there `$` also matches before a final newline, so an
    anchored `...$` becomes `...\\Z` ("abc1234\\n" is not a commit id, as in every other validator)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + "\\Z"
    return pattern


_TYPE_CHECKS: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def _type_check(name: str) -> Check:
    return _TYPE_CHECKS[name]


def _pattern_check(pattern: str) -> Check:
    """`pattern` is compiled when the first string reaches it: most values with a pattern are absent from a
    file (a link, a command's summary), and compiling each costs more than checking a small file."""
    search: Callable[[str], object] | None = None

    def check(value: Any) -> bool:
        nonlocal search
        if not isinstance(value, str):
            return True
        if search is None:
            search = re.compile(python_pattern(pattern)).search
        return search(value) is not None

    return check


def _same_json(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1 (Python says it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def compile_schema(schema: dict[str, Any]) -> Check:
    unknown = set(schema) - _SUPPORTED
    if unknown:
        raise NotImplementedError(f"schema keywords outside the compiled subset: {sorted(unknown)}")
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        kinds = [_type_check(n) for n in names]
        checks.append(kinds[0] if len(kinds) == 1 else lambda v: any(k(v) for k in kinds))
    if "const" in schema:
        const = schema["const"]
        checks.append(lambda v: _same_json(v, const))
    if "enum" in schema:
        options = list(schema["enum"])
        checks.append(lambda v: any(_same_json(v, o) for o in options))
    if "minLength" in schema:
        min_length = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= min_length)
    if "pattern" in schema:
        checks.append(_pattern_check(schema["pattern"]))
    if "minItems" in schema:
        min_items = schema["minItems"]
        checks.append(lambda v: not isinstance(v, list) or len(v) >= min_items)
    if "items" in schema:
        item = compile_schema(schema["items"])

        def check_items(value: Any) -> bool:
            if isinstance(value, list):
                for element in value:
                    if not item(element):
                        return False
            return True

        checks.append(check_items)
    if "oneOf" in schema:
        options_ = [compile_schema(s) for s in schema["oneOf"]]
        checks.append(lambda v: sum(1 for o in options_ if o(v)) == 1)
    checks += _object_checks(schema)
    return _all_of(checks)


def _all_of(checks: list[Check]) -> Check:
    """Chain checks with `and`: a generator per call (all(...)) costs more than the checks themselves."""
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    first, rest = checks[0], _all_of(checks[1:])
    return lambda v: first(v) and rest(v)


def _object_checks(schema: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    required = tuple(schema.get("required", ()))
    if len(required) == 1:
        (only,) = required
        checks.append(lambda v: not isinstance(v, dict) or only in v)
    elif required:
        checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
    properties = {k: compile_schema(s) for k, s in schema.get("properties", {}).items()}
    closed = schema.get("additionalProperties", True) is False
    if isinstance(schema.get("additionalProperties"), dict):
        raise NotImplementedError("additionalProperties with a schema")
    if properties or closed:

        def check_object(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, child in value.items():
                check = properties.get(key)
                if check is None:
                    if closed:
                        return False
                elif not check(child):
                    return False
            return True

        checks.append(check_object)
    return checks
