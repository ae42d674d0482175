"""Reading a workspace from disk without trusting it: no hangs on FIFOs, no symlinks out of the workspace,
no unbounded reads. Every command reads `.small/` through `read_file` (or `read_artifact`), so every command
refuses the same things `check` refuses: FIFOs, devices, directories, broken, looping or escaping symlinks, and
files over the size limit (`SMALL_MAX_FILE_BYTES`)."""

from __future__ import annotations

import os
import stat

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import ALL_FILES, SMALL_DIR, display_path
from small_git.protocol.state import FileEntry, LayoutEntry, State
from small_git.protocol.yamlsafe import Document, Limits, load_yaml
from small_git.store.limits import configured_limits

# Paths are strings here (a Path is taken wherever one is): `small check` reads a workspace without pathlib,
# which would cost it more than reading the six files.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

Where = str | os.PathLike[str]


def root_folder(directory: Where | None) -> str:
    """The folder that holds `.small/`, absolute and written as pathlib writes it (no `.` parts, no slash at the
    end, `..` kept: `--dir ../x` is shown as `../x`). `--dir` may name that folder or the `.small` folder."""
    text = os.fspath(directory or ".")
    if not text.startswith("/"):
        cwd = os.getcwd()
        text = cwd + text if cwd.endswith("/") else f"{cwd}/{text}"
    top = "//" if text.startswith("//") and not text.startswith("///") else "/"  # POSIX keeps a leading "//"
    parts = [part for part in text.split("/") if part and part != "."]
    if parts and parts[-1] == SMALL_DIR:
        parts.pop()
    return top + "/".join(parts)


def resolve_root(directory: Where | None) -> Path:
    """root_folder() as a Path."""
    from pathlib import Path

    return Path(root_folder(directory))


def _child(folder: str, name: str) -> str:
    """`Path(folder) / name` for a folder written as pathlib writes it."""
    if folder == ".":
        return name
    return folder + name if folder.endswith("/") else f"{folder}/{name}"


def _inside(path: str, folder: str) -> bool:
    """`Path(path).is_relative_to(folder)` for two paths that realpath() wrote."""
    if folder in ("/", "//"):
        return path.startswith(folder) and path.startswith("//") == (folder == "//")
    return path == folder or path.startswith(folder + "/")


def small_dir(root: Where) -> str:
    """`root/.small`, which must be a real directory (exit 2 otherwise)."""
    target = _child(os.fspath(root), SMALL_DIR)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        raise SmallError(
            f"no {SMALL_DIR}/ directory in {root}",
            exit_code=EXIT_USAGE,
            hint=f"run: small init --dir {root}",
            rule="no-workspace",
        ) from None
    except OSError as exc:
        raise SmallError(f"cannot read {target}: {exc.strerror}", exit_code=EXIT_USAGE) from None
    if not stat.S_ISDIR(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "a file"
        raise SmallError(
            f"{target} is {kind}, not a directory",
            exit_code=EXIT_USAGE,
            hint=f"move it aside and run: small init --dir {root}",
            rule="no-workspace",
        )
    return target


def read_file(root: Where, relative: str, max_bytes: int | None = None) -> tuple[bytes | None, str | None]:
    """(bytes, None), (None, None) when absent, or (None, problem) when the path must not be read. The size
    limit is the configured one unless given."""
    if max_bytes is None:
        max_bytes = configured_limits().max_bytes
    path = os.path.join(root, relative)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.path.realpath(path, strict=True)
        except OSError:
            return None, "is a broken or looping symlink"
        if not _inside(target, os.path.realpath(root)):
            return None, f"is a symlink pointing outside the workspace ({target})"
        info = os.stat(target)
        path = target
    return _read_regular(path, info, max_bytes)


def _read_regular(path: Where, info: os.stat_result, max_bytes: int) -> tuple[bytes | None, str | None]:
    if stat.S_ISDIR(info.st_mode):
        return None, "is a directory, not a file"
    if not stat.S_ISREG(info.st_mode):
        return None, "is not a regular file"
    if info.st_size > max_bytes:
        return None, f"is {info.st_size} bytes, over the {max_bytes}-byte limit"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror}"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped for something else since the stat
            return None, "is not a regular file"
        # read(n) allocates n bytes up front, so ask for what stat() saw (not for the limit, which may be
        # huge), then keep reading in chunks while the file grows, up to one byte past the limit
        data = handle.read(min(info.st_size, max_bytes) + 1)
        while len(data) <= max_bytes:
            more = handle.read(min(1 << 20, max_bytes + 1 - len(data)))
            if not more:
                break
            data += more
    if len(data) > max_bytes:
        return None, f"is over the {max_bytes}-byte limit"
    return data, None


def read_any_file(path: Path) -> tuple[bytes | None, str | None]:
    """A file outside `.small/` (AGENTS.md, .gitignore), followed through symlinks wherever they point, with
    the same refusals otherwise: (bytes, None), (None, None) when absent, (None, problem)."""
    try:
        target = path.resolve(strict=True)
        info = os.stat(target)
    except FileNotFoundError:
        return None, None
    except (OSError, RuntimeError) as exc:
        return None, f"cannot be read: {getattr(exc, 'strerror', None) or 'a looping symlink'}"
    return _read_regular(target, info, configured_limits().max_bytes)


def read_artifact(root: Where, kind: str) -> bytes | None:
    """The bytes of `.small/<kind>.small.yml`, or None when it is absent. A path that must not be read is a
    SmallError (exit 2) naming the file."""
    where = display_path(kind)
    raw, problem = read_file(root, where)
    if problem is not None:
        raise SmallError(f"{where} {problem}", exit_code=EXIT_USAGE, file=where, rule="unreadable")
    return raw


def parse_yaml(data: bytes | str, source: str) -> Document:
    """The safe loader (spec §2) with the configured limits: every command parses `.small/` files so."""
    return load_yaml(data, source, configured_limits())


def read_state(root: Where, limits: Limits | None = None) -> State:
    """All six files of the workspace at `root` (missing ones have raw None), plus the layout of `.small/`."""
    limits = limits or configured_limits()
    folder = small_dir(root)
    files: dict[str, FileEntry] = {}
    for kind in ALL_FILES:
        raw, problem = read_file(root, display_path(kind), limits.max_bytes)
        files[kind] = FileEntry(kind, display_path(kind), raw, problem)
    layout = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                layout.append(LayoutEntry(entry.name, entry.is_dir(follow_symlinks=False)))
    except OSError as exc:
        raise SmallError(f"cannot list {folder}: {exc.strerror}", exit_code=EXIT_USAGE) from None
    layout.sort(key=lambda e: e.name)
    return State(files, layout, "", limits)


__all__ = ["parse_yaml", "read_artifact", "read_file", "read_state", "resolve_root", "root_folder", "small_dir"]
