"""Named git operations the gates use, each one call through the funnel (`small_git.git.runner`).

Nothing here reads the work tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from small_git.git import runner
from small_git.git.evidence import SHORT_SHA_LENGTH
from small_git.git.objects import GITLINK_MODE, SYMLINK_MODE, Commit

ZERO_SHA_CHARS = "0"


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    type: str  # blob, tree or commit
    sha: str
    path: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE


@dataclass
class CommitMeta:
    sha: str | None
    parents: list[str]
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    message: str
    signature: str | None = None  # git's %G? letter, when known


def short_sha(sha: str) -> str:
    return sha[:SHORT_SHA_LENGTH]


def is_zero_sha(sha: str) -> bool:
    return bool(sha) and set(sha) == {ZERO_SHA_CHARS}


def run_git_bytes(
    args: Sequence[str],
    cwd: Path | str | None = None,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """stdout of `git <args>` as bytes. Raises runner.GitError when git fails and `check` is set."""
    return runner.run(args, cwd, input=input, check=check, env=env).stdout


def run_git(
    args: Sequence[str],
    cwd: Path | str | None = None,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> str:
    """stdout of `git <args>` decoded as UTF-8 (invalid bytes replaced)."""
    return run_git_bytes(args, cwd, input, check, env).decode("utf-8", "replace")


def git_succeeds(args: Sequence[str], cwd: Path | str | None = None) -> bool:
    return runner.run(args, cwd, check=False).ok


def is_ignored(path: str, cwd: Path | str) -> bool:
    """Whether git's ignore rules cover `path` (a name; the file need not exist)."""
    # check-ignore refuses literal pathspecs outright (exit 128), so this one call runs without the gate settings.
    return runner.run(["check-ignore", "-q", "--no-index", "--", path], cwd, check=False, gate=False).ok


def rev_parse(rev: str, cwd: Path | str | None = None) -> str | None:
    """The full object id `rev` names, or None when it names nothing."""
    proc = runner.run(["rev-parse", "-q", "--verify", "--end-of-options", rev], cwd, check=False)
    return (proc.text.strip() or None) if proc.ok else None


def head_sha(cwd: Path | str | None = None) -> str | None:
    return rev_parse("HEAD^{commit}", cwd)


def object_type(name: str, cwd: Path | str | None = None) -> str | None:
    """The type of the object `name` names (commit, tag, tree, blob), or None when this repository lacks it."""
    proc = runner.run(["cat-file", "-t", name], cwd, check=False)
    return (proc.text.strip() or None) if proc.ok else None


def is_ancestor(ancestor: str, descendant: str, cwd: Path | str | None = None) -> bool:
    return git_succeeds(["merge-base", "--is-ancestor", ancestor, descendant], cwd)


def merge_bases(commits: Sequence[str], cwd: Path | str | None = None) -> list[str]:
    """Every merge base of each pair of `commits` (a merge's parents); empty for unrelated histories."""
    found: dict[str, None] = {}
    for index, first in enumerate(commits):
        for second in commits[index + 1 :]:
            out = run_git(["merge-base", "--all", first, second], cwd, check=False)
            found.update(dict.fromkeys(out.split()))
    return list(found)


def git_path(name: str, cwd: Path | str) -> Path:
    """`git rev-parse --git-path <name>`, absolute: honours core.hooksPath, worktrees and GIT_DIR."""
    raw = run_git(["rev-parse", "--git-path", name], cwd).strip()
    path = Path(raw)
    return path if path.is_absolute() else (Path(cwd) / path).absolute()


def top_level(cwd: Path | str) -> Path | None:
    """The work tree's top folder, or None in a bare repository."""
    proc = runner.run(["rev-parse", "--show-toplevel"], cwd, check=False)
    out = proc.text.strip()
    return Path(out) if proc.ok and out else None


def is_bare(cwd: Path | str) -> bool:
    return run_git(["rev-parse", "--is-bare-repository"], cwd).strip() == "true"


def is_shallow(cwd: Path | str) -> bool:
    return run_git(["rev-parse", "--is-shallow-repository"], cwd, check=False).strip() == "true"


def empty_tree(cwd: Path | str) -> str:
    """The empty tree's id in this repository's hash (SHA-1 or SHA-256)."""
    return run_git(["hash-object", "-t", "tree", "--stdin"], cwd, input=b"").strip()


def _split_z(raw: bytes) -> list[str]:
    return [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0") if part]


def ls_index(paths: Iterable[str] = (), cwd: Path | str | None = None) -> list[TreeEntry]:
    """Stage-0 entries of the index (`GIT_INDEX_FILE` honoured). Unmerged entries are left out."""
    entries = []
    for record in _split_z(run_git_bytes(["ls-files", "-s", "-z", "--full-name", "--", *paths], cwd)):
        meta, _, path = record.partition("\t")
        mode, sha, stage = meta.split(" ")
        if stage == "0":
            entries.append(TreeEntry(mode, "commit" if mode == GITLINK_MODE else "blob", sha, path))
    return entries


def changed_paths(old: str | None, new: str | None, cwd: Path | str | None = None) -> list[str]:
    """Paths that differ between two trees; `new=None` means the index, `old=None` the empty tree.

    Renames are not detected, so a moved file shows as both its old and its new path.
    """
    base = old if old is not None else empty_tree(cwd or ".")
    if new is None:
        args = ["diff-index", "--cached", "--name-only", "-z", "--no-renames", base, "--"]
    else:
        args = ["diff-tree", "-r", "--name-only", "-z", "--no-renames", base, new, "--"]
    return _split_z(run_git_bytes(args, cwd))


_META_FIELDS = ["%H", "%P", "%an", "%ae", "%cn", "%ce"]


def commit_meta(rev: str, cwd: Path | str | None = None, with_signature: bool = False) -> CommitMeta:
    """Author, committer, parents, message and (when asked: it runs gpg/ssh) the %G? signature letter."""
    fields = _META_FIELDS + (["%G?"] if with_signature else []) + ["%B"]
    fmt = "--format=" + "%x00".join(fields)
    raw = run_git_bytes(["log", "-1", "--no-show-signature", fmt, rev, "--"], cwd)
    parts = raw.decode("utf-8", "replace").split("\0")
    sha, parents, an, ae, cn, ce = parts[:6]
    signature = parts[6] if with_signature else None
    message = parts[-1]
    return CommitMeta(
        sha=sha,
        parents=parents.split(),
        author_name=an,
        author_email=ae,
        committer_name=cn,
        committer_email=ce,
        message=message,
        signature=signature,
    )


def meta_of(commit: Commit) -> CommitMeta:
    """The metadata of a commit read as an object (no signature letter: that needs `git log %G?`)."""
    return CommitMeta(
        sha=commit.oid,
        parents=list(commit.parents),
        author_name=commit.author[0],
        author_email=commit.author[1],
        committer_name=commit.committer[0],
        committer_email=commit.committer[1],
        message=commit.message,
    )


def identity(var: str, cwd: Path | str | None = None) -> tuple[str, str]:
    """(name, email) of `git var GIT_AUTHOR_IDENT` / `GIT_COMMITTER_IDENT`: who the next commit will name."""
    raw = run_git(["var", var], cwd, check=False).strip()
    name, _, rest = raw.partition(" <")
    email = rest.split(">", 1)[0]
    return name, email


def pending_meta(cwd: Path | str | None = None, parents: Sequence[str] = (), message: str = "") -> CommitMeta:
    """The metadata of the commit being made (pre-commit, commit-msg): no sha, no signature yet."""
    an, ae = identity("GIT_AUTHOR_IDENT", cwd)
    cn, ce = identity("GIT_COMMITTER_IDENT", cwd)
    return CommitMeta(
        sha=None,
        parents=list(parents),
        author_name=an,
        author_email=ae,
        committer_name=cn,
        committer_email=ce,
        message=message,
        signature=None,
    )


def rev_list(args: Sequence[str], cwd: Path | str | None = None) -> list[tuple[str, list[str]]]:
    """`git rev-list --parents <args>` as (commit, parents), oldest first in topological order."""
    out = run_git(["rev-list", "--topo-order", "--reverse", "--parents", *args], cwd)
    result = []
    for line in out.splitlines():
        shas = line.split()
        if shas:
            result.append((shas[0], shas[1:]))
    return result
