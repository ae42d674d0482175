"""The append-only progress log (spec §4).

An append writes bytes at the end of `progress.small.yml`: the old file is a prefix of the new one, and the
append reads only a bounded head (to find `entries:` and the items' indentation) and a bounded tail (to find
the last entry and its timestamp) of the existing file, whatever its size. A log that cannot be extended by
appending bytes (`entries: []`, flow style, a trailing `...`, entries not the last key) is normalised once by
an atomic rewrite that leaves every entry unchanged.

Entries are written with `timestamp` as their last key. A write that dies part-way therefore leaves a final
entry that does not parse or has no complete timestamp, which is how a torn append is recognised (and what
`fix` may drop).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git import PROTOCOL_VERSION
from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import SMALL_DIR, display_path, filename
from small_git.protocol.emitter import emit_document, emit_items
from small_git.protocol.timestamps import TimestampError, format_ns, now_ns, parse_ns
from small_git.protocol.yamlsafe import YamlError, load_yaml
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.reader import configured_limits
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
    item_start: int | None  # byte offset of the last entry's first line (None: no entries yet)
    last_ns: int | None  # instant of the last entry
    ends_with_newline: bool


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


def _parse_last_entry(item: bytes, offset: int) -> int | None:
    """The last entry's instant; TornEntryError when the entry is incomplete. A complete entry whose
    timestamp is malformed (written by hand or another tool) is no tear: the append goes ahead (None) and
    `check` reports that entry."""
    try:
        doc = load_yaml(b"entries:\n" + item, _LOG)
    except YamlError as exc:
        raise TornEntryError(offset, f"it does not parse: {exc.reason}") from None
    entries = doc.data.get("entries") if isinstance(doc.data, dict) else None
    entry = entries[0] if isinstance(entries, list) and len(entries) == 1 else None
    if not isinstance(entry, dict):
        raise TornEntryError(offset, "it is not a mapping")
    stamp = entry.get("timestamp")
    if stamp is None:
        raise TornEntryError(offset, "it has no timestamp")
    try:
        return parse_ns(stamp)
    except TimestampError:
        return None


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
    last_ns = _parse_last_entry(item, item_start)
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
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return _rewrite(root, None, entries, replay_id, not_before_ns)
    except OSError as exc:
        raise SmallError(f"cannot open {_LOG}: {exc.strerror}", exit_code=EXIT_USAGE, file=_LOG) from None
    try:
        size = os.fstat(fd).st_size
        tail = inspect_tail(fd, size)
        if tail is None:
            return _rewrite(root, path, entries, replay_id, not_before_ns)
        prepared = _prepare(entries, tail.last_ns, replay_id, not_before_ns)
        _check_sizes(prepared, tail.indent)
        refuse_secrets(prepared)
        data = (b"" if tail.ends_with_newline else b"\n") + emit_items(prepared, tail.indent)
        _critical_section_delay()
        _write_all(fd, data)
        os.fsync(fd)
        return prepared
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        IO.bytes_written += written
        view = view[written:]


def load_log(root: Path) -> dict[str, Any] | None:
    """The whole log, parsed (None when absent). For normalisation and repairs, not for appends."""
    path = log_path(root)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SmallError(f"cannot read {_LOG}: {exc.strerror}", exit_code=EXIT_USAGE, file=_LOG) from None
    max_bytes = configured_limits().max_bytes
    if len(raw) > max_bytes:
        raise SmallError(
            f"{_LOG} is over the {max_bytes}-byte limit",
            exit_code=EXIT_USAGE,
            hint="raise SMALL_MAX_FILE_BYTES, or start a new log in a new workspace",
        )
    data = load_yaml(raw, _LOG).data
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
    offset: int  # where the incomplete entry starts
    data: bytes  # its bytes
    reason: str


def find_torn_tail(root: Path) -> TornTail | None:
    """The incomplete final entry left by an interrupted append, if any."""
    path = log_path(root)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        try:
            inspect_tail(fd, size)
        except TornEntryError as exc:
            return TornTail(exc.offset, os.pread(fd, size - exc.offset, exc.offset), exc.message)
        return None
    finally:
        os.close(fd)


def drop_torn_tail(root: Path, torn: TornTail) -> None:
    """Remove exactly the torn bytes (atomic rewrite of the prefix); caller holds the lock, saved them."""
    path = log_path(root)
    raw = path.read_bytes()
    prefix = raw[: torn.offset]
    if raw[torn.offset :] != torn.data:
        raise SmallError(f"{_LOG} changed while it was being repaired; run small fix again", exit_code=EXIT_USAGE)
    try:
        parsed = load_yaml(prefix, _LOG).data
    except YamlError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("entries") is None:
        # the torn entry was the only one: `entries:` alone would be null, so say `entries: []`
        prefix = re.sub(rb"(?m)^entries:[ \t]*(#.*)?$", b"entries: []", prefix, count=1)
        parsed = load_yaml(prefix, _LOG).data
    if not isinstance(parsed, dict) or not isinstance(parsed.get("entries"), list):
        # what precedes the incomplete entry must be a whole log on its own; otherwise the "entry start"
        # was found inside hand-written text and cutting there would damage a complete entry
        raise SmallError(
            f"{_LOG}: the end of the log cannot be repaired automatically",
            exit_code=EXIT_USAGE,
            file=_LOG,
            hint="repair it by hand, or restore it from git: git show HEAD:" + _LOG,
        )
    atomic_write(path, prefix)
