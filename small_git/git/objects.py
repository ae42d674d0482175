"""Reading git objects through one `git cat-file --batch` process per judgement.

A judgement reads many small objects (commits, trees, the `.small/` blobs of each commit); one long-running
process answers all of them, instead of a process per object. Trees are parsed here, so a tree that lists
the same name twice (which `git fsck` refuses and a plain remote accepts) is seen as what it is.
"""

from __future__ import annotations

import os
import sys
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

    def lazy_blob(self, oid: str) -> PackedBlob | None:
        """The blob as `PackedBlob` (read only when asked) when it is long and kept in a pack whose deltas
        this reader can follow; None otherwise (read it with `blob`)."""
        if self.raw_length != 20 or self._objects_dir is None:
            return None
        if self._packs is None:
            self._packs = Packs.of(self._objects_dir, os.environ.get("GIT_ALTERNATE_OBJECT_DIRECTORIES"))
        spans = self._packs.spans(oid) if self._packs else None
        if spans is None or spans.size < LAZY_BYTES:
            return None
        return PackedBlob(self._packs, oid, spans.size, self._read_whole)

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
