"""Fill git's textconv cache for `.small/` in one process (`git small textconv-cache`).

With `diff.small.cachetextconv`, git keeps each blob's rendering as a note under `refs/notes/textconv/small`
(git's notes-cache: a notes commit whose subject is the driver's command, notes keyed by the blob's id). git
fills it itself, but by starting the driver once per blob; after a fetch of a long history the first
`git log -p` pays that many starts. This module writes the same cache for every `.small/` blob of a range from
one process, in the format git reads, so the first `git log -p` is as fast as the later ones. A cache whose
command differs from the configured driver is not git's (git would ignore it), so it is rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git import plumbing as git
from small_git.git.objects import ObjectReader
from small_git.protocol.artifacts import SMALL_DIR
from small_git.protocol.yamlsafe import DEFAULT_LIMITS
from small_git.report.textconv import render

CACHE_REF = "refs/notes/textconv/small"
_NOTE_MODE = "100644"


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
        for mode, oid in ((parts[0], parts[2]), (parts[1], parts[3])):
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


def fill(repo: Path, rev_args: Sequence[str]) -> tuple[int, int]:
    """(blobs rendered now, blobs already cached). Writes the notes commit and moves the ref once."""
    validity = driver_command(repo)
    notes = _existing_notes(repo, validity)
    wanted = {oid: path for oid, path in small_blobs(repo, rev_args).items() if oid not in notes}
    if not wanted:
        return 0, len(notes)
    renderings: list[tuple[str, bytes]] = []
    with ObjectReader(repo) as objects:
        for oid, path in wanted.items():
            found = objects.read(oid)
            if found is None or found[0] != "blob":
                continue
            raw = found[1]
            renderings.append((oid, raw if len(raw) > DEFAULT_LIMITS.max_bytes else render(raw, path)))
    written = _write_blobs(repo, [text for _, text in renderings])
    for (oid, _), note in zip(renderings, written, strict=True):
        notes[oid] = note
    listing = "".join(f"{_NOTE_MODE} blob {note}\t{oid}\n" for oid, note in sorted(notes.items()))
    tree = git.run_git(["mktree"], repo, input=listing.encode()).strip()
    commit = git.run_git(["commit-tree", tree, "-m", validity], repo, env=_identity_env()).strip()
    git.run_git(["update-ref", "-m", "small-git: textconv cache", CACHE_REF, commit], repo)
    return len(renderings), len(notes) - len(renderings)


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
