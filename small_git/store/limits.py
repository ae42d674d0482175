"""The loader's limits as the environment configures them (spec §2: "configurable"): SMALL_MAX_FILE_BYTES,
SMALL_MAX_DEPTH and SMALL_MAX_ALIAS_NODES. A module of its own, with nothing heavy to import, because the diff
driver (started once per blob) needs the limits and nothing else of the store."""

from __future__ import annotations

import os
import re

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.yamlsafe import DEFAULT_LIMITS, Limits

_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit(): that takes any Unicode digit ("１０" would be 10)
LIMIT_VARIABLES = {
    "SMALL_MAX_FILE_BYTES": "max_bytes",
    "SMALL_MAX_DEPTH": "max_depth",
    "SMALL_MAX_ALIAS_NODES": "max_alias_nodes",
}
# The checker walks values recursively, within the recursion limit the CLI sets (small_git/cli): deeper
# nesting would end in a RecursionError instead of a finding. Other limits only need to fit in an int.
LIMIT_CEILINGS = {"max_bytes": 10**18, "max_depth": 5_000, "max_alias_nodes": 10**18}


def configured_limits(env: dict[str, str] | None = None) -> Limits:
    """The loader's limits (spec §2), with overrides from SMALL_MAX_FILE_BYTES, SMALL_MAX_DEPTH and
    SMALL_MAX_ALIAS_NODES. A value that is not a positive integer is a usage error (exit 2)."""
    source = os.environ if env is None else env
    overrides: dict[str, int] = {}
    for variable, field_name in LIMIT_VARIABLES.items():
        raw = source.get(variable)
        if raw is None or raw == "":
            continue
        text = raw.strip()
        ceiling = LIMIT_CEILINGS[field_name]
        value = int(text) if _DIGITS.fullmatch(text) and len(text) <= len(str(ceiling)) else 0
        if not 0 < value <= ceiling:
            raise SmallError(
                f"{variable}={raw!r} is not a positive whole number up to {ceiling}",
                exit_code=EXIT_USAGE,
                hint=f"unset it, or set e.g. {variable}={getattr(DEFAULT_LIMITS, field_name)}",
            )
        overrides[field_name] = value
    return DEFAULT_LIMITS.replace(**overrides) if overrides else DEFAULT_LIMITS
