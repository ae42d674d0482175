"""Folders that are costly to build (a repository whose history was made through the installed hooks, a
built wheel) built once per run and copied into each test that starts from them.

`Prebuilt.folder(name, build)` calls `build(folder)` the first time any test of the run asks for `name` (under
pytest-xdist, one worker builds it while the others wait for it) and returns the folder with what `build`
returned (anything JSON can hold). `Prebuilt.copy(name, build, into)` copies the folder's contents into a
test's own folder (`tmp_path`), so the test finds exactly what `build` would have made there, and changes it
as it likes: the built folder itself is never handed to a test.

A repository remembers absolute paths in a few text files (a remote's URL in `.git/config`, FETCH_HEAD): once
built, every file that holds the folder's path is listed, and each copy gets them with its own path instead.
A binary file holding the path fails the build, since its copy could not be moved.

Whichever test asks first, `build` runs in the environment of the session (tests/conftest.py), never in that
test's: the folder is shared by every test that names it, so nothing a test set may shape it. The session's
instance is `active()`; `copy_into()` builds in place where there is none (support code run outside pytest).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

_MOVABLE_BYTES = 1 << 20  # files larger than this are never text that names a path (packs, the index)


class Prebuilt:
    """The run's prebuilt folders under `root` (shared by every xdist worker of the run), each built in the
    environment `environ` (a private HOME and TMPDIR of the session's)."""

    _active: Prebuilt | None = None

    def __init__(self, root: Path, environ: Mapping[str, str]) -> None:
        self.root = root
        self.environ = dict(environ)
        self._seen: dict[str, tuple[Path, Any, list[str]]] = {}

    @contextlib.contextmanager
    def activated(self) -> Iterator[Prebuilt]:
        """This instance as `active()` while the block runs (the session)."""
        before, Prebuilt._active = Prebuilt._active, self
        try:
            yield self
        finally:
            Prebuilt._active = before

    def folder(self, name: str, build: Callable[[Path], Any]) -> tuple[Path, Any]:
        """The folder `name`, built by `build(folder)` if no test of this run built it yet, and what `build`
        returned."""
        path, info, _ = self._get(name, build)
        return path, info

    def copy(self, name: str, build: Callable[[Path], Any], into: Path) -> Any:
        """Copy the contents of the folder `name` (see `folder`) into `into` (merged with what is there, as
        `cp -a folder/. into` does), each file that named the built folder naming `into` instead; returns what
        `build` returned. While another xdist worker is building it, `build(into)` makes this test's own, as
        fast as waiting and never slower."""
        if name not in self._seen and not self._try_build_once(name, build):
            into.mkdir(parents=True, exist_ok=True)
            with self._environment():
                return build(into)
        path, info, movable = self._get(name, build)
        into.mkdir(parents=True, exist_ok=True)
        for item in path.iterdir():
            target = into / item.name
            if item.is_dir() and not item.is_symlink():
                shutil.copytree(item, target, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(item, target, follow_symlinks=False)
        old, new = str(path), str(into)
        for relative in movable:
            file = into / relative
            file.write_text(file.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        return info

    def _get(self, name: str, build: Callable[[Path], Any]) -> tuple[Path, Any, list[str]]:
        if name not in self._seen:
            self._seen[name] = self._build_once(name, build)
        return self._seen[name]

    def _try_build_once(self, name: str, build: Callable[[Path], Any]) -> bool:
        """Whether the folder `name` is built (by this call if by no one before); False while another worker
        is building it."""
        try:
            self._seen[name] = self._build_once(name, build, wait=False)
        except BlockingIOError:
            return False
        return True

    def _build_once(self, name: str, build: Callable[[Path], Any], wait: bool = True) -> tuple[Path, Any, list[str]]:
        self.root.mkdir(parents=True, exist_ok=True)
        folder, record = self.root / name, self.root / f"{name}.json"
        with open(self.root / f"{name}.lock", "w") as lock:
            # one builder; the others wait here (or, not waiting, hear BlockingIOError), then read its record
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            if not record.is_file():
                shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
                folder.mkdir()
                with self._environment():
                    info = build(folder)
                saved = {"info": info, "movable": _naming(folder)}
                partial = record.with_suffix(".partial")
                partial.write_text(json.dumps(saved), encoding="utf-8")
                os.replace(partial, record)
        saved = json.loads(record.read_text(encoding="utf-8"))
        return folder, saved["info"], saved["movable"]

    @contextlib.contextmanager
    def _environment(self) -> Iterator[None]:
        saved, saved_temp, cwd = dict(os.environ), tempfile.tempdir, os.getcwd()
        try:
            os.environ.clear()
            os.environ.update(self.environ)
            tempfile.tempdir = self.environ.get("TMPDIR", saved_temp)
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            tempfile.tempdir = saved_temp
            os.chdir(cwd)


def active() -> Prebuilt | None:
    """The session's prebuilt folders, if a session is running."""
    return Prebuilt._active


def copy_into(name: str, build: Callable[[Path], Any], into: Path) -> Any:
    """`active().copy(name, build, into)`; without a session, `build(into)` itself."""
    prebuilt = active()
    if prebuilt is None:
        into.mkdir(parents=True, exist_ok=True)
        return build(into)
    return prebuilt.copy(name, build, into)


def _naming(folder: Path) -> list[str]:
    """The files under `folder` that hold its absolute path: text, so that a copy can name itself instead."""
    needle = os.fsencode(folder)
    found = []
    for file in _files(folder):
        if file.is_symlink():
            if needle in os.fsencode(os.readlink(file)):
                raise AssertionError(f"{file} links to the folder it was built in by its path: make the link relative")
            continue
        if file.stat().st_size > _MOVABLE_BYTES:
            continue
        data = file.read_bytes()
        if needle not in data:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise AssertionError(
                f"{file} names the folder it was built in and is not text: it cannot be copied"
            ) from None
        found.append(str(file.relative_to(folder)))
    return found


def _files(folder: Path) -> Iterator[Path]:
    for parent, _, names in os.walk(folder):
        for name in names:
            path = Path(parent, name)
            if path.is_symlink() or path.is_file():
                yield path
