"""A workspace's `State` as git sees it: at a commit, or in the index (`GIT_INDEX_FILE` honoured).

Git records a symlink as a blob of mode 120000 holding the link's target. The gates never follow it: a
canonical file that is a symlink (or a `.small` that is one) is a violation, so such entries carry a
problem the audit engine reports instead of loading them. So does a tree that lists a name twice on the
way to a canonical file: git shows people one copy, a careless reader another, so neither is trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from small_git.git.objects import Entry, ObjectReader, Tree
from small_git.git.plumbing import TreeEntry, ls_index, run_git_bytes
from small_git.protocol.artifacts import ALL_FILES, SMALL_DIR, filename
from small_git.protocol.state import FileEntry, LayoutEntry, State

SYMLINK_PROBLEM = "is a symlink (git mode 120000); canonical files must be regular files"
SMALL_SYMLINK_PROBLEM = f"is inside {SMALL_DIR}, which is a symlink (git mode 120000), not a folder"
NOT_A_FILE_PROBLEM = "is not a regular file in git (a folder or a submodule)"
NOT_A_FOLDER_PROBLEM = f"is inside {SMALL_DIR}, which is a file, not a folder"
DUPLICATE_PROBLEM = "is listed twice in its git tree (git fsck refuses such a tree), so which copy counts is unclear"
DUPLICATE_FOLDER_PROBLEM = (
    "is in a folder that its git tree lists twice (git fsck refuses such a tree), so which copy counts is unclear"
)
_EMPTY = Tree("", (), frozenset())


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


# --- at a commit --------------------------------------------------------------------------------------------


def state_at(rev: str | None, prefix: str, repo: Path, objects: ObjectReader | None = None) -> State | None:
    """The workspace at `prefix` in commit `rev` (None: the index), or None when it has no `.small`."""
    if rev is None:
        return _from_index(prefix, repo, objects)
    if objects is None:
        with ObjectReader(repo) as reader:
            return state_at(rev, prefix, repo, reader)
    return state_in_tree(objects, objects.commit(f"{rev}^{{commit}}").tree, prefix)


def state_in_tree(objects: ObjectReader, root: str, prefix: str) -> State | None:
    """The workspace at `prefix` under the root tree `root`."""
    tree = objects.tree(root)
    for part in [p for p in prefix.split("/") if p]:
        if part in tree.duplicates:
            return _with_problem(prefix, DUPLICATE_FOLDER_PROBLEM)
        entry = tree.get(part)
        if entry is None or not entry.is_tree:
            return None
        tree = objects.tree(entry.oid)
    small = tree.get(SMALL_DIR)
    if small is None:
        return None
    if SMALL_DIR in tree.duplicates:
        return _with_problem(prefix, DUPLICATE_FOLDER_PROBLEM)
    if not small.is_tree:
        return _with_problem(prefix, SMALL_SYMLINK_PROBLEM if small.is_symlink else NOT_A_FOLDER_PROBLEM)
    return _build(objects.tree(small.oid), prefix, objects)


def _with_problem(prefix: str, problem: str) -> State:
    state = State.from_bytes({}, layout=[], prefix=prefix)
    for file_entry in state.files.values():
        file_entry.problem = problem
    return state


def _build(small: Tree, prefix: str, objects: ObjectReader) -> State:
    state = State.from_bytes({}, layout=[], prefix=prefix)
    children: dict[str, bool] = {}
    for entry in small.entries:
        children[entry.name] = children.get(entry.name, False) or entry.type != "blob"
    state.layout = [LayoutEntry(name, is_dir) for name, is_dir in sorted(children.items())]
    for kind in ALL_FILES:
        target: FileEntry = state.files[kind]
        name = filename(kind)
        found: Entry | None = small.get(name)
        if found is None:
            continue
        if name in small.duplicates:
            target.problem = DUPLICATE_PROBLEM
        elif found.is_symlink:
            target.problem = SYMLINK_PROBLEM
        elif found.type != "blob":
            target.problem = NOT_A_FILE_PROBLEM
        else:
            path = (*[part for part in prefix.split("/") if part], SMALL_DIR, name)
            lazy = objects.lazy_blob(found.oid, path) if kind == "progress" else None
            if lazy is not None:
                target.lazy_bytes(lazy)  # a long log: the gates read the parts they need
            else:
                target.raw = objects.require(found.oid, "blob")
            target.oid = found.oid
    return state


def changed_workspaces(objects: ObjectReader, old_root: str | None, new_root: str | None) -> list[str]:
    """The prefixes of the workspaces whose `.small` differs between two root trees (None: no tree).

    Only subtrees that differ are read, so the cost follows the change, not the size of the tree.
    """
    found: set[str] = set()
    _diff(objects, old_root, new_root, "", found)
    return sorted(found)


def _diff(objects: ObjectReader, old: str | None, new: str | None, prefix: str, found: set[str]) -> None:
    if old == new:
        return
    before = objects.tree(old) if old else _EMPTY
    after = objects.tree(new) if new else _EMPTY
    doubtful = before.duplicates | after.duplicates
    old_entries = {e.name: e for e in before.entries}
    new_entries = {e.name: e for e in after.entries}
    for name in old_entries.keys() | new_entries.keys():
        a, b = old_entries.get(name), new_entries.get(name)
        if name not in doubtful and a == b:
            continue
        if name == SMALL_DIR:
            found.add(prefix)
            continue
        if name in doubtful:
            # every copy is suspect: every workspace under any of them is judged
            for tree in (before, after):
                for entry in tree.entries:
                    if entry.name == name and entry.is_tree:
                        _diff(objects, None, entry.oid, f"{prefix}{name}/", found)
            continue
        _diff(
            objects,
            a.oid if a is not None and a.is_tree else None,
            b.oid if b is not None and b.is_tree else None,
            f"{prefix}{name}/",
            found,
        )


# --- in the index -------------------------------------------------------------------------------------------


def _from_index(prefix: str, repo: Path, objects: ObjectReader | None) -> State | None:
    small = prefix + SMALL_DIR
    entries = ls_index([small], repo)
    inside = [e for e in entries if e.path.startswith(small + "/")]
    itself = [e for e in entries if e.path == small]
    if itself:
        return _with_problem(prefix, SMALL_SYMLINK_PROBLEM if itself[0].is_symlink else NOT_A_FOLDER_PROBLEM)
    if not inside:
        return None
    if objects is None:
        with ObjectReader(repo) as reader:
            return _index_state(inside, small, prefix, reader)
    return _index_state(inside, small, prefix, objects)


def _index_state(inside: list[TreeEntry], small: str, prefix: str, objects: ObjectReader) -> State:
    state = State.from_bytes({}, layout=[], prefix=prefix)
    by_name: dict[str, TreeEntry] = {}
    children: dict[str, bool] = {}
    for tree_entry in inside:
        rest = tree_entry.path[len(small) + 1 :]
        child, _, deeper = rest.partition("/")
        children[child] = children.get(child, False) or bool(deeper) or tree_entry.type != "blob"
        if not deeper:
            by_name[child] = tree_entry
    state.layout = [LayoutEntry(name, is_dir) for name, is_dir in sorted(children.items())]
    for kind in ALL_FILES:
        found = by_name.get(filename(kind))
        target = state.files[kind]
        if found is None:
            if children.get(filename(kind)):
                target.problem = NOT_A_FILE_PROBLEM
            continue
        if found.is_symlink:
            target.problem = SYMLINK_PROBLEM
        elif found.type != "blob":
            target.problem = NOT_A_FILE_PROBLEM
        else:
            target.raw = objects.require(found.sha, "blob")
            target.oid = found.sha
    return state


def is_symlink_problem(entry: FileEntry) -> bool:
    return entry.problem in (SYMLINK_PROBLEM, SMALL_SYMLINK_PROBLEM)


def is_duplicate_problem(entry: FileEntry) -> bool:
    return entry.problem in (DUPLICATE_PROBLEM, DUPLICATE_FOLDER_PROBLEM)


def workspaces_in(rev: str, repo: Path) -> list[str]:
    """The prefixes of every workspace in commit `rev` (reads the whole tree listing; no file contents)."""
    names = run_git_bytes(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev], repo).split(b"\0")
    return workspace_prefixes(n.decode("utf-8", "surrogateescape") for n in names if b".small" in n)
