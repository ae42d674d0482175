"""Blobs read from git's packs as spans (small_git/git/packs.py): what the reader gives is what `git cat-file`
gives, a prefix it claims is a prefix, and a pack it does not understand (or a damaged one) gives None, never
other bytes. Real repositories, packed by git in the ways git packs: fast-import, repack with several depths,
gc --aggressive, a clone, a clone sharing its objects through alternates."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import git
from support.workspace import entry, progress_yaml

from small_git.git.objects import LAZY_BYTES, ObjectReader
from small_git.git.packs import Packs, object_folders

PATH = "log.txt"


def _history(repo: Path, versions: list[bytes]) -> list[str]:
    """A repository whose commit n holds version n of `PATH` (git fast-import: one pack, as it writes them).
    Returns each version's blob id."""
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    stream = bytearray()
    for number, data in enumerate(versions):
        stream += f"commit refs/heads/main\ncommitter A <a@example.com> {1_700_000_000 + number} +0000\n".encode()
        stream += b"data 1\nx\n"
        stream += f"M 100644 inline {PATH}\ndata {len(data)}\n".encode() + data + b"\n"
    git(repo, "fast-import", "--quiet", input=bytes(stream))
    revs = git(repo, "rev-list", "--reverse", "main").split()
    return git(repo, "rev-parse", *(f"{rev}:{PATH}" for rev in revs)).split()


def _packs(repo: Path) -> Packs:
    objects = Path(git(repo, "rev-parse", "--git-path", "objects").strip())
    return Packs.of(objects if objects.is_absolute() else repo / objects, None)


def _contents(repo: Path, oids: list[str]) -> dict[str, bytes]:
    """Each blob as `git cat-file --batch` gives it."""
    unique = list(dict.fromkeys(oids))
    out = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        input="".join(o + "\n" for o in unique).encode(),
        capture_output=True,
        check=True,
    ).stdout
    found: dict[str, bytes] = {}
    for oid in unique:
        header, out = out.split(b"\n", 1)
        size = int(header.split()[2])
        found[oid], out = out[:size], out[size + 1 :]
    return found


def _sound(packs: Packs, oids: list[str], truth: dict[str, bytes]) -> int:
    """Every answer agrees with git; returns how many consecutive appends were proven."""
    proven = 0
    for oid in dict.fromkeys(oids):
        data = packs.read(oid)
        assert data is None or data == truth[oid], oid
        if data is not None:
            size = len(data)
            for start, end in ((0, 1), (size // 3, size // 2), (size - 5, size + 9), (size, size)):
                part = packs.read(oid, max(0, start), end)
                assert part is None or part == truth[oid][max(0, start) : end]
    for old, new in zip(oids, oids[1:], strict=False):
        claimed = packs.extends(old, new)
        if claimed is not None:
            assert claimed == len(truth[old]) and truth[new].startswith(truth[old]) and truth[new] != truth[old]
            proven += 1
    return proven


def _appends(count: int, start: int = 0) -> list[bytes]:
    log = progress_yaml([entry("t1", n) for n in range(start, start + 200)])
    versions = []
    for number in range(count):
        log += progress_yaml([entry("t1", 300 + number)]).split("entries:\n", 1)[1]
        versions.append(log.encode())
    return versions


@pytest.fixture(scope="module")
def appended(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], dict[str, bytes]]:
    repo = tmp_path_factory.mktemp("packs") / "repo"
    oids = _history(repo, _appends(60))
    return repo, oids, _contents(repo, oids)


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.mark.parametrize(
    "layout",
    ["fast-import", "repack depth 1", "repack depth 5", "repack depth 50", "gc aggressive", "clone", "shared clone"],
)
def test_appends_are_read_as_git_reads_them_and_proven(
    appended: tuple[Path, list[str], dict[str, bytes]], tmp_path: Path, layout: str
) -> None:
    source, oids, truth = appended
    if layout in ("clone", "shared clone"):
        repo = tmp_path / "clone"
        git(tmp_path, "clone", "-q", "--no-local" if layout == "clone" else "--shared", str(source), str(repo))
    else:
        repo = _copy(source, tmp_path / "repo")
        if layout.startswith("repack"):
            git(repo, "repack", "-q", "-adf", f"--depth={layout.split()[-1]}", "--window=10")
        elif layout == "gc aggressive":
            git(repo, "gc", "-q", "--aggressive")
    packs = _packs(repo)
    assert packs
    proven = _sound(packs, oids, truth)
    # what makes the walk cheap: nearly every append is seen in the deltas (a chain git restarts is not)
    assert proven >= (len(oids) - 1) * 3 // 4, proven


def test_the_alternates_of_a_shared_clone_are_where_its_objects_are(tmp_path: Path) -> None:
    source = tmp_path / "source"
    oids = _history(source, [b"a\n", b"a\nb\n"])
    git(source, "repack", "-q", "-ad")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--shared", str(source), str(clone))
    folders = object_folders(clone / ".git" / "objects", None)
    assert (source / ".git" / "objects").resolve() in [f.resolve() for f in folders]
    assert _packs(clone).read(oids[1]) == b"a\nb\n"
    # and what git is told in the environment (a push's quarantine names the repository's objects so)
    alone = object_folders(tmp_path / "nowhere", str(source / ".git" / "objects"))
    assert Packs(alone).read(oids[0]) == b"a\n"


def test_loose_objects_are_left_to_cat_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(repo))
    oid = git(repo, "hash-object", "-w", "--stdin", input="loose\n").strip()
    assert _packs(repo).spans(oid) is None
    assert _packs(repo).read(oid) is None


@settings(
    max_examples=int(os.environ.get("SMALL_PACKS_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["append", "edit", "cut", "revert", "same"]), st.integers(0, 10**6)),
        min_size=2,
        max_size=14,
    ),
    depth=st.sampled_from([0, 1, 3, 50]),
    start=st.sampled_from([3000, 150_000]),  # past 64 KiB, git copies in runs of 64 KiB instructions
)
def test_no_claim_is_ever_false_on_random_histories(
    tmp_path_factory: pytest.TempPathFactory, steps, depth, start
) -> None:
    """Appends, edits in the middle, cuts, reverts to an older version: whatever git made of them, a claimed
    prefix is one and every read is git's bytes."""
    rng = random.Random(repr(steps))
    log = bytearray(rng.randbytes(start).hex().encode() + b"\n")
    versions = [bytes(log)]
    for kind, seed in steps:
        if kind == "append":
            log += rng.randbytes(seed % 700 + 1).hex().encode() + b"\n"
        elif kind == "edit" and log:
            log[seed % len(log)] = 0x41 + seed % 26
        elif kind == "cut" and len(log) > 2:
            del log[seed % (len(log) - 1) + 1 :]
        elif kind == "revert":
            log = bytearray(versions[seed % len(versions)])
        versions.append(bytes(log))
    repo = tmp_path_factory.mktemp("random") / "repo"
    oids = _history(repo, versions)
    if depth:
        git(repo, "repack", "-q", "-adf", f"--depth={depth}", "--window=20")
    _sound(_packs(repo), oids, _contents(repo, oids))


def test_a_damaged_pack_never_gives_other_bytes(
    appended: tuple[Path, list[str], dict[str, bytes]], tmp_path: Path
) -> None:
    source, oids, truth = appended
    repo = _copy(source, tmp_path / "repo")
    git(repo, "repack", "-q", "-adf", "--depth=50")
    (pack,) = (repo / ".git" / "objects" / "pack").glob("*.pack")
    pristine = pack.read_bytes()
    rng = random.Random(7)
    for _ in range(30):
        damaged = bytearray(pristine)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(12, len(damaged) - 20)] ^= 1 << rng.randrange(8)
        pack.chmod(0o644)
        pack.write_bytes(bytes(damaged))
        packs = _packs(repo)
        for oid in oids[::7]:
            data = packs.read(oid)
            assert data is None or data == truth[oid]
        for old, new in zip(oids[::5], oids[1::5], strict=False):
            size = packs.extends(old, new)
            assert size is None or truth[new].startswith(truth[old])
    pack.write_bytes(pristine[: len(pristine) // 2])  # cut short
    packs = _packs(repo)
    assert all(packs.read(oid) in (None, truth[oid]) for oid in oids)


def test_the_object_reader_reads_a_long_packed_log_lazily(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    versions = [b"x" * (LAZY_BYTES + 10) + b"\n", b"x" * (LAZY_BYTES + 10) + b"\nmore\n", b"short\n"]
    oids = _history(repo, versions)
    git(repo, "repack", "-q", "-ad")
    with ObjectReader(repo) as objects:
        long = objects.lazy_blob(oids[1])
        assert long is not None and long.size == len(versions[1])
        assert long.slice(len(versions[0]), len(versions[1])) == b"more\n"
        first = objects.lazy_blob(oids[0])
        assert first is not None and long.extends(first) == len(versions[0]) and first.extends(long) is None
        assert objects.lazy_blob(oids[2]) is None  # short: read whole
    assert long.read() == versions[1]  # after the reader closed too


def _unpack(repo: Path) -> None:
    """Every object loose, as `git commit` writes them: the packs taken out and unpacked."""
    objects = repo / ".git" / "objects"
    for pack in sorted((objects / "pack").glob("*.pack")):
        data = pack.read_bytes()
        for kept in pack.parent.glob(pack.stem + ".*"):
            kept.unlink()
        git(repo, "unpack-objects", "-q", input=data)


def test_a_loose_version_is_read_from_the_newest_only_when_it_is_its_start(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    head = b"x" * (LAZY_BYTES + 10) + b"\n"
    versions = [head, head + b"one\n", b"y" + head[1:] + b"one\n", head + b"one\ntwo\n", head + b"one\n"]
    oids = _history(repo, versions)
    _unpack(repo)
    commits = git(repo, "rev-list", "--reverse", "main").split()
    with ObjectReader(repo) as objects:
        assert objects.lazy_blob(oids[0], (PATH,)) is None  # no newest commit named: read whole
        objects.newest = commits[3]
        assert objects.lazy_blob(oids[1], ("other.txt",)) is None  # nothing at that path in the newest
        first, second = objects.lazy_blob(oids[0], (PATH,)), objects.lazy_blob(oids[1], (PATH,))
        assert first is not None and first.read() == versions[0] and first.size == len(versions[0])
        assert second is not None and second.extends(first) == len(versions[0]) and first.extends(second) is None
        assert second.slice(len(versions[0]), len(versions[1])) == b"one\n"
        assert objects.lazy_blob(oids[2], (PATH,)) is None  # its first byte differs from the newest's
        objects.newest = commits[1]
        assert objects.lazy_blob(oids[3], (PATH,)) is None  # longer than the newest
        assert objects.lazy_blob(oids[4], (PATH,)) is not None  # the same bytes as the newest


def _workspace_history(repo: Path, edits: dict[int, tuple[int, str]], commits: int = 12, loose: bool = False) -> str:
    """A workspace whose log is long enough to be read from its pack, then `commits` commits that each append
    an entry; commit n in `edits` also rewrites entry i's evidence to the given text. Repacked as a clone's
    would be, or every object loose. Returns the first commit."""
    from support.workspace import WORKSPACE_FILES

    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    items = [entry("task-1", n, evidence="x" * 80) for n in range(700)]
    stream = bytearray()
    for number in range(commits + 1):
        if number:
            items.append(entry("task-2", 700 + number))
        current = list(items)
        if number in edits:
            index, text = edits[number]
            current[index] = {**current[index], "evidence": text}
        files = {f".small/{kind}.small.yml": text for kind, text in WORKSPACE_FILES.items()}
        files[".small/progress.small.yml"] = progress_yaml(current)
        stream += f"commit refs/heads/main\ncommitter A <a@example.com> {1_700_000_000 + number} +0000\n".encode()
        stream += b"data 1\nx\n"
        for path, text in files.items():
            data = text.encode()
            stream += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
    git(repo, "fast-import", "--quiet", input=bytes(stream))
    if loose:
        _unpack(repo)
    else:
        git(repo, "repack", "-q", "-adf", "--depth=50")
    git(repo, "reset", "-q", "--hard", "main")
    assert (repo / ".small/progress.small.yml").stat().st_size > LAZY_BYTES
    return git(repo, "rev-list", "--max-parents=0", "main").strip()


@pytest.mark.parametrize("loose", [False, True], ids=["packed", "loose"])
def test_an_audit_over_a_long_log_passes_appends(tmp_path: Path, loose: bool) -> None:
    from support.cli import small

    repo = tmp_path / "repo"
    first = _workspace_history(repo, {}, loose=loose)
    result = small(repo, "audit", f"{first}..main", program="git-small")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("loose", [False, True], ids=["packed", "loose"])
def test_an_audit_over_a_long_log_sees_an_entry_rewritten_and_put_back(tmp_path: Path, loose: bool) -> None:
    """Commit 5 rewrites entry 3 and commit 6 puts it back: the tip's log begins with the base's, yet two
    commits changed history, and each is named."""
    from support.cli import small

    repo = tmp_path / "repo"
    first = _workspace_history(repo, {5: (3, "rewritten")}, loose=loose)
    result = small(repo, "audit", f"{first}..main", program="git-small")
    assert result.returncode == 1, result.stdout + result.stderr
    revs = git(repo, "rev-list", "--reverse", "main").split()
    for number in (5, 6):
        assert revs[number][:12] in result.stdout + result.stderr
    assert revs[4][:12] not in result.stdout + result.stderr
