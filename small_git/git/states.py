"""A workspace's `State` as git sees it: at a commit, or in the index (`GIT_INDEX_FILE` honoured).

Git records a symlink as a blob of mode 120000 holding the link's target. The gates never follow it: a
canonical file that is a symlink (or a `.small` that is one) is a violation, so such entries carry a
problem the audit engine reports instead of loading them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from small_git.git.plumbing import TreeEntry, ls_index, ls_tree, read_blobs
from small_git.protocol.artifacts import ALL_FILES, SMALL_DIR, filename
from small_git.protocol.state import FileEntry, LayoutEntry, State

SYMLINK_PROBLEM = "is a symlink (git mode 120000); canonical files must be regular files"
SMALL_SYMLINK_PROBLEM = f"is inside {SMALL_DIR}, which is a symlink (git mode 120000), not a folder"
NOT_A_FILE_PROBLEM = "is not a regular file in git (a folder or a submodule)"
NOT_A_FOLDER_PROBLEM = f"is inside {SMALL_DIR}, which is a file, not a folder"


def workspace_prefix(path: str) -> str | None:
    """The folder (`""` or `"a/b/"`) of the workspace a repository path belongs to, or None.

    A path belongs to a workspace when one of its components is `.small` (the folder itself, anything in it,
    or a file or symlink that replaced it).
    """
    parts = path.split("/")
    for index, part in enumerate(parts):
        if part == SMALL_DIR:
            return "".join(p + "/" for p in parts[:index])
    return None


def workspace_prefixes(paths: Iterable[str]) -> list[str]:
    found = {prefix for prefix in map(workspace_prefix, paths) if prefix is not None}
    return sorted(found)


def touches_workspace(paths: Iterable[str]) -> bool:
    return any(workspace_prefix(p) is not None for p in paths)


def state_at(rev: str | None, prefix: str, repo: Path) -> State | None:
    """The workspace at `prefix` in commit `rev` (None: the index), or None when it has no `.small`."""
    small = prefix + SMALL_DIR
    entries = ls_index([small], repo) if rev is None else ls_tree(rev, [small], repo)
    return _build(entries, prefix, repo)


def _build(entries: list[TreeEntry], prefix: str, repo: Path) -> State | None:
    small = prefix + SMALL_DIR
    inside = [e for e in entries if e.path.startswith(small + "/")]
    itself = [e for e in entries if e.path == small]
    if not inside and not itself:
        return None
    state = State.from_bytes({}, layout=[], prefix=prefix)
    if itself:
        # `.small` is a blob: a symlink or a plain file where the folder should be.
        problem = SMALL_SYMLINK_PROBLEM if itself[0].is_symlink else NOT_A_FOLDER_PROBLEM
        for file_entry in state.files.values():
            file_entry.problem = problem
        return state
    by_name: dict[str, TreeEntry] = {}
    children: dict[str, bool] = {}
    for tree_entry in inside:
        rest = tree_entry.path[len(small) + 1 :]
        child, _, deeper = rest.partition("/")
        children[child] = children.get(child, False) or bool(deeper) or tree_entry.type != "blob"
        if not deeper:
            by_name[child] = tree_entry
    state.layout = [LayoutEntry(name, is_dir) for name, is_dir in sorted(children.items())]
    wanted = {kind: by_name.get(filename(kind)) for kind in ALL_FILES}
    regular = [e.sha for e in wanted.values() if e is not None and e.type == "blob" and not e.is_symlink]
    blobs = read_blobs(regular, repo)
    for kind, found in wanted.items():
        target: FileEntry = state.files[kind]
        if found is None:
            if children.get(filename(kind)):
                target.problem = NOT_A_FILE_PROBLEM
            continue
        if found.is_symlink:
            target.problem = SYMLINK_PROBLEM
        elif found.type != "blob":
            target.problem = NOT_A_FILE_PROBLEM
        else:
            target.raw = blobs[found.sha]
    return state


def is_symlink_problem(entry: FileEntry) -> bool:
    return entry.problem in (SYMLINK_PROBLEM, SMALL_SYMLINK_PROBLEM)


def workspaces_in(rev: str, repo: Path) -> list[str]:
    """The prefixes of every workspace in commit `rev` (reads the whole tree listing; no file contents)."""
    from small_git.git.plumbing import run_git_bytes

    names = run_git_bytes(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev], repo).split(b"\0")
    return workspace_prefixes(n.decode("utf-8", "surrogateescape") for n in names if b".small" in n)
