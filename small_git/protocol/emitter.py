"""A small deterministic YAML writer for the shapes small-git writes.

PyYAML's dumper picks quoting styles by heuristics and YAML 1.1 rules (it would leave `yes` plain, which a
1.1 reader turns into a boolean). Here every string is written double-quoted with JSON-like escapes, which is
valid YAML for any text and reads back identically in every YAML 1.1 or 1.2 reader, including the reference's.
Output is block style with two-space indentation; sequences are indented under their key.
"""

from __future__ import annotations

import math
import re
from typing import Any

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*")  # used with fullmatch: `$` would allow a final newline
# words some YAML readers (1.1 ones among them) take for booleans or null when unquoted
_RESERVED_KEYS = frozenset(("true", "false", "null", "yes", "no", "on", "off", "y", "n"))
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def quote(text: str) -> str:
    """A double-quoted YAML scalar. Anything not printable (controls, line/paragraph separators, BOM,
    format characters) is escaped, so the output is always one line."""
    out = ['"']
    for char in text:
        escaped = _SHORT_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot write a {type(value).__name__} as YAML")


def key(name: str) -> str:
    plain = _PLAIN_KEY.fullmatch(name) and name.lower() not in _RESERVED_KEYS
    return name if plain else quote(name)


def mapping_lines(data: dict[str, Any], indent: int) -> list[str]:
    """The lines of a block mapping whose keys start at column `indent`."""
    lines: list[str] = []
    pad = " " * indent
    for name, value in data.items():
        head = f"{pad}{key(name)}:"
        if isinstance(value, dict) and value:
            lines.append(head)
            lines += mapping_lines(value, indent + 2)
        elif isinstance(value, list) and value:
            lines.append(head)
            lines += sequence_lines(value, indent + 2)
        else:
            lines.append(f"{head} {_inline(value)}")
    return lines


def sequence_lines(items: list[Any], indent: int) -> list[str]:
    """The lines of a block sequence whose dashes are at column `indent`."""
    lines: list[str] = []
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            inner = mapping_lines(item, indent + 2)
            lines.append(f"{pad}- {inner[0].lstrip(' ')}")
            lines += inner[1:]
        elif isinstance(item, list) and item:
            inner = sequence_lines(item, indent + 2)
            lines.append(f"{pad}- {inner[0].lstrip(' ')}")
            lines += inner[1:]
        else:
            lines.append(f"{pad}- {_inline(item)}")
    return lines


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def emit_document(data: dict[str, Any]) -> bytes:
    """A whole file: block style, UTF-8, one trailing newline."""
    if not data:
        return b"{}\n"
    return ("\n".join(mapping_lines(data, 0)) + "\n").encode("utf-8")


def emit_items(items: list[Any], indent: int) -> bytes:
    """Sequence items to append to an existing block sequence whose dashes are at column `indent`."""
    if not items:
        return b""
    return ("\n".join(sequence_lines(items, indent)) + "\n").encode("utf-8")
