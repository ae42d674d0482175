"""Safe YAML loading (spec §2): the entry point, `load_yaml`, its limits, errors and documents.

The size limit and the encoding are checked here, before any parsing. Then the fast path
(protocol/yaml_fast.py) loads the block-style subset nearly every SMALL file is written in, and gives up at
the first thing outside it; the full loader (protocol/yaml_events.py: PyYAML's parser and our own builder)
loads everything else, reports every error, and is imported only when it is needed.
"""

from __future__ import annotations

import codecs
import gc

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.yaml_fast import ItemLines, load_fast

# The diff driver is started once per blob, so this module imports nothing it does not run: `typing` only for
# the type checker, and plain classes below where dataclasses (with `inspect`) would cost more than the load.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_DEPTH = 1000
# Nodes that aliases may add by expansion. Real workspaces use a handful of aliases; a billion-laughs
# document needs billions, so any generous fixed budget stops it after a bounded amount of work.
DEFAULT_MAX_ALIAS_NODES = 1_000_000


class Limits:
    """The loader's limits (immutable; `replace()` makes a changed copy)."""

    __slots__ = ("max_bytes", "max_depth", "max_alias_nodes")
    max_bytes: int
    max_depth: int
    max_alias_nodes: int

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_alias_nodes: int = DEFAULT_MAX_ALIAS_NODES,
    ) -> None:
        object.__setattr__(self, "max_bytes", max_bytes)
        object.__setattr__(self, "max_depth", max_depth)
        object.__setattr__(self, "max_alias_nodes", max_alias_nodes)

    def _values(self) -> tuple[int, int, int]:
        return (self.max_bytes, self.max_depth, self.max_alias_nodes)

    def replace(self, **changes: int) -> Limits:
        return Limits(**{**dict(zip(self.__slots__, self._values(), strict=True)), **changes})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        return self._values() == other._values() if isinstance(other, Limits) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"Limits(max_bytes={self.max_bytes}, max_depth={self.max_depth}, max_alias_nodes={self.max_alias_nodes})"


DEFAULT_LIMITS = Limits()


class YamlError(SmallError):
    """Input that cannot be loaded. Always exit 2 (unreadable input), always names file:line:column."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        text: str | None = None,
        hint: str | None = None,
        at_end: bool = False,
    ) -> None:
        where = source
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        full = f"{where}: {message}"
        snippet = _snippet(text, line, column)
        if snippet:
            full += "\n" + snippet
        super().__init__(full, exit_code=EXIT_USAGE, hint=hint, file=source, line=line, rule="yaml")
        self.column = column
        self.reason = message
        self.text = text  # the decoded input, for callers that explain the error further (protocol/torn.py)
        # the parser ran out of input: nothing but blanks follows where it gave up (what a cut-off write gives)
        self.at_end = at_end


def _snippet(text: str | None, line: int | None, column: int | None) -> str:
    if text is None or line is None:
        return ""
    lines = text.splitlines()
    if line == len(lines) + 1:  # errors found at the end of the input, after the last line break
        return "    (end of file)"
    if not 1 <= line <= len(lines):
        return ""
    shown = lines[line - 1]
    if len(shown) > 200:
        start = max(0, (column or 1) - 100)
        shown = shown[start : start + 200]
        column = (column or 1) - start
    shown = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in shown)
    caret = ""
    if column is not None:
        caret = "\n    " + " " * max(0, column - 1) + "^"
    return f"    {shown}{caret}"


class Document:
    """A loaded YAML document: the value plus the line of every mapping key and sequence item."""

    def __init__(
        self,
        data: Any,
        source: str,
        _lines: dict[int, Any] | None = None,
        text: str | None = None,
        reference_times: list[tuple[int, int]] | None = None,
        fast: bool = False,
    ) -> None:
        self.data = data
        self.source = source
        # id(container) -> {key: line} for dicts, [line, ...] for lists. Keyed by identity so that no path
        # tuples are allocated while loading; the containers stay alive as long as `data` does.
        self._lines: dict[int, Any] = {} if _lines is None else _lines
        self.text = text
        # (line, column) of each plain scalar that the reference CLI's reader takes for a timestamp (go_time)
        self.reference_times: list[tuple[int, int]] = [] if reference_times is None else reference_times
        self.fast = fast  # loaded by the fast path: the block-style subset, no anchors

    def _values(self) -> tuple[Any, ...]:
        return (self.data, self.source, self._lines, self.text, self.reference_times)

    def __eq__(self, other: object) -> bool:
        return self._values() == other._values() if isinstance(other, Document) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq is

    def __repr__(self) -> str:
        return f"Document(data={self.data!r}, source={self.source!r})"

    def line_of(self, path: tuple[str | int, ...] | list[str | int]) -> int | None:
        """Line of the node at `path` (a key's line for mapping members); the nearest known ancestor otherwise."""
        node = self.data
        best: int | None = 1 if node is not None else None
        from_items = False  # node is a sequence item of ItemLines (its keys follow its line, one per line)
        for step in path:
            table = self._lines.get(id(node))
            try:
                child = node[step]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                return best
            if table is not None:
                try:
                    found = table[step]
                except (KeyError, IndexError, TypeError):
                    found = None
                if found is not None:
                    best = found
            elif from_items and isinstance(node, dict) and best is not None:
                best += list(node).index(step)
            from_items = type(table) is ItemLines
            node = child
        return best


def decode(data: bytes, source: str) -> str:
    """Decode YAML bytes: UTF-8 (BOM optional), or UTF-16/UTF-32 with a byte-order mark."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding, skip = "utf-32", 0
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, skip = "utf-16", 0
    elif data.startswith(codecs.BOM_UTF8):
        encoding, skip = "utf-8", len(codecs.BOM_UTF8)
    else:
        encoding, skip = "utf-8", 0
    try:
        return data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        pos = exc.start + skip
        # count in characters, not bytes, so the caret lands under the bad byte also after non-ASCII text
        head = data[skip:pos].decode(encoding, errors="replace")
        line = head.count("\n") + 1
        column = len(head) - (head.rfind("\n") + 1) + 1
        text = data[skip:].decode(encoding, errors="replace")
        raise YamlError(
            source,
            f"invalid {encoding.upper()} byte 0x{data[pos]:02x} (the file must be UTF-8, "
            "or UTF-16/UTF-32 with a byte-order mark)",
            line=line,
            column=column,
            text=text,
            hint="re-save the file as UTF-8",
            at_end=exc.end + skip >= len(data),  # a character cut in half by the end of the file
        ) from None


def load_yaml(data: bytes | str, source: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Load one YAML document safely. Raises YamlError (exit 2) on anything that is not plain data."""
    if isinstance(data, bytes):
        if len(data) > limits.max_bytes:
            raise YamlError(
                source,
                f"file is {len(data)} bytes, over the {limits.max_bytes}-byte limit",
                hint="large output belongs in .small-cache/ logs, not in .small/",
            )
        text = decode(data, source)
    else:
        text = data
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise YamlError(
            source, "NUL byte (control characters are not allowed in YAML)", line=line, column=column, text=text
        )
    gc_was_enabled = gc.isenabled()
    # Building a large tree allocates many containers; the cyclic GC would rescan them repeatedly and make
    # large loads superlinear. Nothing built here can form a cycle, so pause it for the duration.
    gc.disable()
    try:
        fast = load_fast(text, limits.max_depth)
        if fast is not None:
            data, lines, times = fast
            return Document(data, source, lines, text, times, fast=True)
        from small_git.protocol import yaml_events

        return yaml_events.build(text, source, limits)
    finally:
        if gc_was_enabled:
            gc.enable()
