"""The append fast path's pure part: when a new progress log's bytes begin with the old log's bytes, read only
what was added.

Reading the added bytes on their own gives the same entries as reading the whole new log only when the cut is
provably clean, so `appended()` answers None (the caller then compares the full logs) unless all of this holds:
- the old log was loaded by the fast loader (the block-style subset: no anchors, aliases, block scalars, flow
  collections other than `[]`/`{}`, tags or document markers), ends with a line break, is UTF-8 without a
  byte-order mark, and its last top-level key is a bare `entries:` line whose items start with `  - `;
- the added bytes are UTF-8, put nothing at column 0 but comments and blank lines (no new top-level key, no
  document marker), and their first item starts with `  - ` as the old ones do;
- the old log's header followed by the added bytes is itself loaded by the fast loader, into one or more
  entries.
Then every line of the added part is read as it would be after the old log, and the new log is the old
entries followed by the added ones. What a log needs for the next append is kept as `LogFacts`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from small_git.protocol.timestamps import TimestampError, parse_ns
from small_git.protocol.yamlsafe import DEFAULT_LIMITS, Document, Limits, YamlError, load_yaml

FORMAT = 1
ITEM = b"  - "
_ENTRIES_LINE = re.compile(rb"(?m)^entries:[ \t]*\n")
_TOP_LEVEL = re.compile(r"(?m)^[^ \r\n#]")  # content at column 0 (a tab there is not indentation either)
_TOP_LEVEL_BYTES = re.compile(rb"(?m)^[^ \r\n#]")
_HEX = re.compile(r"^[0-9a-fA-F]{4,64}\Z")
RECONCILE_TASK_ID = "meta/reconcile-commits"
_TAIL = 1 << 16  # bytes of a log's end read first to find its last entry

Reader = Callable[[int, int], "bytes | None"]  # bytes start:end of a log, or None when they cannot be read


@dataclass(frozen=True)
class LogFacts:
    """What the gates need to know about a log already read, to judge an append to it without reading it again."""

    oid: str  # the git blob id of the log ("" when it came from elsewhere)
    size: int  # its length in bytes
    header_end: int  # offset just after its `entries:` line: raw[:header_end] is the header
    count: int  # entries
    cited: tuple[tuple[int, str], ...]  # (entry index, cited commit), as the tip-level check reads them
    rewrites: tuple[tuple[int, str, str], ...]  # (entry index, from, to) of the reconcile entries

    def to_json(self) -> dict[str, Any]:
        return {
            "oid": self.oid,
            "size": self.size,
            "header_end": self.header_end,
            "count": self.count,
            "cited": [list(pair) for pair in self.cited],
            "rewrites": [list(triple) for triple in self.rewrites],
        }

    @classmethod
    def from_json(cls, value: Any) -> LogFacts | None:
        """The facts a stored value holds, or None when it is not exactly their shape."""
        try:
            oid, size, header_end, count = value["oid"], value["size"], value["header_end"], value["count"]
            cited = tuple((int(i), str(c)) for i, c in value["cited"] if type(i) is int and type(c) is str)
            rewrites = tuple(
                (i, a, b) for i, a, b in value["rewrites"] if type(i) is int and type(a) is str and type(b) is str
            )
            if len(cited) != len(value["cited"]) or len(rewrites) != len(value["rewrites"]):
                return None
        except (KeyError, TypeError, ValueError):
            return None
        if type(oid) is not str or not all(type(n) is int and n >= 0 for n in (size, header_end, count)):
            return None
        return cls(oid, size, header_end, count, cited, rewrites)


def _citations(entries: list[Any], start: int) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    cited: list[tuple[int, str]] = []
    rewrites: list[tuple[int, str, str]] = []
    for offset, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        value = entry.get("commit")
        if isinstance(value, str) and value.strip():
            cited.append((start + offset, value))
        if entry.get("task_id") == RECONCILE_TASK_ID:
            evidence = entry.get("evidence")
            if isinstance(evidence, dict) and evidence.get("type") == "commit-rewrite":
                old, new = evidence.get("from"), evidence.get("to")
                if isinstance(old, str) and isinstance(new, str) and _HEX.match(old) and _HEX.match(new):
                    rewrites.append((start + offset, old, new))
    return cited, rewrites


def log_facts(raw: bytes, doc: Document | None, oid: str = "") -> LogFacts | None:
    """The facts of a log loaded as `doc`, or None when an append to it cannot be read on its own."""
    if doc is None or not doc.fast or not raw.endswith(b"\n") or raw.startswith(codecs.BOM_UTF8):
        return None
    data = doc.data
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        return None
    found = _ENTRIES_LINE.search(raw)
    if found is None:
        return None
    header_end = found.end()
    body = raw[header_end:]
    if not body.startswith(ITEM) or _TOP_LEVEL_BYTES.search(body) is not None:
        return None  # comments before the first entry, another indentation, or a key after `entries`
    cited, rewrites = _citations(entries, 0)
    return LogFacts(oid, len(raw), header_end, len(entries), tuple(cited), tuple(rewrites))


@dataclass(frozen=True)
class Appended:
    entries: list[Any]  # the added entries, as the whole new log holds them after the old ones
    doc: Document  # the old header followed by the added bytes


def appended(
    facts: LogFacts, old_raw: bytes, new_raw: bytes, source: str, limits: Limits = DEFAULT_LIMITS
) -> Appended | None:
    """The entries `new_raw` adds after `old_raw`, read on their own, or None when that is not provably what
    reading the whole new log gives (the caller compares the full logs then)."""
    if not new_raw.startswith(old_raw):
        return None
    return appended_in(facts, lambda start, end: new_raw[start:end], len(old_raw), len(new_raw), source, limits)


def appended_in(
    facts: LogFacts, read: Reader, old_size: int, new_size: int, source: str, limits: Limits = DEFAULT_LIMITS
) -> Appended | None:
    """`appended` for a new log known only through `read(start, end)` (its bytes, or None), whose first
    `old_size` bytes the caller has proven to be the old log's."""
    if facts.size != old_size or new_size <= old_size or new_size > limits.max_bytes:
        return None
    head = read(0, facts.header_end)
    if head is None or len(head) != facts.header_end or not head.endswith(b"\n"):
        return None
    if _ENTRIES_LINE.match(head, head.rfind(b"\n", 0, facts.header_end - 1) + 1) is None:
        return None
    added = read(old_size, new_size)
    if added is None or len(added) != new_size - old_size:
        return None
    try:
        text = added.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _TOP_LEVEL.search(text) is not None:
        return None
    first = next((line for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#")), "")
    if not first.startswith(ITEM.decode()):
        return None
    try:
        doc = load_yaml(head + added, source, limits)
    except YamlError:
        return None
    data = doc.data
    entries = data.get("entries") if isinstance(data, dict) else None
    if not doc.fast or not isinstance(entries, list) or not entries:
        return None
    return Appended(entries, doc)


def extended(facts: LogFacts, new_size: int, added: Appended, oid: str = "") -> LogFacts:
    """The facts of the new log (`new_size` bytes): the old one's with the added entries."""
    cited, rewrites = _citations(added.entries, facts.count)
    return LogFacts(
        oid,
        new_size,
        facts.header_end,
        facts.count + len(added.entries),
        facts.cited + tuple(cited),
        facts.rewrites + tuple(rewrites),
    )


def last_instant(facts: LogFacts, raw: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bool, int | None]:
    """(read, instant) of the log's last entry, read from its own lines (so no stored fact can change it):
    (False, None) when it cannot be read on its own; (True, None) when it has no valid timestamp."""
    return last_instant_in(facts, lambda start, end: raw[start:end], len(raw), source, limits)


def last_instant_in(
    facts: LogFacts, read: Reader, size: int, source: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[bool, int | None]:
    """`last_instant` for a log of `size` bytes known only through `read(start, end)`: its last lines are
    read, more of them only when its last entry is longer."""
    if facts.header_end < 1 or size < facts.header_end:
        return False, None
    head = read(0, facts.header_end)
    width = _TAIL
    while True:
        low = max(facts.header_end - 1, size - width)
        tail = read(low, size)
        if head is None or tail is None or len(tail) != size - low:
            return False, None
        found = tail.rfind(b"\n" + ITEM)
        if found >= 0:
            break
        if low == facts.header_end - 1:
            return False, None
        width *= 4
    try:
        doc = load_yaml(head + tail[found + 1 :], source, limits)
    except YamlError:
        return False, None
    data = doc.data
    entries = data.get("entries") if isinstance(data, dict) else None
    if not doc.fast or not isinstance(entries, list) or len(entries) != 1:
        return False, None
    entry = entries[0]
    try:
        return True, parse_ns(entry.get("timestamp")) if isinstance(entry, dict) else None
    except TimestampError:
        return True, None
