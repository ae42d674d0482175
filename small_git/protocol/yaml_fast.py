"""A fast path for the block-style YAML that small-git, the reference CLI and people write.

The full loader (yaml_events.py) costs about two microseconds per YAML event, most of it in Python: a
100,000-entry log takes seconds. Nearly every SMALL file is a block mapping of `key: value` lines and block
sequences of `- key: value` items, with one-line scalars. This module parses exactly that subset directly,
line by line, and gives up — returns None, so that the full loader decides — at the first thing outside it:

- anything but block mappings and block sequences (flow collections other than `[]` and `{}`, block scalars
  `|` `>`, anchors, aliases, tags, merge keys, `?` keys, document markers, directives);
- a scalar that continues on another line (multi-line plain or quoted scalars, escaped line breaks);
- a key that is not a plain `[A-Za-z_][A-Za-z0-9_./-]*` resolving to a string, or repeats in its mapping;
- a plain scalar that starts with an indicator or holds `: ` (or ends with `:`), an unknown or invalid escape;
- a tab, a carriage return, a byte-order mark, a line or paragraph separator, NEL, or any character YAML
  does not allow (the full loader reports those);
- indentation it cannot place, a root that is not a mapping, nesting near the depth limit.

What it accepts it must load exactly as the full loader does: the same values with the same types (scalars
resolve through the same yaml_scalars.resolve_plain), the same line of every key and item, the same plain
scalars noted as reference-CLI timestamps. tests/test_yaml_fast.py checks that on generated documents, near
misses included, against the full loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from small_git.protocol.go_time import reads_as_time
from small_git.protocol.yaml_scalars import resolve_plain

TYPE_CHECKING = False  # not `typing`: the diff driver (one process per blob) would import it for nothing
if TYPE_CHECKING:
    from typing import Any

# Document markers and directives at the start of a line.
_MARKER = re.compile(r"\n(?:---|\.\.\.|%)")
# bytes a plain-ASCII text may hold: printable ASCII and the line feed
_ASCII_OK = bytes(range(0x20, 0x7F)) + b"\n"
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_./-]{0,1000}):(?: +(.*))?\Z")
_KEY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]{0,1000}")
_AFTER_SCALAR = re.compile(r"(?: +#.*| *)\Z")

# The patterns below are compiled when first needed: a file in plain ASCII without escapes or single quotes
# (nearly every file) needs none of them, and a short command would pay for compiling them all.


@cache
def _outside() -> re.Pattern[str]:
    """Characters outside YAML's printable set, and the ones the subset leaves to the full loader (tab, CR,
    NEL, LS, PS, BOM), anywhere. The class names the refused characters rather than negating the allowed ones:
    the same set, but a negated class reaching U+10FFFF takes re ~5 ms to compile."""
    return re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


@cache
def _double() -> re.Pattern[str]:
    return re.compile(r'"((?:[^"\\]|\\.)*)"')


@cache
def _single() -> re.Pattern[str]:
    return re.compile(r"'((?:[^']|'')*)'")


@cache
def _escape() -> re.Pattern[str]:
    return re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")


_ESCAPES = {
    "0": "\x00",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
# first characters of a plain scalar that the subset leaves to the full loader (YAML's indicators)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


_NOT_SIMPLE = object()


class _GiveUp(Exception):
    """Outside the subset: the full loader decides."""


def _unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) > 1:
            value = int(code[1:], 16)
            if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                raise _GiveUp
            return chr(value)
        replacement = _ESCAPES.get(code)
        if replacement is None:
            raise _GiveUp
        return replacement

    return _escape().sub(one, body)


class _Map:
    __slots__ = ("indent", "value", "lines", "pending", "pending_line", "item_line")

    def __init__(self, indent: int, item_line: int = 0) -> None:
        self.indent = indent
        self.value: dict[str, Any] = {}
        self.lines: dict[str, int] = {}
        self.pending: str | None = None  # a key whose value is on the following lines (or null)
        self.pending_line = 0
        self.item_line = item_line  # the line of its dash, for a sequence item (0 otherwise)


class _Seq:
    __slots__ = ("indent", "value", "lines")

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.value: list[Any] = []
        self.lines: list[int] = []


class _Parser:
    def __init__(self, max_depth: int) -> None:
        self.tables: dict[int, Any] = {}
        self.times: list[tuple[int, int]] = []
        self.max_depth = max_depth
        self.key_ok: dict[str, str] = {}  # key -> its one string object, or "" when it is no key of the subset
        self.shared: dict[str, str] = {}

    def scalar(self, text: str, number: int, column: int) -> Any:
        """The one-line scalar `text` (which starts at 0-based `column` and may end in spaces or a comment)."""
        first = text[0]
        if first == '"':
            end = text.find('"', 1)
            if end > 0 and "\\" not in text[1:end]:
                value: Any = text[1:end]
            else:
                match = _double().match(text)
                if match is None:
                    raise _GiveUp
                end = match.end() - 1
                value = _unescape(match.group(1))
            if end + 1 < len(text) and not _AFTER_SCALAR.match(text, end + 1):
                raise _GiveUp
            return value
        if first == "'":
            match = _single().match(text)
            if match is None or not _AFTER_SCALAR.match(text, match.end()):
                raise _GiveUp
            return match.group(1).replace("''", "'")
        if first in _INDICATORS:
            if (first == "[" and text.startswith("[]")) or (first == "{" and text.startswith("{}")):
                if not _AFTER_SCALAR.match(text, 2):
                    raise _GiveUp
                return [] if first == "[" else {}
            raise _GiveUp
        cut = text.find(" #")
        plain = (text if cut < 0 else text[:cut]).rstrip(" ")
        if ": " in plain or plain.endswith(":"):
            raise _GiveUp
        try:
            value = resolve_plain(plain)
        except (ValueError, OverflowError):  # a number too long: the full loader words the error
            raise _GiveUp from None
        if type(value) is str and len(value) > 7 and value[4] == "-" and reads_as_time(value):
            self.times.append((number, column + 1))
        return value

    def canonical(self, key: str) -> str:
        """The one string object for this key (a log repeats a handful of keys a hundred thousand times),
        once checked: a plain key of the subset that resolves to a string (`true:` or `null:` would not)."""
        known = self.key_ok.get(key)
        if known is None:
            valid = _KEY_NAME.fullmatch(key) is not None and type(resolve_plain(key)) is str
            known = self.key_ok[key] = key if valid else ""
        if not known:
            raise _GiveUp
        return known

    def close(self, frame: _Map | _Seq) -> None:
        if isinstance(frame, _Seq):
            self.tables[id(frame.value)] = ItemLines(frame.lines)
            return
        if frame.pending is not None:
            frame.value[frame.pending] = None
            frame.lines[frame.pending] = frame.pending_line
            frame.pending = None
        lines = frame.lines
        if frame.item_line and lines:
            # keys one per line from the item's own line: the sequence's ItemLines tell them, no table needed
            first, last = lines[next(iter(lines))], lines[next(reversed(lines))]
            if first == frame.item_line and last - first == len(lines) - 1:
                return
        self.tables[id(frame.value)] = lines

    def simple(self, rest: str, number: int, column: int) -> Any:
        """The value of a one-line `key: rest` in the two shapes nearly every line has — a double-quoted
        string without escapes, or a plain scalar with nothing special in it — or _NOT_SIMPLE."""
        if rest[:1] == '"':
            body = rest[1:-1]
            if rest[-1] == '"' and len(rest) > 1 and '"' not in body and "\\" not in body:
                # short values (task ids, statuses) repeat in every entry: keep one string object for each
                return self.shared.setdefault(body, body) if len(body) <= _SHARED_LENGTH else body
            return _NOT_SIMPLE
        if not rest or rest[0] in _INDICATORS or rest[-1] in ": " or " #" in rest or ": " in rest:
            return _NOT_SIMPLE
        try:
            value = resolve_plain(rest)
        except (ValueError, OverflowError):  # a number too long: the full loader words the error
            raise _GiveUp from None
        if type(value) is str:
            if len(value) > 7 and value[4] == "-" and reads_as_time(value):
                self.times.append((number, column + 1))
            if len(value) <= _SHARED_LENGTH:
                return self.shared.setdefault(value, value)
        return value

    def parse(self, text: str) -> Any:
        stack: list[Any] = []
        self.stack = stack
        self.root: _Map | None = None
        key_ok, simple, close = self.key_ok, self.simple, self.close
        # While a mapping without a pending key is being read, its common lines are read inline: a member
        # `key: value`, and (for an item of a block sequence) the next item's `- key: value`.
        fast, width, prefix, dash_prefix = False, 0, "", None
        value_of: dict[str, Any] = {}
        line_of: dict[str, int] = {}
        number = 0
        for line in _lines(text):
            number += 1
            if fast and len(line) > width:
                if line.startswith(prefix) and line[width] not in " -#":
                    colon = line.find(": ", width)
                    key = key_ok.get(line[width:colon])
                    if colon > 0 and key and key not in value_of:
                        value = simple(line[colon + 2 :], number, colon + 2)
                        if value is not _NOT_SIMPLE:
                            value_of[key] = value
                            line_of[key] = number
                            continue
                elif dash_prefix is not None and line.startswith(dash_prefix) and line[width] not in " -#":
                    colon = line.find(": ", width)
                    key = key_ok.get(line[width:colon])
                    if colon > 0 and key:
                        value = simple(line[colon + 2 :], number, colon + 2)
                        if value is not _NOT_SIMPLE:
                            close(stack[-1])  # the item before ends here
                            item = _Map(width, number)
                            sequence = stack[-2]
                            sequence.value.append(item.value)
                            sequence.lines.append(number)
                            stack[-1] = item
                            value_of, line_of = item.value, item.lines
                            value_of[key] = value
                            line_of[key] = number
                            continue
            content = line.lstrip(" ")
            if not content or content[0] == "#":
                continue
            indent = len(line) - len(content)
            current = self.place(content, indent, number)
            if type(current) is _Map:
                after_dash = current.indent > indent  # the member follows the dash of a sequence item
                self.member(current, content[current.indent - indent :] if after_dash else content, number)
                fast = current.pending is None
                if fast:
                    width, value_of, line_of = current.indent, current.value, current.lines
                    prefix = " " * width
                    parent = stack[-2] if len(stack) > 1 else None
                    dash_prefix = None
                    if type(parent) is _Seq and parent.indent == width - 2 and parent.value[-1] is value_of:
                        dash_prefix = " " * (width - 2) + "- "
            else:
                fast = False
        while stack:
            self.close(stack.pop())
        return None if self.root is None else self.root.value

    def place(self, content: str, indent: int, number: int) -> _Map | _Seq:
        """Open and close blocks for a line at `indent`. Returns the mapping that the member in `content`
        belongs to (a sequence item's mapping opens here; its first member follows the dash), or the sequence
        when the line was an item holding a scalar, which is then read already."""
        stack = self.stack
        dash = content[0] == "-" and (len(content) == 1 or content[1] == " ")
        top = stack[-1] if stack else None
        if top is None:
            if self.root is not None or indent or dash:
                raise _GiveUp  # a second root, or a root that is not a mapping
            top = self.root = _Map(0)
            stack.append(top)
        elif type(top) is _Map and top.pending is not None:
            if indent > top.indent or (indent == top.indent and dash):
                if len(stack) >= self.max_depth - 2:
                    raise _GiveUp
                child: _Map | _Seq = _Seq(indent) if dash else _Map(indent)
                top.value[top.pending] = child.value
                top.lines[top.pending] = top.pending_line
                top.pending = None
                stack.append(child)
                top = child
        while top.indent > indent or (top.indent == indent and type(top) is _Seq and not dash):
            self.close(stack.pop())
            if not stack:
                raise _GiveUp
            top = stack[-1]
        if top.indent != indent:
            raise _GiveUp  # a continuation line, or indentation that matches no open block
        if isinstance(top, _Map):
            if dash:
                raise _GiveUp
            return top
        if not dash:
            raise _GiveUp
        rest = content[1:]
        after = rest.lstrip(" ")
        if not after or (after[0] == "-" and (len(after) == 1 or after[1] == " ")):
            raise _GiveUp  # an empty item, or a sequence in a sequence
        column = indent + 1 + len(rest) - len(after)
        top.lines.append(number)
        if _KEY.match(after) is None:
            top.value.append(self.scalar(after, number, column))
            return top
        if len(stack) >= self.max_depth - 2:
            raise _GiveUp
        item = _Map(column, number)
        top.value.append(item.value)
        stack.append(item)
        return item

    def member(self, frame: _Map, content: str, number: int) -> None:
        """The `key: value` member in `content` (for an item, the part after its dash)."""
        match = _KEY.match(content)
        if match is None:
            raise _GiveUp
        key, rest = self.canonical(match.group(1)), match.group(2)
        if key in frame.value or key == frame.pending:
            raise _GiveUp  # a duplicate, or a key that is not a string: the full loader words the error
        if frame.pending is not None:
            frame.value[frame.pending] = None
            frame.lines[frame.pending] = frame.pending_line
        frame.pending = None
        if not rest:
            frame.pending, frame.pending_line = key, number
            return
        column = frame.indent + len(content) - len(rest)
        frame.value[key] = self.scalar(rest, number, column)
        frame.lines[key] = number


_CHUNK = 1 << 20
_SHARED_LENGTH = 24  # timestamps (30 characters) and prose are unique; ids, statuses and commands repeat


def _lines(text: str) -> Iterator[str]:
    """The lines of the text, split a mebibyte at a time (at C speed) so that a 60 MB log never holds all its
    lines as strings at once."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + _CHUNK)
        if end < 0:
            yield from text[start:].split("\n")
            return
        yield from text[start:end].split("\n")
        start = end + 1


class ItemLines(list[int]):
    """The lines of a block sequence's items, where an item mapping without a line table of its own has its
    keys one per line from its item's line (Document.line_of reads them so)."""

    __slots__ = ()


def load_fast(text: str, max_depth: int) -> tuple[Any, dict[int, Any], list[tuple[int, int]]] | None:
    """(data, line tables, reference-CLI timestamps) as the full loader gives them, or None: outside the
    subset, the full loader must decide (and report any error)."""
    if not text or text.startswith(("---", "...", "%")) or _MARKER.search(text):
        return None
    if text.isascii():
        if text.encode("ascii").translate(None, _ASCII_OK):  # at C speed: what is left is not allowed
            return None
    elif _outside().search(text):
        return None
    parser = _Parser(max_depth)
    try:
        data = parser.parse(text)
    except _GiveUp:
        return None
    if data is None:
        return None
    return data, parser.tables, parser.times
