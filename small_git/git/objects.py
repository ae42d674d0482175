"""Reading git objects through one `git cat-file --batch` process per judgement.

A judgement reads many small objects (commits, trees, the `.small/` blobs of each commit); one long-running
process answers all of them, instead of a process per object. Trees are parsed here, so a tree that lists
the same name twice (which `git fsck` refuses and a plain remote accepts) is seen as what it is.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git import runner
from small_git.git.packs import PackedBlob, Packs
from small_git.protocol.artifacts import LONG_LOG_BYTES

TREE_MODE = "40000"
SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"
MISSING_RULE = "missing-history"
_TREE_CACHE = 512  # trees kept in memory: enough for the parents of a walk, flat in the number of commits
# blobs kept in memory: a walk reads each commit's log and its parent's, so the last few blobs are read again
_BLOB_CACHE = 8
_BLOB_CACHE_BYTES = 256 * 1024 * 1024
LAZY_BYTES = LONG_LOG_BYTES  # a log this long is read from its pack's deltas, in the parts the gates need


class MissingObject(SmallError):
    def __init__(self, oid: str) -> None:
        self.oid = oid
        super().__init__(
            f"object {oid} is missing from this repository, so the history cannot be judged",
            exit_code=EXIT_USAGE,
            rule=MISSING_RULE,
            hint="fetch the missing history (a shallow or partial clone?): git fetch --unshallow",
        )


@dataclass(frozen=True)
class Entry:
    mode: str
    name: str
    oid: str

    @property
    def type(self) -> str:
        if self.mode == TREE_MODE:
            return "tree"
        return "commit" if self.mode == GITLINK_MODE else "blob"

    @property
    def is_tree(self) -> bool:
        return self.mode == TREE_MODE

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE


@dataclass(frozen=True)
class Tree:
    oid: str
    entries: tuple[Entry, ...]
    duplicates: frozenset[str]  # names the tree lists more than once

    def get(self, name: str) -> Entry | None:
        """The entry called `name` (None when absent). A duplicated name is the caller's to refuse."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        return None


@dataclass(frozen=True)
class Commit:
    oid: str
    tree: str
    parents: tuple[str, ...]
    author: tuple[str, str]  # (name, email)
    committer: tuple[str, str]
    message: str


class ObjectReader:
    """`git cat-file --batch`, one request at a time. Use as a context manager (it owns a process)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        object_format, self._objects_dir = _repository(repo)
        self.raw_length = 32 if object_format == "sha256" else 20
        self._packs: Packs | None = None
        self._proc = runner.start(["cat-file", "--batch"], repo)
        _widen(self._proc.stdout)
        self._trees: OrderedDict[str, Tree] = OrderedDict()
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        # A commit whose long logs are likely to extend the versions asked for: the new tip of the range being
        # judged. A loose version (what `git commit` writes: no deltas to follow) that is provably the start of
        # the newest one at the same path is read from it, and never inflated (`_prefix_blob`).
        self.newest: str | None = None
        self._newest_logs: dict[tuple[str, ...], bytes | None] = {}
        self._prefixed: dict[str, PrefixBlob] = {}

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()

    def read(self, oid: str) -> tuple[str, bytes] | None:
        """(type, content) of the object, or None when the repository lacks it."""
        if not oid or "\n" in oid or " " in oid:
            return None
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(oid.encode() + b"\n")
            stdin.flush()
            header = stdout.readline()
        except BrokenPipeError:
            header = b""
        if not header:
            stderr = self._proc.stderr.read().decode("utf-8", "replace") if self._proc.stderr else ""
            raise runner.GitError(("git", "cat-file", "--batch"), self._proc.poll(), stderr)
        fields = header.split()
        if len(fields) != 3:  # "<name> missing" (or "ambiguous")
            return None
        size = int(fields[2])
        content = stdout.read(size)
        stdout.read(1)  # the newline after each object
        return fields[1].decode(), content

    def require(self, oid: str, kind: str) -> bytes:
        if kind == "blob":
            return self.blob(oid)
        return self._require(oid, kind)

    def blob(self, oid: str) -> bytes:
        """A blob's bytes; the last few are kept, so a walk reads a long log once, not once per commit."""
        cached = self._blobs.get(oid)
        if cached is not None:
            self._blobs.move_to_end(oid)
            return cached
        data = self._require(oid, "blob")
        self._blobs[oid] = data
        while len(self._blobs) > _BLOB_CACHE or sum(map(len, self._blobs.values())) > _BLOB_CACHE_BYTES:
            self._blobs.popitem(last=False)
            if not self._blobs:
                break
        return data

    def lazy_blob(self, oid: str, path: tuple[str, ...] = ()) -> PackedBlob | PrefixBlob | None:
        """The blob read only when asked, when it is long and either kept in a pack whose deltas this reader
        can follow (`PackedBlob`) or, loose, the start of the `newest` commit's blob at `path` (`PrefixBlob`);
        None otherwise (read it with `blob`)."""
        if self.raw_length != 20 or self._objects_dir is None:
            return None
        if self._packs is None:
            self._packs = Packs.of(self._objects_dir, os.environ.get("GIT_ALTERNATE_OBJECT_DIRECTORIES"))
        spans = self._packs.spans(oid) if self._packs else None
        if spans is None:
            return self._prefix_blob(oid, path) if path and self.newest else None
        if spans.size < LAZY_BYTES:
            return None
        return PackedBlob(self._packs, oid, spans.size, self._read_whole)

    def _prefix_blob(self, oid: str, path: tuple[str, ...]) -> PrefixBlob | None:
        """A loose blob whose id is the SHA-1 of the first bytes of the newest commit's blob at `path`: those
        bytes are its content, as git's object ids promise (git hashes what it stores, and its SHA-1 refuses
        the known collision attacks). Hashing them costs a third of inflating the object and copying it
        through the pipe; anything unproven answers None."""
        known = self._prefixed.get(oid)
        if known is not None:  # a walk asks for each version twice: as a commit's log, then as its parent's
            return known
        size = self._loose_size(oid)
        if size is None or size < LAZY_BYTES:
            return None
        source = self._newest_log(path)
        if source is None or len(source) < size:
            return None
        digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
        digest.update(memoryview(source)[:size])
        if digest.hexdigest() != oid:
            return None
        if len(self._prefixed) >= _BLOB_CACHE:
            self._prefixed.pop(next(iter(self._prefixed)))
        self._prefixed[oid] = found = PrefixBlob(source, size)
        return found

    def _loose_size(self, oid: str) -> int | None:
        """The size in a loose object's header (its first bytes inflated), or None when it is not loose here."""
        if self._objects_dir is None or len(oid) != 40:
            return None
        try:
            with open(os.path.join(self._objects_dir, oid[:2], oid[2:]), "rb") as handle:
                inflate = zlib.decompressobj()
                head = b""
                while b"\0" not in head and len(head) < 32:  # a deflate block's code tables come first
                    chunk = handle.read(4096)
                    if not chunk:
                        break
                    head += inflate.decompress(chunk, 64 - len(head))
        except (OSError, zlib.error):
            return None
        kind, _, rest = head.partition(b" ")
        size, nul, _ = rest.partition(b"\0")
        return int(size) if kind == b"blob" and nul and size.isascii() and size.isdigit() else None

    def _newest_log(self, path: tuple[str, ...]) -> bytes | None:
        key = (self.newest or "", *path)
        if key not in self._newest_logs:
            self._newest_logs.clear()  # one log at a time: the workspaces of a range are judged one by one
            self._prefixed.clear()
            self._newest_logs[key] = self._blob_at(self.newest, path)
        return self._newest_logs[key]

    def _blob_at(self, commit: str | None, path: tuple[str, ...]) -> bytes | None:
        if commit is None:
            return None
        try:
            tree = self.tree(self.commit(commit).tree)
            for name in path[:-1]:
                entry = tree.get(name)
                if entry is None or not entry.is_tree or name in tree.duplicates:
                    return None
                tree = self.tree(entry.oid)
            found = tree.get(path[-1])
            if found is None or found.type != "blob" or found.is_symlink or path[-1] in tree.duplicates:
                return None
            return self._require(found.oid, "blob")
        except SmallError:
            return None

    def _read_whole(self, oid: str) -> bytes:
        if self._proc.poll() is None and self._proc.stdin is not None and not self._proc.stdin.closed:
            return self.blob(oid)
        return runner.run(["cat-file", "blob", oid], self.repo).stdout

    def _require(self, oid: str, kind: str) -> bytes:
        found = self.read(oid)
        if found is None:
            raise MissingObject(oid)
        if found[0] != kind:
            raise SmallError(f"object {oid} is a {found[0]}, not a {kind}", exit_code=EXIT_USAGE)
        return found[1]

    def tree(self, oid: str) -> Tree:
        cached = self._trees.get(oid)
        if cached is not None:
            self._trees.move_to_end(oid)
            return cached
        tree = parse_tree(oid, self.require(oid, "tree"), self.raw_length)
        self._trees[oid] = tree
        if len(self._trees) > _TREE_CACHE:
            self._trees.popitem(last=False)
        return tree

    def commit(self, oid: str) -> Commit:
        return parse_commit(oid, self.require(oid, "commit"))


class PrefixBlob:
    """A loose blob proven to be the first `size` bytes of a longer one held in memory
    (`protocol.state.LazyBytes`)."""

    def __init__(self, source: bytes, size: int) -> None:
        self._source = source
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def read(self) -> bytes:
        return self._source if self._size == len(self._source) else self._source[: self._size]

    def slice(self, start: int, end: int) -> bytes | None:
        return self._source[start : min(end, self._size)]

    def extends(self, other: object) -> int | None:
        if isinstance(other, PrefixBlob) and other._source is self._source and other._size < self._size:
            return other._size
        return None


_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # Linux: a long log arrives in fewer, larger reads


def _widen(stream: object) -> None:
    if not sys.platform.startswith("linux"):
        return
    import fcntl

    try:
        fcntl.fcntl(stream.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)  # type: ignore[attr-defined]
    except (OSError, AttributeError, ValueError):
        pass  # a capped pipe size: only slower


def _repository(repo: Path) -> tuple[str, Path | None]:
    """(object format, object folder) of the repository: one `rev-parse`."""
    result = runner.run(["rev-parse", "--show-object-format", "--git-path", "objects"], repo, check=False)
    lines = result.text.splitlines() if result.ok else []
    if len(lines) != 2:
        return "sha1", None
    folder = Path(lines[1])
    return lines[0].strip(), folder if folder.is_absolute() else Path(repo) / folder


def parse_tree(oid: str, data: bytes, raw_length: int) -> Tree:
    entries: list[Entry] = []
    seen: set[str] = set()
    duplicates: set[str] = set()
    position = 0
    while position < len(data):
        space = data.index(b" ", position)
        nul = data.index(b"\0", space)
        mode = data[position:space].decode()
        name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
        raw = data[nul + 1 : nul + 1 + raw_length]
        if len(raw) != raw_length:
            raise SmallError(f"tree {oid} is truncated", exit_code=EXIT_USAGE)
        entries.append(Entry(mode, name, raw.hex()))
        if name in seen:
            duplicates.add(name)
        seen.add(name)
        position = nul + 1 + raw_length
    return Tree(oid, tuple(entries), frozenset(duplicates))


def parse_commit(oid: str, data: bytes) -> Commit:
    head, _, body = data.partition(b"\n\n")
    tree = ""
    parents: list[str] = []
    people: dict[str, tuple[str, str]] = {}
    for line in head.split(b"\n"):
        if line.startswith(b" "):
            continue  # the continuation of a multi-line header (a signature)
        key, _, value = line.partition(b" ")
        text = value.decode("utf-8", "replace")
        if key == b"tree":
            tree = text
        elif key == b"parent":
            parents.append(text)
        elif key in (b"author", b"committer"):
            name, _, rest = text.partition(" <")
            people[key.decode()] = (name, rest.split(">", 1)[0])
    return Commit(
        oid,
        tree,
        tuple(parents),
        people.get("author", ("", "")),
        people.get("committer", ("", "")),
        body.decode("utf-8", "replace"),
    )
