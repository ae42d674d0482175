"""Blobs read from git's pack files as spans of other objects' bytes.

A long progress log changes by appends, and git keeps most versions of it as deltas against another
version: "copy the first N bytes of that one, then insert these bytes". Following those instructions,
without inflating each version in full, shows a version as a list of spans, each a range of a whole object
or of the bytes a delta inserts. Two versions whose span lists agree over the first N bytes provably share
those bytes; the bytes a version adds are read from the spans alone. So a walk over hundreds of versions of
a long log reads each version's delta, not each version (spec §6.1: cost proportional to the change).

What git keeps another way, or that this module does not understand (a loose object, a SHA-256 repository,
an index of another version, a delta chain too long or too fragmented, anything unexpected in a pack),
answers None: the caller reads the object through `git cat-file` as before. Nothing here decides a verdict;
it only says when two blobs' bytes are provably the same.

Pack format: git's Documentation/gitformat-pack.txt (index version 2, object entries, delta encoding).
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_BLOB, _OFS_DELTA, _REF_DELTA = 3, 6, 7
_IDX_MAGIC = b"\xfftOc"
_OID_BYTES = 20
_MAX_CHAIN = 10_000  # git's own limit on a delta chain is 4095
_MAX_SPANS = 4096  # a version made of more pieces is read whole
_MEMO = 512  # flattened objects kept: a walk needs the last few versions and their bases
_BUFFERS_BYTES = 256 * 1024 * 1024  # inflated whole objects and delta data kept in memory
_CHUNK = 1 << 16
_MAX_OBJECT = 1 << 30  # an object or delta said to be larger is read through cat-file (memory stays bounded here)

Key = tuple[int, int]  # (pack number, offset of the entry): what a span's bytes are taken from


@dataclass(frozen=True)
class Spans:
    """An object's bytes as consecutive ranges of sources: `(source, offset, length)`, merged where one
    continues the previous one."""

    pieces: tuple[tuple[Key, int, int], ...]
    starts: tuple[int, ...]  # where each piece begins in the object
    size: int

    def head(self, length: int) -> tuple[tuple[Key, int, int], ...]:
        """The pieces of the first `length` bytes (the last one cut to fit)."""
        out: list[tuple[Key, int, int]] = []
        for (key, offset, size), start in zip(self.pieces, self.starts, strict=True):
            if start >= length:
                break
            out.append((key, offset, min(size, length - start)))
        return tuple(out)


def _merged(pieces: list[tuple[Key, int, int]]) -> list[tuple[Key, int, int]]:
    out: list[tuple[Key, int, int]] = []
    for key, offset, size in pieces:
        if size <= 0:
            continue
        if out and out[-1][0] == key and out[-1][1] + out[-1][2] == offset:
            out[-1] = (key, out[-1][1], out[-1][2] + size)
        else:
            out.append((key, offset, size))
    return out


def _spans(pieces: list[tuple[Key, int, int]]) -> Spans:
    starts, at = [], 0
    for _, _, size in pieces:
        starts.append(at)
        at += size
    return Spans(tuple(pieces), tuple(starts), at)


def _slice(spans: Spans, start: int, end: int) -> list[tuple[Key, int, int]]:
    out: list[tuple[Key, int, int]] = []
    index = max(0, bisect_right(spans.starts, start) - 1)
    while index < len(spans.pieces) and spans.starts[index] < end:
        key, offset, size = spans.pieces[index]
        begin = spans.starts[index]
        lo, hi = max(start, begin), min(end, begin + size)
        if hi > lo:
            out.append((key, offset + lo - begin, hi - lo))
        index += 1
    return out


def _varint(data: bytes | mmap.mmap, pos: int) -> tuple[int, int]:
    """A delta header's size: 7 bits a byte, least significant first."""
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos
        if shift > 63:
            raise ValueError("size too long")


class _Pack:
    def __init__(self, idx_path: Path) -> None:
        self._idx = _map(idx_path)
        self.data = _map(idx_path.with_suffix(".pack"))
        idx = self._idx
        if idx[:4] != _IDX_MAGIC or struct.unpack(">I", idx[4:8])[0] != 2:
            raise ValueError("not a version 2 pack index")
        if self.data[:4] != b"PACK":
            raise ValueError("not a pack")
        self.fanout = struct.unpack(">256I", idx[8 : 8 + 1024])
        self.count = self.fanout[255]
        self._names = 8 + 1024
        self._offsets = self._names + self.count * (_OID_BYTES + 4)
        self._large = self._offsets + self.count * 4
        if len(idx) < self._large:
            raise ValueError("a truncated pack index")

    def offset(self, oid: bytes) -> int | None:
        idx = self._idx
        lo = self.fanout[oid[0] - 1] if oid[0] else 0
        hi = self.fanout[oid[0]]
        while lo < hi:
            mid = (lo + hi) // 2
            at = self._names + mid * _OID_BYTES
            name = idx[at : at + _OID_BYTES]
            if name < oid:
                lo = mid + 1
            elif name > oid:
                hi = mid
            else:
                (small,) = struct.unpack(">I", idx[self._offsets + mid * 4 : self._offsets + mid * 4 + 4])
                if not small & 0x80000000:
                    return small
                at = self._large + (small & 0x7FFFFFFF) * 8
                return int(struct.unpack(">Q", idx[at : at + 8])[0])
        return None


def _map(path: Path) -> mmap.mmap:
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


@dataclass(frozen=True)
class _Entry:
    kind: int
    size: int  # of the object, or of the delta data
    data: int  # where the compressed data begins
    base: Key | None  # a delta's base


class Packs:
    """The pack files of a repository's object folders (its own and its alternates'), read in place."""

    def __init__(self, folders: list[Path]) -> None:
        self._packs: list[_Pack] = []
        for folder in folders:
            pack_dir = folder / "pack"
            try:
                names = sorted(pack_dir.glob("pack-*.idx"), key=_age)
            except OSError:
                continue
            for idx in names:
                try:
                    self._packs.append(_Pack(idx))
                except (OSError, ValueError, struct.error):
                    continue  # git may be writing it, or it is another format: its objects are read whole
        self._memo: OrderedDict[Key, Spans] = OrderedDict()
        self._buffers: OrderedDict[Key, bytes] = OrderedDict()
        self._buffered = 0

    @classmethod
    def of(cls, objects_dir: Path, alternates_env: str | None) -> Packs:
        return cls(object_folders(objects_dir, alternates_env))

    def __bool__(self) -> bool:
        return bool(self._packs)

    # --- what a blob is made of ---------------------------------------------------------------------------

    def spans(self, oid: str) -> Spans | None:
        """The blob's bytes as spans, or None when it is not a blob kept in a pack this module reads."""
        key = self._locate(oid)
        if key is None:
            return None
        try:
            return self._flatten(key)
        except (ValueError, IndexError, zlib.error, struct.error, OverflowError):
            return None

    def extends(self, old: str, new: str) -> int | None:
        """len(old) when blob `new` provably begins with blob `old`'s bytes and is longer; None when not
        proven (which says nothing either way)."""
        before, after = self.spans(old), self.spans(new)
        if before is None or after is None or after.size <= before.size:
            return None
        return before.size if after.head(before.size) == before.pieces else None

    def read(self, oid: str, start: int = 0, end: int | None = None) -> bytes | None:
        """Bytes `start:end` of the blob, or None when it cannot be read here."""
        spans = self.spans(oid)
        if spans is None:
            return None
        stop = spans.size if end is None else min(end, spans.size)
        try:
            parts = [self._source(key)[offset : offset + size] for key, offset, size in _slice(spans, start, stop)]
        except (ValueError, IndexError, zlib.error, struct.error, OverflowError):
            return None
        data = b"".join(parts)
        return data if len(data) == max(0, stop - start) else None

    # --- pack entries ---------------------------------------------------------------------------------------

    def _locate(self, oid: str) -> Key | None:
        if len(oid) != 2 * _OID_BYTES:
            return None
        try:
            raw = bytes.fromhex(oid)
        except ValueError:
            return None
        for number, pack in enumerate(self._packs):
            offset = pack.offset(raw)
            if offset is not None:
                return (number, offset)
        return None

    def _entry(self, key: Key) -> _Entry:
        data = self._packs[key[0]].data
        pos = key[1]
        byte = data[pos]
        kind, size, shift = (byte >> 4) & 7, byte & 0x0F, 4
        pos += 1
        while byte & 0x80:
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if shift > 70:
                raise ValueError("entry size too long")
        base: Key | None = None
        if kind == _OFS_DELTA:
            byte = data[pos]
            pos += 1
            back = byte & 0x7F
            while byte & 0x80:
                byte = data[pos]
                pos += 1
                back = ((back + 1) << 7) | (byte & 0x7F)
            if back <= 0 or back > key[1]:
                raise ValueError("delta base outside the pack")
            base = (key[0], key[1] - back)
        elif kind == _REF_DELTA:
            name = bytes(data[pos : pos + _OID_BYTES]).hex()
            pos += _OID_BYTES
            base = self._locate(name)
            if base is None:
                raise ValueError("delta base not in a pack")
        elif kind != _BLOB:
            raise ValueError("not a blob")
        if size > _MAX_OBJECT:
            raise ValueError("too large to read here")
        return _Entry(kind, size, pos, base)

    def _source(self, key: Key) -> bytes:
        """The inflated data of an entry: a whole blob, or a delta's instructions and inserted bytes."""
        cached = self._buffers.get(key)
        if cached is not None:
            self._buffers.move_to_end(key)
            return cached
        entry = self._entry(key)
        data = _inflate(self._packs[key[0]].data, entry.data, entry.size)
        self._buffers[key] = data
        self._buffered += len(data)
        while self._buffered > _BUFFERS_BYTES and len(self._buffers) > 1:
            _, dropped = self._buffers.popitem(last=False)
            self._buffered -= len(dropped)
        return data

    def _flatten(self, key: Key) -> Spans:
        chain: list[tuple[Key, _Entry]] = []
        at: Key | None = key
        while at is not None and at not in self._memo:
            entry = self._entry(at)
            chain.append((at, entry))
            if len(chain) > _MAX_CHAIN:
                raise ValueError("delta chain too long")
            at = entry.base
        spans = self._memo[at] if at is not None else None
        for here, entry in reversed(chain):
            if entry.base is None:
                spans = _spans([(here, 0, entry.size)])
            else:
                assert spans is not None
                spans = self._apply(here, spans)
            self._remember(here, spans)
        assert spans is not None
        return spans

    def _apply(self, key: Key, base: Spans) -> Spans:
        delta = self._source(key)
        base_size, pos = _varint(delta, 0)
        size, pos = _varint(delta, pos)
        if base_size != base.size:
            raise ValueError("delta against another size")
        pieces: list[tuple[Key, int, int]] = []
        end = len(delta)
        # git writes a copy of at most 64 KiB per instruction, so a version that keeps a long log whole is a
        # run of copies, each taking up where the last ended: they are sliced from the base as one
        run_start = run_end = -1
        while pos < end:
            op = delta[pos]
            pos += 1
            if op & 0x80:
                offset = length = 0
                for bit in range(4):
                    if op & (1 << bit):
                        offset |= delta[pos] << (8 * bit)
                        pos += 1
                for bit in range(3):
                    if op & (0x10 << bit):
                        length |= delta[pos] << (8 * bit)
                        pos += 1
                length = length or 0x10000
                if offset + length > base.size:
                    raise ValueError("copy beyond the base")
                if offset != run_end:
                    if run_end >= 0:
                        pieces.extend(_slice(base, run_start, run_end))
                    run_start = offset
                run_end = offset + length
                continue
            if run_end >= 0:
                pieces.extend(_slice(base, run_start, run_end))
                run_start = run_end = -1
            if op:
                if pos + op > end:
                    raise ValueError("insert beyond the delta")
                pieces.append((key, pos, op))
                pos += op
            else:
                raise ValueError("reserved delta instruction")
            if len(pieces) > 2 * _MAX_SPANS:
                pieces = _merged(pieces)
                if len(pieces) > _MAX_SPANS:
                    raise ValueError("too fragmented")
        if run_end >= 0:
            pieces.extend(_slice(base, run_start, run_end))
        merged = _merged(pieces)
        result = _spans(merged)
        if result.size != size or len(merged) > _MAX_SPANS:
            raise ValueError("delta gives another size")
        return result

    def _remember(self, key: Key, spans: Spans) -> None:
        self._memo[key] = spans
        self._memo.move_to_end(key)
        while len(self._memo) > _MEMO:
            self._memo.popitem(last=False)


def _inflate(data: mmap.mmap, pos: int, size: int) -> bytes:
    """`size` bytes from the zlib stream at `pos`; anything else (more, fewer, a broken stream) is an error."""
    stream = zlib.decompressobj()
    parts: list[bytes] = []
    got = 0
    while not stream.eof:
        chunk = stream.unconsumed_tail or data[pos : pos + _CHUNK]
        if not stream.unconsumed_tail:
            if not chunk:
                raise ValueError("the pack ends inside an object")
            pos += len(chunk)
        out = stream.decompress(chunk, size - got + 1)
        got += len(out)
        if got > size:
            raise ValueError("an object longer than its header says")
        parts.append(out)
    if got != size:
        raise ValueError("an object shorter than its header says")
    return b"".join(parts)


def _age(path: Path) -> float:
    try:
        return -os.stat(path.with_suffix(".pack")).st_mtime  # git looks in the newest packs first
    except OSError:
        return 0.0


def object_folders(objects_dir: Path, alternates_env: str | None) -> list[Path]:
    """A repository's object folder and its alternates (`GIT_ALTERNATE_OBJECT_DIRECTORIES`, then
    `info/alternates`, followed a few levels deep), as git finds them. Quoted entries are skipped: their
    objects are then read through `git cat-file`."""
    found: list[Path] = []
    pending = [objects_dir]
    pending += [Path(p) for p in (alternates_env or "").split(os.pathsep) if p and not p.startswith('"')]
    depth = 0
    while pending and depth < 6:
        following: list[Path] = []
        for folder in pending:
            if folder in found:
                continue
            found.append(folder)
            try:
                lines = (folder / "info" / "alternates").read_text("utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                line = line.strip()
                if line and not line.startswith(("#", '"')):
                    path = Path(line)
                    following.append(path if path.is_absolute() else (folder / path).resolve())
        pending, depth = following, depth + 1
    return found


class PackedBlob:
    """A blob kept in a pack, read only when asked (`protocol.state.LazyBytes`). `fallback` reads it whole
    another way when the pack cannot give it."""

    def __init__(self, packs: Packs, oid: str, size: int, fallback: Callable[[str], bytes]) -> None:
        self._packs = packs
        self.oid = oid
        self._size = size
        self._fallback = fallback

    @property
    def size(self) -> int:
        return self._size

    def read(self) -> bytes:
        data = self._packs.read(self.oid)
        return data if data is not None else self._fallback(self.oid)

    def slice(self, start: int, end: int) -> bytes | None:
        return self._packs.read(self.oid, start, end)

    def extends(self, other: object) -> int | None:
        if not isinstance(other, PackedBlob) or other._packs is not self._packs:
            return None
        return self._packs.extends(other.oid, self.oid)
