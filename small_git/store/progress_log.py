"""The append-only progress log (spec §4).

An append writes bytes at the end of `progress.small.yml`: the old file is a prefix of the new one, and the
append reads only a bounded head (to find `entries:` and the items' indentation) and a bounded tail (to find
the last entry and its timestamp) of the existing file, whatever its size. A log that cannot be extended by
appending bytes (`entries: []`, flow style, a trailing `...`, entries not the last key) is normalised once by
an atomic rewrite that leaves every entry unchanged.

Entries are written with `timestamp` as their last key. A write that dies part-way therefore leaves a final
entry that does not parse, is not a mapping, or has no timestamp, which is how a torn append is recognised
(and what `fix` may drop). That judgement is the real parser's: the bounded tail scan only finds the last
entry quickly in the usual layout, and whenever it is in doubt the whole log is parsed.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git import PROTOCOL_VERSION
from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import SMALL_DIR, display_path, filename
from small_git.protocol.emitter import emit_document, emit_items
from small_git.protocol.timestamps import TimestampError, format_ns, now_ns, parse_ns
from small_git.protocol.torn import last_entry_start, torn_entry
from small_git.protocol.yamlsafe import YamlError
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.reader import configured_limits, parse_yaml, read_artifact, read_file
from small_git.store.workspace_file import run_replay_id

ENTRY_KEYS = (
    "task_id",
    "status",
    "evidence",
    "verification",
    "command",
    "command_summary",
    "command_sha256",
    "command_ref",
    "test",
    "link",
    "commit",
    "notes",
    "replayId",
    "timestamp",
)
DEFAULT_MAX_ENTRY_BYTES = 64 * 1024
MAX_ENTRY_ENV = "SMALL_MAX_ENTRY_BYTES"
DELAY_ENV = "SMALL_TEST_CRITICAL_SECTION_DELAY"  # seconds to sleep while holding the lock (tests only)

HEAD_CHUNK = 512
HEAD_MAX = 64 * 1024
TAIL_CHUNK = 512

_ENTRIES_LINE = re.compile(rb"^entries:[ \t]*(#.*)?$")
_ENTRIES_KEY = re.compile(rb"^entries[ \t]*:")
_LOG = display_path("progress")


@dataclass
class IoCounter:
    """Bytes of the existing log read and written by appends (tests count them to prove bounded I/O)."""

    bytes_read: int = 0
    bytes_written: int = 0

    def reset(self) -> None:
        self.bytes_read = 0
        self.bytes_written = 0


IO = IoCounter()


class TornEntryError(SmallError):
    """The log's final entry is incomplete: a write was interrupted. `small fix` repairs it."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(
            f"{_LOG}: the last entry (from byte {offset}) is incomplete ({reason}); a write was probably interrupted",
            exit_code=EXIT_USAGE,
            file=_LOG,
            rule="torn-entry",
            hint="run: small fix   (it sets the incomplete entry aside and keeps every other one)",
        )
        self.offset = offset


@dataclass
class Tail:
    """What an append needs to know about the existing log."""

    size: int
    indent: int  # column of the entries' dashes
    item_start: int | None  # byte offset of the last entry's first line (None: not known)
    last_ns: int | None  # instant of the last entry
    ends_with_newline: bool
    # When the tail scan was in doubt, the whole log was parsed: its bytes and entries, so that the append can
    # be checked against the real parser before it is written.
    whole: bytes | None = None
    entries: list[Any] | None = None


def log_path(root: Path) -> Path:
    return root / SMALL_DIR / filename("progress")


def max_entry_bytes() -> int:
    raw = os.environ.get(MAX_ENTRY_ENV, "")
    return int(raw) if re.fullmatch(r"[0-9]+", raw) and int(raw) > 0 else DEFAULT_MAX_ENTRY_BYTES


def _pread(fd: int, length: int, offset: int) -> bytes:
    data = os.pread(fd, length, offset)
    IO.bytes_read += len(data)
    return data


# ---------------------------------------------------------------------------------------------- inspection


def _scan_head(fd: int, size: int) -> int | None | bool:
    """The dash column of the entries, False when the log cannot be extended by appending, None when the
    head does not tell (an unusually long header: the caller falls back to a full read)."""
    buffer = b""
    offset = 0
    while offset < size and offset < HEAD_MAX:
        chunk = _pread(fd, min(HEAD_CHUNK, size - offset), offset)
        if not chunk:
            break
        buffer += chunk
        offset += len(chunk)
        verdict = _head_verdict(buffer, complete=offset >= size)
        if verdict is not None:
            return verdict
    return None


def _head_verdict(buffer: bytes, complete: bool) -> int | bool | None:
    if buffer.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return False  # UTF-16/32: appended UTF-8 bytes would not fit
    buffer = buffer.removeprefix(b"\xef\xbb\xbf")
    lines = buffer.split(b"\n")
    if not complete:
        lines = lines[:-1]  # the last line may be cut by the chunk boundary
    seen_entries = False
    for raw in lines:
        line = raw.rstrip(b"\r")
        if not seen_entries:
            if line.startswith((b"{", b"[")):
                return False  # a flow-style document
            if _ENTRIES_KEY.match(line):
                if not _ENTRIES_LINE.match(line):
                    return False  # `entries: []` or a flow sequence
                seen_entries = True
            continue
        stripped = line.lstrip(b" ")
        if not stripped or stripped.startswith(b"#"):
            continue
        if stripped == b"-" or stripped.startswith(b"- "):
            return len(line) - len(stripped)
        return False  # `entries:` with no items, followed by another key or a document marker
    if complete:
        return False  # no block `entries:` key with items at all
    return None


def _is_item_start(buffer: bytes, at: int, indent: int) -> bool:
    end = at + indent + 1
    if buffer[at : at + indent] != b" " * indent or buffer[at + indent : end] != b"-":
        return False
    return end == len(buffer) or buffer[end : end + 1] in (b" ", b"\n", b"\r")


def _scan_tail(fd: int, size: int, indent: int, limit: int) -> tuple[int, bytes] | None | bool:
    """(offset, bytes) of the last entry, False when content follows the entries, None when not found within
    `limit` bytes."""
    buffer = b""
    start = size
    while start > 0 and size - start < limit:
        step = min(TAIL_CHUNK, start)
        start -= step
        buffer = _pread(fd, step, start) + buffer
        position = len(buffer)
        while True:
            newline = buffer.rfind(b"\n", 0, position)
            if newline < 0:
                break
            if _is_item_start(buffer, newline + 1, indent):
                item = buffer[newline + 1 :]
                return False if _content_after_entries(item, indent) else (start + newline + 1, item)
            position = newline
    return None


def _content_after_entries(item: bytes, indent: int) -> bool:
    """True when a line after the last entry's start is not part of the entries (another key, `...`)."""
    for raw in item.split(b"\n")[1:]:
        line = raw.rstrip(b"\r")
        if not line or line[:1] == b" " or line.lstrip(b" ").startswith(b"#"):
            continue
        if indent == 0 and (line == b"-" or line.startswith(b"- ")):
            return False  # cannot happen after the last item, but not foreign content either
        return True
    return False


def _parse_last_entry(item: bytes) -> tuple[bool, int | None]:
    """(the scanned last entry is one complete entry, its instant). A complete entry whose timestamp is
    malformed (written by hand or another tool) is no tear: the append goes ahead and `check` reports it."""
    try:
        doc = parse_yaml(b"entries:\n" + item, _LOG)
    except YamlError:
        return False, None
    entries = doc.data.get("entries") if isinstance(doc.data, dict) else None
    entry = entries[0] if isinstance(entries, list) and len(entries) == 1 else None
    if not isinstance(entry, dict) or entry.get("timestamp") is None:
        return False, None
    try:
        return True, parse_ns(entry["timestamp"])
    except TimestampError:
        return True, None


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    offset = 0
    while offset < size:
        chunk = _pread(fd, min(1 << 20, size - offset), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _whole_log_tail(fd: int, size: int, indent: int) -> Tail | None:
    """The tail, by the real parser over the whole log (when the bounded scan is in doubt). TornEntryError
    when the log ends in an incomplete entry; the loader's error when it does not parse at all."""
    raw = _read_all(fd, size)
    torn = torn_tail_of(raw)
    if torn is not None:
        raise TornEntryError(torn.offset, torn.reason)
    data = parse_yaml(raw, _LOG).data
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        return None
    last = entries[-1]
    try:
        last_ns: int | None = parse_ns(last.get("timestamp") if isinstance(last, dict) else None)
    except TimestampError:
        last_ns = None
    return Tail(size, indent, None, last_ns, raw.endswith(b"\n"), whole=raw, entries=entries)


def inspect_tail(fd: int, size: int) -> Tail | None:
    """The tail of an appendable log, or None when it must be normalised (or read in full) first."""
    if size == 0:
        return None
    indent = _scan_head(fd, size)
    if indent is None or indent is False or indent is True:
        return None
    found = _scan_tail(fd, size, indent, 4 * max_entry_bytes())
    if found is None or found is False or found is True:
        return None
    item_start, item = found
    complete, last_ns = _parse_last_entry(item)
    if not complete:
        return _whole_log_tail(fd, size, indent)
    return Tail(size, indent, item_start, last_ns, item.endswith(b"\n"))


# ------------------------------------------------------------------------------------------------ entries


def _prepare(
    entries: list[dict[str, Any]], last_ns: int | None, replay_id: str | None, not_before_ns: int | None
) -> list[dict[str, Any]]:
    prepared: list[dict[str, Any]] = []
    for entry in entries:
        unknown = [k for k in entry if k not in ENTRY_KEYS]
        if unknown:
            raise SmallError(
                f"progress entries have no field {unknown[0]!r}",
                exit_code=EXIT_USAGE,
                hint="allowed fields: " + ", ".join(ENTRY_KEYS),
            )
        task_id = entry.get("task_id")
        if not isinstance(task_id, str) or not task_id.strip():
            raise SmallError("a progress entry needs a non-empty task id", exit_code=EXIT_USAGE)
        given = entry.get("timestamp")
        if given is not None:
            try:
                instant = parse_ns(given)
            except TimestampError as exc:
                raise SmallError(f"invalid timestamp {given!r}: {exc}", exit_code=EXIT_USAGE) from None
            if last_ns is not None and instant <= last_ns:
                raise SmallError(
                    f"timestamp {given} is not after the last progress entry ({format_ns(last_ns)})",
                    exit_code=EXIT_USAGE,
                    hint="use --after, or omit the timestamp",
                )
        else:
            instant = max(now_ns(), not_before_ns or 0)
            if last_ns is not None and instant <= last_ns:
                instant = last_ns + 1
        last_ns = instant
        fields = {k: entry[k] for k in ENTRY_KEYS if k in entry and k != "timestamp"}
        if replay_id is not None and "replayId" not in fields:
            fields["replayId"] = replay_id
        fields["timestamp"] = format_ns(instant)
        prepared.append(fields)
    return prepared


def refuse_secrets(entries: list[dict[str, Any]]) -> None:
    """Nothing small-git appends may fail the strict rules (spec §4): the log is append-only, so a secret or an
    insecure link written now could only be removed later by break-glass redaction. Refuse it instead."""
    from small_git.protocol.interop import reference_secret_paths
    from small_git.protocol.schemas import format_path
    from small_git.protocol.secrets import find_insecure_links, find_secrets

    for entry in entries:
        problems = [message for _, message in find_secrets(entry) + find_insecure_links(entry, allow_loopback=True)]
        # judged where it will stand, so the reference's exemptions (entries[N].command_sha256, ...) apply
        problems += [
            f"a value the reference CLI's strict mode reports as a secret at {format_path(list(path[2:]))}"
            for path in reference_secret_paths({"entries": [entry]})
        ]
        if problems:
            raise SmallError(
                f"refusing to append to the append-only {_LOG}: {problems[0]}",
                exit_code=EXIT_USAGE,
                file=_LOG,
                rule="secret",
                hint="leave the secret out of --evidence/--notes (cite a log in .small-cache/ instead), and use "
                "https:// links",
            )


def _check_sizes(items: list[dict[str, Any]], indent: int) -> None:
    limit = max_entry_bytes()
    for item in items:
        size = len(emit_items([item], indent))
        if size > limit:
            raise SmallError(
                f"progress entry for {item['task_id']!r} is {size} bytes, over the {limit}-byte limit",
                exit_code=EXIT_USAGE,
                hint="keep long output in .small-cache/ and cite it (command_ref), or raise SMALL_MAX_ENTRY_BYTES",
            )


def _critical_section_delay() -> None:
    raw = os.environ.get(DELAY_ENV)
    if raw:
        try:
            time.sleep(float(raw))
        except ValueError:
            pass


def append_entries(
    root: Path, entries: list[dict[str, Any]], *, locked: bool = False, not_before_ns: int | None = None
) -> list[dict[str, Any]]:
    """Append entries to root/.small/progress.small.yml: assign strictly increasing 9-digit UTC timestamps
    (a given one must be after the last entry, else refused; a missing one is now, bumped to last + 1 ns, and
    not before `not_before_ns`), attach `replayId` from workspace.small.yml run.replay_id when present,
    enforce the entry size limit, and append BYTES. Normalise once to block style (atomic rewrite,
    entries unchanged) when the log cannot be extended by appending. Takes workspace_lock unless
    locked=True. Returns the entries as written."""
    if not locked:
        with workspace_lock(root):
            return append_entries(root, entries, locked=True, not_before_ns=not_before_ns)
    if not entries:
        return []
    path = log_path(root)
    replay_id = run_replay_id(root)
    fd = _open_for_append(path)
    if fd is None:
        return _rewrite(root, None, entries, replay_id, not_before_ns)
    try:
        size = os.fstat(fd).st_size
        tail = inspect_tail(fd, size)
        if tail is None:
            return _rewrite(root, path, entries, replay_id, not_before_ns)
        prepared = _prepare(entries, tail.last_ns, replay_id, not_before_ns)
        _check_sizes(prepared, tail.indent)
        refuse_secrets(prepared)
        data = (b"" if tail.ends_with_newline else b"\n") + emit_items(prepared, tail.indent)
        if tail.whole is not None and not _appends_cleanly(tail, data, prepared):
            return _rewrite(root, path, entries, replay_id, not_before_ns)
        _critical_section_delay()
        _write_all(fd, data)
        os.fsync(fd)
        return prepared
    finally:
        os.close(fd)


def _open_for_append(path: Path) -> int | None:
    """The log opened for appending, or None when there is none. Refused (exit 2, naming the file) as the
    reader refuses it: anything but a regular file (a FIFO would block, a device would never end, a symlink
    would write elsewhere) or a log over the size limit."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SmallError(f"cannot open {_LOG}: {exc.strerror}", exit_code=EXIT_USAGE, file=_LOG) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "a directory" if stat.S_ISDIR(info.st_mode) else None
        raise SmallError(
            f"{_LOG} is {kind or 'not a regular file'}; small-git appends only to a regular file",
            exit_code=EXIT_USAGE,
            file=_LOG,
            rule="unreadable",
            hint=f"move it aside and restore the log as a file (git show HEAD:{_LOG})",
        )
    flags = os.O_RDWR | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SmallError(f"cannot open {_LOG}: {exc.strerror}", exit_code=EXIT_USAGE, file=_LOG) from None
    opened = os.fstat(fd)
    limit = configured_limits().max_bytes
    if not stat.S_ISREG(opened.st_mode) or opened.st_size > limit:
        os.close(fd)
        _, problem = read_file(path.parent.parent, _LOG)
        raise SmallError(
            f"{_LOG} {problem or 'is not a regular file'}",
            exit_code=EXIT_USAGE,
            file=_LOG,
            rule="unreadable",
            hint="raise SMALL_MAX_FILE_BYTES, or start a new log in a new workspace",
        )
    return fd


def _same(a: Any, b: Any) -> bool:
    """Equal by value and type (`1`, `True` and `1.0` differ), as the gates compare entries."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _appends_cleanly(tail: Tail, data: bytes, prepared: list[dict[str, Any]]) -> bool:
    """Whether appending `data` to a log in an unusual layout reads back as its entries plus `prepared`."""
    assert tail.whole is not None and tail.entries is not None
    try:
        after = parse_yaml(tail.whole + data, _LOG).data
    except YamlError:
        return False
    entries = after.get("entries") if isinstance(after, dict) else None
    return isinstance(entries, list) and _same(entries, tail.entries + prepared)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        IO.bytes_written += written
        view = view[written:]


def last_entry(root: Path) -> dict[str, Any] | None:
    """The log's last entry, read from its end (a bounded read, as an append's), or None when there is none or
    the layout does not tell it cheaply: for advice, never for a rule. Refuses what appends refuse."""
    fd = _open_for_append(log_path(root))
    if fd is None:
        return None
    try:
        size = os.fstat(fd).st_size
        indent = _scan_head(fd, size)
        if indent is None or isinstance(indent, bool):
            return None
        found = _scan_tail(fd, size, indent, 4 * max_entry_bytes())
        if found is None or isinstance(found, bool):
            return None
        try:
            doc = parse_yaml(b"entries:\n" + found[1], _LOG)
        except YamlError:
            return None
        entries = doc.data.get("entries") if isinstance(doc.data, dict) else None
        entry = entries[0] if isinstance(entries, list) and len(entries) == 1 else None
        return entry if isinstance(entry, dict) else None
    finally:
        os.close(fd)


def load_log(root: Path) -> dict[str, Any] | None:
    """The whole log, parsed (None when absent). For normalisation and repairs, not for appends."""
    raw = read_artifact(root, "progress")
    if raw is None:
        return None
    data = parse_yaml(raw, _LOG).data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SmallError(f"{_LOG} must hold a mapping with entries", exit_code=EXIT_USAGE, file=_LOG)
    return data


def _rewrite(
    root: Path,
    path: Path | None,
    entries: list[dict[str, Any]],
    replay_id: str | None,
    not_before_ns: int | None,
) -> list[dict[str, Any]]:
    """Normalise (or create) the log in block style with the new entries, in one atomic write."""
    data = load_log(root) if path is not None else None
    data = data or {}
    existing = data.get("entries")
    if existing is None:
        existing = []
    if not isinstance(existing, list):
        raise SmallError(f"{_LOG}: entries must be a list", exit_code=EXIT_USAGE, file=_LOG)
    last_ns = max(_instants(existing), default=None)
    prepared = _prepare(entries, last_ns, replay_id, not_before_ns)
    _check_sizes(prepared, 2)
    refuse_secrets(prepared)
    document: dict[str, Any] = {"small_version": PROTOCOL_VERSION, "owner": data.get("owner", "agent")}
    document.update({k: v for k, v in data.items() if k not in ("small_version", "owner", "entries")})
    document["entries"] = list(existing) + prepared
    _critical_section_delay()
    atomic_write(log_path(root), emit_document(document))
    return prepared


def _instants(entries: list[Any]) -> list[int]:
    out = []
    for entry in entries:
        try:
            out.append(parse_ns(entry.get("timestamp") if isinstance(entry, dict) else None))
        except TimestampError:
            continue
    return out


def new_log_bytes(entries: list[dict[str, Any]]) -> bytes:
    """A fresh log holding `entries` (already prepared, e.g. by init)."""
    return emit_document({"small_version": PROTOCOL_VERSION, "owner": "agent", "entries": entries})


# ------------------------------------------------------------------------------------------------ repairs


@dataclass
class TornTail:
    offset: int  # where the incomplete entry starts (bytes)
    data: bytes  # its bytes
    reason: str


def torn_tail_of(raw: bytes) -> TornTail | None:
    """The incomplete final entry an interrupted append leaves, by the real parser, or None. It is one when
    the log does not parse but everything before its last entry does (and is a whole log), or when the log
    parses and its last entry is not a mapping with a timestamp while everything before it is the same log
    without it. Anything else is not a tear: nothing may be dropped."""
    bom = len(b"\xef\xbb\xbf") if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    limits = configured_limits()
    try:
        data = parse_yaml(raw, _LOG).data
    except YamlError as exc:
        found = torn_entry(text, exc, _LOG, limits)
        if found is None or not _starts_as_written(text[found.offset :]) or _holds_complete_entry(text[found.offset :]):
            return None
        offset = bom + len(text[: found.offset].encode("utf-8"))
        return TornTail(offset, raw[offset:], f"it does not parse: {exc.reason}")
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        return None
    last = entries[-1]
    if isinstance(last, dict) and last.get("timestamp") is not None:
        return None
    if isinstance(last, dict) and list(last) != [k for k in ENTRY_KEYS if k in last]:
        return None  # not in the order small-git writes an entry's keys: a hand-written entry, not a cut one
    start = last_entry_start(text)
    if start is None or not _starts_as_written(text[start.offset :]):
        return None
    try:
        before = parse_yaml(text[: start.offset], _LOG).data
    except YamlError:
        return None
    kept = before.get("entries") if isinstance(before, dict) else None
    if not _same(kept or [], entries[:-1]):
        return None
    offset = bom + len(text[: start.offset].encode("utf-8"))
    reason = "it has no timestamp" if isinstance(last, dict) else "it is not a mapping"
    return TornTail(offset, raw[offset:], reason)


# The first line of an entry as small-git writes it (`- task_id: "…"`), or any cut of it: a fragment that starts
# otherwise (a tab after the dash, no space after it, another first key) was not written by an append.
_WRITTEN_START = re.compile(r"[ ]*-(?: (?:t(?:a(?:s(?:k(?:_(?:i(?:d(?::(?: .*)?)?)?)?)?)?)?)?)?)?")


def _starts_as_written(fragment: str) -> bool:
    first = fragment.split("\n", 1)[0].rstrip("\r")
    return _WRITTEN_START.fullmatch(first) is not None


def _holds_complete_entry(fragment: str, max_lines: int = 1000) -> bool:
    """Whether the fragment is more than one entry cut short: a whole entry (a mapping with a timestamp)
    followed by lines that cannot continue it (another item, a line less indented than its keys, text that is
    no key). An interrupted write only cuts an entry short; it never writes past a complete one."""
    lines = fragment.splitlines(keepends=True)[:max_lines]
    first = lines[0] if lines else ""
    key_column = len(first) - len(first.lstrip(" ").removeprefix("-").lstrip(" "))
    for count in range(1, len(lines) + 1):
        complete, _ = _parse_last_entry("".join(lines[:count]).encode("utf-8"))
        if complete:
            return not all(_continues_entry(line, key_column) for line in lines[count:])
    return False


_KEY_START = re.compile(r"[A-Za-z_\"']")


def _continues_entry(line: str, key_column: int) -> bool:
    text = line.rstrip("\r\n")
    body = text.lstrip(" ")
    if not body:
        return True
    column = len(text) - len(body)
    return column > key_column or (column == key_column and _KEY_START.match(body) is not None)


def find_torn_tail(root: Path) -> TornTail | None:
    """The incomplete final entry left by an interrupted append, if any (exit 2 when the log must not be
    read)."""
    raw = read_artifact(root, "progress")
    return None if raw is None else torn_tail_of(raw)


def drop_torn_tail(root: Path, torn: TornTail) -> None:
    """Remove exactly the torn bytes (atomic rewrite of the prefix); caller holds the lock, saved them."""
    raw = read_artifact(root, "progress") or b""
    prefix = raw[: torn.offset]
    if raw[torn.offset :] != torn.data:
        raise SmallError(f"{_LOG} changed while it was being repaired; run small fix again", exit_code=EXIT_USAGE)
    try:
        parsed = parse_yaml(prefix, _LOG).data
    except YamlError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("entries") is None:
        # the torn entry was the only one: `entries:` alone would be null, so say `entries: []`
        prefix = re.sub(rb"(?m)^entries:[ \t]*(#.*)?$", b"entries: []", prefix, count=1)
        parsed = parse_yaml(prefix, _LOG).data
    if not isinstance(parsed, dict) or not isinstance(parsed.get("entries"), list):
        # what precedes the incomplete entry must be a whole log on its own; otherwise cutting there would
        # damage a complete entry
        raise SmallError(
            f"{_LOG}: the end of the log cannot be repaired automatically",
            exit_code=EXIT_USAGE,
            file=_LOG,
            hint="repair it by hand, or restore it from git: git show HEAD:" + _LOG,
        )
    atomic_write(log_path(root), prefix)
