"""Telling a torn final progress entry (a write interrupted part-way) from any other YAML error.

A log that does not parse is torn when the parser ran out of input (nothing but blanks after the place where
it gave up: what a write cut off part-way leaves), the error lies inside the last entry, and everything before
that entry is a complete log on its own by the real parser. Then `small fix` can set the fragment aside and
keep every complete entry, and the error message says so instead of only pointing at the bad YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from small_git.protocol.yamlsafe import DEFAULT_LIMITS, Limits, YamlError, load_yaml

_ENTRIES_KEY = re.compile(r"^entries:[ \t]*(?:#.*)?$", re.MULTILINE)
_ITEM = re.compile(r"^([ ]*)-(?:[ \t]|$)", re.MULTILINE)
# a top-level key, or a document marker: the end of the entries block
_BLOCK_END = re.compile(r"^(?:[^ \t\r\n#-]|-[^ \t\r\n])", re.MULTILINE)


@dataclass(frozen=True)
class TornEntry:
    line: int  # 1-based line where the incomplete entry starts
    offset: int  # its character offset in the text


def last_entry_start(text: str) -> TornEntry | None:
    """Where the last item of the top-level `entries:` block sequence starts, or None (no such block, or
    the block is not at the end of the file)."""
    key = _ENTRIES_KEY.search(text)
    if key is None:
        return None
    if _BLOCK_END.search(text, key.end() + 1):
        return None  # more follows the entries block: an interrupted append tears only the end of the file
    first = _ITEM.search(text, key.end())
    if first is None:
        return None
    items = re.compile(rf"^{first.group(1)}-(?:[ \t]|$)", re.MULTILINE)
    last = first
    for match in items.finditer(text, first.end()):
        last = match
    return TornEntry(text.count("\n", 0, last.start()) + 1, last.start())


def torn_entry(text: str, error: YamlError, source: str, limits: Limits = DEFAULT_LIMITS) -> TornEntry | None:
    """The incomplete last entry that explains `error`, or None when the log is broken elsewhere too."""
    if not error.at_end:
        return None  # the parser gave up before the end: the log is broken there, not cut off
    last = last_entry_start(text)
    if last is None or error.line is None or error.line < last.line:
        return None
    try:
        before = load_yaml(text[: last.offset], source, limits).data
    except YamlError:
        return None
    if not isinstance(before, dict):
        return None
    entries = before.get("entries")
    # `entries:` followed only by the torn entry reads as null once that entry is cut away
    return last if isinstance(entries, list) or (entries is None and "entries" in before) else None


def torn_entry_error(error: YamlError, torn: TornEntry) -> YamlError:
    """`error`, explained: the last entry is incomplete, and `small fix` repairs that."""
    explained = YamlError(
        error.file or "",
        f"{error.reason}\n    the last entry (from line {torn.line}) is incomplete: a write was probably interrupted",
        line=error.line,
        column=error.column,
        text=error.text,
        hint="run: small fix   (it sets the incomplete last entry aside and keeps every complete one)",
    )
    explained.rule = "torn-entry"
    return explained
