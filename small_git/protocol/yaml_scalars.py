"""YAML 1.2 core-schema resolution of scalars (spec §2): which plain scalars are null, booleans, integers and
floats; everything else is a string (`yes`, `on` and timestamps included). Shared by both loaders."""

from __future__ import annotations

import math
import re
from functools import cache

TYPE_CHECKING = False  # not `typing`: the diff driver (one process per blob) would import it for nothing
if TYPE_CHECKING:
    from typing import Any

NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)\Z")
BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT_RE = re.compile(r"^[-+]?[0-9]+\Z")
# 2**14000 has 4,215 decimal digits: under the 4,300 that int() and str() accept by default.
_MAX_INT_BITS = 14_000


# The other number forms are compiled when first needed: most files quote what is not a string, and a short
# command would pay for compiling them.
@cache
def _octal() -> re.Pattern[str]:
    return re.compile(r"^0o[0-7]+\Z")


@cache
def _hexadecimal() -> re.Pattern[str]:
    return re.compile(r"^0x[0-9a-fA-F]+\Z")


@cache
def _real() -> re.Pattern[str]:
    return re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")


@cache
def _infinity() -> re.Pattern[str]:
    return re.compile(r"^[-+]?\.(?:inf|Inf|INF)\Z")


@cache
def _not_a_number() -> re.Pattern[str]:
    return re.compile(r"^\.(?:nan|NaN|NAN)\Z")


def parse_int(value: str) -> int | None:
    """Raises ValueError for an integer too long for str() (Python refuses more than 4,300 digits)."""
    if _INT_RE.match(value):
        number = int(value, 10)
    elif _octal().match(value):
        number = int(value[2:], 8)
    elif _hexadecimal().match(value):
        number = int(value[2:], 16)
    else:
        return None
    if number.bit_length() > _MAX_INT_BITS:
        raise ValueError("integer too large")
    return number


def parse_float(value: str) -> float | None:
    if _real().match(value) and not _INT_RE.match(value):
        real = float(value)
        # a literal past float range (`1234e5678901`, a short commit id) is not `.inf`: it stays the text it
        # is, as the reference CLI's reader keeps it and writes it back unquoted
        return None if math.isinf(real) else real
    if _infinity().match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _not_a_number().match(value):
        return math.nan
    return None


def resolve_plain(value: str) -> Any:
    """YAML 1.2 core schema resolution of a plain scalar."""
    if not value:
        return None
    first = value[0]
    if first in "~nN" and NULL_RE.match(value):
        return None
    if first in "tTfF" and value in BOOL:
        return BOOL[value]
    if first in "0123456789+-.":
        number = parse_int(value)
        if number is not None:
            return number
        real = parse_float(value)
        if real is not None:
            return real
    return value


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list):
        return "a sequence"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
