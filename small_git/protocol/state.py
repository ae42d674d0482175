"""The files of one workspace as bytes, independent of where they came from (disk, a commit, the index)."""

from __future__ import annotations

from typing import Protocol

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import ALL_FILES, SMALL_DIR, display_path
from small_git.protocol.values import Fields
from small_git.protocol.yamlsafe import DEFAULT_LIMITS, Document, Limits, YamlError, load_yaml


class LazyBytes(Protocol):
    """A file's bytes that are read only when asked for (a long log kept in git's packs)."""

    @property
    def size(self) -> int: ...

    def read(self) -> bytes: ...

    def slice(self, start: int, end: int) -> bytes | None: ...

    def extends(self, other: LazyBytes) -> int | None:
        """len(other) when these bytes provably begin with `other`'s and are longer; None when not proven."""
        ...


class FileEntry:
    """One of the six files: its bytes (None when absent), why it cannot be read (`problem`: a folder, a
    symlink leaving the repository, ...), and the git blob id when the bytes came from git (the key of the
    gates' facts cache). Bytes given as `lazy` are read on first use of `raw`."""

    __slots__ = ("kind", "path", "_raw", "problem", "oid", "_lazy")

    def __init__(
        self,
        kind: str,
        path: str,
        raw: bytes | None = None,
        problem: str | None = None,
        oid: str | None = None,
        lazy: LazyBytes | None = None,
    ) -> None:
        self.kind = kind
        self.path = path  # display path, relative to the folder holding .small/ (".small/plan.small.yml")
        self._raw = raw
        self.problem = problem
        self.oid = oid
        self._lazy = lazy if raw is None else None

    @property
    def raw(self) -> bytes | None:
        if self._lazy is not None:
            self._raw, self._lazy = self._lazy.read(), None
        return self._raw

    @raw.setter
    def raw(self, value: bytes | None) -> None:
        self._raw, self._lazy = value, None

    def lazy_bytes(self, lazy: LazyBytes) -> None:
        """Take the file's bytes as `lazy`: read on first use of `raw`."""
        self._raw, self._lazy = None, lazy

    @property
    def lazy(self) -> LazyBytes | None:
        """The bytes not read yet (None once read, or when they came whole)."""
        return self._lazy

    @property
    def size(self) -> int | None:
        if self._lazy is not None:
            return self._lazy.size
        return None if self._raw is None else len(self._raw)

    @property
    def present(self) -> bool:
        return self._raw is not None or self._lazy is not None or self.problem is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileEntry):
            return NotImplemented
        return (self.kind, self.path, self.raw, self.problem, self.oid) == (
            other.kind,
            other.path,
            other.raw,
            other.problem,
            other.oid,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FileEntry({self.kind!r}, {self.path!r}, size={self.size}, problem={self.problem!r}, oid={self.oid!r})"


class LayoutEntry(Fields):
    __slots__ = ("name", "is_dir")
    name: str
    is_dir: bool

    def __init__(self, name: str, is_dir: bool) -> None:
        self.name = name
        self.is_dir = is_dir


class State(Fields):
    """One workspace. `files` has an entry for each of the six files; `layout` lists `.small/`'s children."""

    __slots__ = ("files", "layout", "prefix", "limits", "_docs")
    files: dict[str, FileEntry]
    layout: list[LayoutEntry] | None
    prefix: str  # prepended to display paths (e.g. "examples/demo/" for a nested workspace)
    limits: Limits
    _docs: dict[str, Document | None]

    def __init__(
        self,
        files: dict[str, FileEntry],
        layout: list[LayoutEntry] | None = None,
        prefix: str = "",
        limits: Limits = DEFAULT_LIMITS,
        _docs: dict[str, Document | None] | None = None,
    ) -> None:
        self.files = files
        self.layout = layout
        self.prefix = prefix
        self.limits = limits
        self._docs = {} if _docs is None else _docs

    def __repr__(self) -> str:  # the parsed documents are a cache, not part of what is shown
        return f"State(files={self.files!r}, layout={self.layout!r}, prefix={self.prefix!r}, limits={self.limits!r})"

    @classmethod
    def from_bytes(
        cls,
        contents: dict[str, bytes | None],
        layout: list[LayoutEntry] | None = None,
        prefix: str = "",
        limits: Limits = DEFAULT_LIMITS,
    ) -> State:
        files = {kind: FileEntry(kind, prefix + display_path(kind), contents.get(kind)) for kind in ALL_FILES}
        return cls(files, layout, prefix, limits)

    @property
    def small_dir(self) -> str:
        return self.prefix + SMALL_DIR

    def path(self, kind: str) -> str:
        return self.files[kind].path

    def present(self, kind: str) -> bool:
        return self.files[kind].present

    def load(self, kind: str) -> Document | None:
        """The parsed document, or None when the file is absent. Raises SmallError (exit 2) when unreadable."""
        if kind in self._docs:
            return self._docs[kind]
        entry = self.files[kind]
        if entry.problem is not None:
            raise SmallError(f"{entry.path}: {entry.problem}", exit_code=EXIT_USAGE, file=entry.path, rule="unreadable")
        try:
            doc = None if entry.raw is None else load_yaml(entry.raw, entry.path, self.limits)
        except YamlError as exc:
            if kind == "progress" and exc.text is not None:
                from small_git.protocol.torn import torn_entry, torn_entry_error  # only for a log that does not parse

                torn = torn_entry(exc.text, exc, entry.path, self.limits)
                if torn is not None:
                    raise torn_entry_error(exc, torn) from None
            raise
        self._docs[kind] = doc
        return doc

    def data(self, kind: str) -> object:
        doc = self.load(kind)
        return None if doc is None else doc.data
