"""Fill git's textconv cache for `.small/` in one process (`git small textconv-cache`).

With `diff.small.cachetextconv`, git keeps each blob's rendering as a note under `refs/notes/textconv/small`
(git's notes-cache: a notes commit whose subject is the driver's command, notes keyed by the blob's id). git
fills it itself, but by starting the driver once per blob; after a fetch of a long history the first
`git log -p` pays that many starts. This module writes the same cache for every `.small/` blob of a range from
one process, in the format git reads, so the first `git log -p` is as fast as the later ones. A cache whose
command differs from the configured driver is not git's (git would ignore it), so it is rebuilt.

`git small install` fills it for the existing history, and the post-commit, post-merge, post-checkout and
post-rewrite hooks for the commits each brings, so the cache stays filled in the normal flow. Those fills are
bounded (`AUTOMATIC_BUDGET` bytes of YAML, newest first) and turned off by `git config small.textconvCache
false`; `git small textconv-cache` has no bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git import plumbing as git
from small_git.git.objects import ObjectReader
from small_git.protocol.artifacts import SMALL_DIR
from small_git.report.textconv import render
from small_git.store.atomic import write_cache_file
from small_git.store.limits import configured_limits

CACHE_REF = "refs/notes/textconv/small"
_NOTE_MODE = "100644"
SWITCH = "small.textconvCache"  # false: install and the hooks leave the cache to git
# What install and a hook render at most: 32 MiB of `.small/` YAML (a few seconds), the newest blobs first.
# A progress log grows with every commit, so rendering every version of a long history is quadratic in it.
AUTOMATIC_BUDGET = 32 * 1024 * 1024


@dataclass(frozen=True)
class Filled:
    rendered: int  # blobs rendered now
    cached: int  # blobs the cache already held
    left_out: int = 0  # blobs not rendered: the budget ran out (the oldest ones; git renders them when shown)


def automatic(repo: Path) -> bool:
    """Whether install and the hooks fill the cache here: the diff driver is configured, git caches its
    renderings (`diff.small.cachetextconv`), and `small.textconvCache` is not false."""
    if not git.run_git(["config", "--get", "diff.small.textconv"], repo, check=False).strip():
        return False
    return _setting(repo, "diff.small.cachetextconv", False) and _setting(repo, SWITCH, True)


def _setting(repo: Path, key: str, default: bool) -> bool:
    """A boolean as git reads it (an unreadable value counts as the default)."""
    value = git.run_git(["config", "--type=bool", "--get", key], repo, check=False).strip()
    return {"true": True, "false": False}.get(value, default)


def driver_command(repo: Path) -> str:
    command = git.run_git(["config", "--get", "diff.small.textconv"], repo, check=False).strip()
    if not command:
        raise SmallError(
            "the diff driver is not configured in this repository (diff.small.textconv)",
            exit_code=EXIT_USAGE,
            hint="run: git small install",
        )
    return command


def small_blobs(repo: Path, rev_args: Sequence[str]) -> dict[str, str]:
    """blob id -> file name, for every version of a `.small/*.small.yml` file the commits of the range
    show (both sides of each change, so `git log -p` finds every rendering it needs)."""
    out = git.run_git_bytes(
        ["log", "--raw", "--no-abbrev", "-m", "-z", "--no-renames", "--format=", *rev_args, "--"], repo
    )
    return _raw_blobs(out)


def staged_blobs(repo: Path, parent: str) -> dict[str, str]:
    """blob id -> file name, both sides of each `.small/*.small.yml` change between `parent` and the index:
    what the commit being made will show."""
    return _raw_blobs(git.run_git_bytes(["diff-index", "--cached", "--raw", "--no-abbrev", "-z", parent, "--"], repo))


def _raw_blobs(out: bytes) -> dict[str, str]:
    """The `.small/` blobs of git's `--raw -z` output (`:mode mode oid oid status NUL path NUL`)."""
    blobs: dict[str, str] = {}
    fields = out.split(b"\0")
    index = 0
    while index < len(fields) - 1:
        meta = fields[index].decode("ascii", "replace").lstrip("\n")
        if not meta.startswith(":"):
            index += 1
            continue
        path = fields[index + 1].decode("utf-8", "surrogateescape")
        index += 2
        parts = meta[1:].split(" ")
        if len(parts) < 5 or f"{SMALL_DIR}/" not in f"/{path}" or not path.endswith(".small.yml"):
            continue
        for mode, oid in ((parts[1], parts[3]), (parts[0], parts[2])):  # newest first: a bounded fill's order
            if mode.startswith("100") and not git.is_zero_sha(oid):
                blobs[oid] = path
    return blobs


def _existing_notes(repo: Path, validity: str) -> dict[str, str]:
    """annotated blob -> note blob of the current cache, when it is git's cache for this driver."""
    commit = git.rev_parse(f"{CACHE_REF}^{{commit}}", repo)
    if commit is None:
        return {}
    subject = git.run_git(["log", "-1", "--format=%s", commit], repo).strip()
    if subject != validity:
        return {}
    notes = {}
    for line in git.run_git(["ls-tree", "-r", commit], repo).splitlines():
        meta, _, path = line.partition("\t")
        notes[path.replace("/", "")] = meta.split(" ")[2]
    return notes


def fill(repo: Path, rev_args: Sequence[str], budget: int | None = None) -> Filled:
    """Render the range's `.small/` blobs that the cache lacks, newest first, and at most `budget` bytes of
    them (None: all). Writes the notes commit and moves the ref once."""
    return fill_blobs(repo, small_blobs(repo, rev_args), budget)


def fill_blobs(repo: Path, blobs: dict[str, str], budget: int | None = None) -> Filled:
    """`fill` for the blobs given (blob id -> file name, newest first)."""
    validity = driver_command(repo)
    notes = _existing_notes(repo, validity)
    wanted = {oid: path for oid, path in blobs.items() if oid not in notes}
    if not wanted:
        return Filled(0, len(notes))
    max_bytes = configured_limits().max_bytes
    renderings: list[tuple[str, bytes]] = []
    spent = left_out = 0
    with ObjectReader(repo) as objects:
        for number, (oid, path) in enumerate(wanted.items()):
            found = objects.read(oid)
            if found is None or found[0] != "blob":
                continue
            raw = found[1]
            if budget is not None and spent + len(raw) > budget:
                left_out = len(wanted) - number
                break
            spent += len(raw)
            renderings.append((oid, raw if len(raw) > max_bytes else render(raw, path)))
    if renderings:
        written = _write_blobs(repo, [text for _, text in renderings])
        for (oid, _), note in zip(renderings, written, strict=True):
            notes[oid] = note
        listing = "".join(f"{_NOTE_MODE} blob {note}\t{oid}\n" for oid, note in sorted(notes.items()))
        tree = git.run_git(["mktree"], repo, input=listing.encode()).strip()
        commit = git.run_git(["commit-tree", tree, "-m", validity], repo, env=_identity_env()).strip()
        git.run_git(["update-ref", "-m", "small-git: textconv cache", CACHE_REF, commit], repo)
    return Filled(len(renderings), len(notes) - len(renderings), left_out)


# What commit-msg leaves for the post-commit shim (hooks/shim.sh) when it has rendered the commit being made:
# the parent, then the `.small/*.small.yml` lines of `git diff-tree --raw` from it. When they are this commit's
# own, the shim starts nothing; anything else (a merge, a root commit, `--no-verify`, a stale mark) renders as
# before.
READY_MARK = "small-git/textconv-ready"


def render_ahead(repo: Path, parent: str) -> bool:
    """In commit-msg, the last hook before git writes the commit: render what the commit changes under
    `.small/` into the cache now, in this process, and leave `READY_MARK`, so that post-commit does not start
    Python again for it. False when nothing was left (the cache is off here, or the budget ran out)."""
    if not automatic(repo):
        return False
    raw = git.run_git_bytes(["diff-index", "--cached", "--raw", "--no-abbrev", parent, "--"], repo)
    lines = []
    for line in raw.decode("utf-8", "surrogateescape").splitlines():
        path = line.partition("\t")[2]
        if path.startswith('"'):
            return False  # git quoted the name: the shim's comparison is not worth reproducing for it
        parts = path.split("/")
        if len(parts) >= 2 and parts[-2] == SMALL_DIR and parts[-1].endswith(".small.yml"):
            lines.append(line)
    if fill_blobs(repo, staged_blobs(repo, parent), AUTOMATIC_BUDGET).left_out:
        return False
    mark = "".join(f"{line}\n" for line in [parent, *lines])
    return write_cache_file(git.git_path(READY_MARK, repo), mark.encode("utf-8", "surrogateescape"))


def refresh(repo: Path, rev_args: Sequence[str]) -> Filled | None:
    """The automatic fill of install and the hooks: bounded by `AUTOMATIC_BUDGET`; None when it is off here."""
    if not automatic(repo):
        return None
    return fill(repo, rev_args, AUTOMATIC_BUDGET)


def left_out_note(filled: Filled) -> str | None:
    if not filled.left_out:
        return None
    return (
        f"small-git: textconv cache: {filled.left_out} older .small/ versions left out "
        f"(over {AUTOMATIC_BUDGET // (1024 * 1024)} MiB); git small textconv-cache renders them"
    )


def _write_blobs(repo: Path, contents: Sequence[bytes]) -> list[str]:
    """Write every content as a blob through one `git fast-import`, and return their ids in order."""
    if not contents:
        return []
    stream = b"".join(
        b"blob\nmark :%d\ndata %d\n" % (number, len(data)) + data + b"\n"
        for number, data in enumerate(contents, start=1)
    )
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="small-git-marks-") as marks:
        git.run_git_bytes(["fast-import", "--quiet", f"--export-marks={marks.name}"], repo, input=stream)
        ids = {}
        for line in Path(marks.name).read_text().splitlines():
            mark, _, oid = line.partition(" ")
            ids[int(mark[1:])] = oid
    return [ids[number] for number in range(1, len(contents) + 1)]


def _identity_env() -> dict[str, str]:
    """The cache commit's identity is fixed: it is a cache, not anyone's work (and needs no user.name)."""
    import os

    env = dict(os.environ)
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "small-git"
        env[f"GIT_{role}_EMAIL"] = "small-git@localhost"
    return env
