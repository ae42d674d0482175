"""The gates' facts cache (gates/facts.py) in a real repository: the commit hooks fill it inside the git directory,
and a cache that is damaged, truncated, about another blob or deleted never changes a verdict."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.repo import Repo, seeded_repo
from support.workspace import entry

from small_git.gates.facts import FACTS_DIR


def facts_files(repo: Repo) -> list[Path]:
    folder = Path(repo.git("rev-parse", "--git-path", FACTS_DIR).stdout.strip())
    folder = folder if folder.is_absolute() else repo.path / folder
    return sorted(folder.rglob("*.json"))


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:20])


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xff not json")


def other_blob(path: Path) -> None:
    siblings = [p for p in path.parent.parent.rglob("*.json") if p != path]
    if siblings:
        path.write_bytes(siblings[0].read_bytes())


def edited_facts(path: Path) -> None:
    try:
        stored = json.loads(path.read_bytes())
    except ValueError:
        return  # damaged by an earlier case and not needed since
    stored["facts"]["count"] = 0
    stored["facts"]["header_end"] = 5
    path.write_text(json.dumps(stored))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "a flipped bit": flip,
    "a truncated file": truncate,
    "garbage": garbage,
    "another blob's facts": other_blob,
    "facts edited without their checksum": edited_facts,
}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = seeded_repo(tmp_path_factory.mktemp("facts"))
    for second in (1, 2):
        repo.append_progress(entry("task-1", second))
        repo.commit(f"step {second}")
    return repo


def test_the_commit_hooks_keep_facts_in_the_git_directory(history: Repo) -> None:
    files = facts_files(history)
    assert files, "the pre-commit hook learnt the facts of the committed log"
    assert all(".git" in p.parts for p in files)
    assert not (history.path / ".small-cache").exists() or not list((history.path / ".small-cache").rglob("*.json"))


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_cache_changes_no_verdict(history: Repo, damage: str) -> None:
    for path in facts_files(history):
        DAMAGE[damage](path)
    history.append_progress(entry("task-1", 0))  # older than the last entry: refused
    refused = history.commit("out of order", check=False)
    assert refused.returncode != 0
    assert "progress-timestamp-order" in refused.stderr or "not later than" in refused.stderr
    history.git("checkout", "HEAD", "--", ".small/progress.small.yml")
    head = history.head()
    history.append_progress(entry("task-1", 30 + list(DAMAGE).index(damage)))
    history.commit(f"after {damage}")  # a good append is accepted whatever the cache holds
    assert history.head() != head
    audited = history.small("audit", f"{head}..HEAD")
    assert audited.returncode == 0, audited.stderr


def test_deleting_the_cache_is_safe(history: Repo) -> None:
    for path in facts_files(history):
        path.unlink()
    base = history.git("rev-list", "--max-parents=0", "HEAD").stdout.split()[0]
    assert history.small("audit", f"{base}..HEAD").returncode == 0
    history.append_progress(entry("task-1", 59))
    history.commit("after the cache was deleted")
    assert facts_files(history), "learnt again"


def test_a_bad_commit_in_a_range_is_refused_with_or_without_the_cache(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    base = repo.head()
    for second in (1, 2, 3):
        repo.append_progress(entry("task-1", second))
        repo.commit(f"step {second}")
    text = repo.read(".small/progress.small.yml")
    repo.write(".small/progress.small.yml", text.replace("step 2", "step two"))  # rewrites an old entry
    repo.append_progress(entry("task-1", 4))
    repo.commit("rewrite")
    first = repo.small("audit", f"{base}..HEAD")
    assert first.returncode == 1 and "progress-rewrite" in first.stdout + first.stderr
    again = repo.small("audit", f"{base}..HEAD")  # the facts of the first run are on disk now
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
