"""The reader works on path strings (`small check` starts without pathlib) that say what pathlib says:
root_folder() is `Path(dir).absolute()` less a final `.small`, shown_path() is `relative_to(Path.cwd())`, and
a symlink stays inside the workspace exactly when `is_relative_to` says so; for any --dir, from any folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from small_git.report.text import shown_path
from small_git.store.reader import _inside, resolve_root, root_folder

# Pieces that pathlib treats specially: separators (one, two or three leading), `.`, `..`, the .small folder.
PIECES = st.sampled_from(["/", "//", "///", ".", "..", "a", "b c", ".small", "x.small", "~", "-"])
DIRECTORIES = st.lists(PIECES, max_size=8).map("".join)
FOLDERS = st.sampled_from(["/", os.path.realpath(tempfile.gettempdir()), os.getcwd()])


def pathlib_root(directory: str) -> str:
    path = Path(directory or ".").absolute()
    return str(path.parent if path.name == ".small" else path)


def pathlib_shown(path: str) -> str:
    try:
        relative = Path(path).relative_to(Path.cwd())
    except ValueError:
        return path
    return str(relative) or "."


@settings(max_examples=400, deadline=None)
@given(DIRECTORIES, FOLDERS)
def test_the_root_folder_and_its_display_are_pathlibs(directory: str, folder: str) -> None:
    with contextlib.chdir(folder):
        root = root_folder(directory)
        assert root == pathlib_root(directory)
        assert resolve_root(directory) == Path(root)
        small = os.path.join(root, ".small")
        assert small == str(Path(root) / ".small")
        assert shown_path(small) == pathlib_shown(small)
        assert shown_path(root) == pathlib_shown(root)


REAL_PATHS = st.lists(st.sampled_from(["a", "ab", "b"]), max_size=3).flatmap(
    lambda parts: st.sampled_from(["/", "//"]).map(lambda top: top + "/".join(parts))
)


@given(REAL_PATHS, REAL_PATHS)
def test_inside_is_is_relative_to(path: str, folder: str) -> None:
    assert _inside(path, folder) == Path(path).is_relative_to(folder)


def test_a_workspace_given_as_a_path_or_a_string_reads_the_same(tmp_path: Path) -> None:
    from small_git.store.reader import read_state

    (tmp_path / ".small").mkdir()
    (tmp_path / ".small" / "intent.small.yml").write_text('small_version: "1.0.0"\nowner: "human"\n')
    assert read_state(tmp_path) == read_state(str(tmp_path))
