"""Scratch git repositories: real git in the test's environment (tests/conftest.py), small-git in-process.

`Repo.create()` makes one; `seed()` commits the valid workspace of `WORKSPACE_FILES` into it (and installs the
hooks); `seeded_repo()` and `plain_workspace()` are the two starting points most tests need. The `repo` and
`signed_repo` fixtures in tests/conftest.py are built from these.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from .cli import Result, installed_small, run, small
from .env import HUMAN
from .prebuilt import copy_into
from .workspace import FIRST_ENTRY, WORKSPACE_FILES, entry_yaml, progress_yaml


class Repo:
    """A folder (usually a git repository) and what tests do in it. `repo / "x"` is a path inside it; `env`
    holds variables added for everything run in it (a fixed commit date, say)."""

    def __init__(self, path: Path, env: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.env: dict[str, str] = dict(env or {})

    @classmethod
    def create(cls, parent: Path, name: str = "repo", bare: bool = False) -> Repo:
        repo = cls(parent / name)
        repo.path.mkdir(parents=True)
        repo.git("init", "-q", "-b", "main", *(["--bare"] if bare else []))
        return repo

    def __fspath__(self) -> str:
        return str(self.path)

    def __truediv__(self, relative: str) -> Path:
        return self.path / relative

    def __repr__(self) -> str:
        return f"Repo({self.path})"

    # --- running things in it ---

    def run(
        self,
        *argv: str | os.PathLike[str],
        input: str | None = None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> Result:
        return run(self.path, *argv, input=input, check=check, env={**self.env, **(env or {})})

    def git(
        self,
        *args: str | os.PathLike[str],
        check: bool = True,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Result:
        return self.run("git", *args, check=check, input=input, env=env)

    def small(
        self, *args: str, check: bool = False, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> Result:
        """`git small <args>` here, in-process."""
        return small(self.path, *args, program="git-small", check=check, input=input, env={**self.env, **(env or {})})

    def installed_small(
        self, *args: str, check: bool = False, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> Result:
        """`git small <args>` here, through the installed console script."""
        return installed_small(
            self.path, *args, program="git-small", check=check, input=input, env={**self.env, **(env or {})}
        )

    def install(self) -> Result:
        return self.small("install", check=True)

    # --- files and commits ---

    def write(self, relative: str, text: str) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def read(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")

    def write_workspace(self, prefix: str = "", entries: Sequence[Mapping[str, Any]] | None = None) -> None:
        for kind, text in WORKSPACE_FILES.items():
            self.write(f"{prefix}.small/{kind}.small.yml", text)
        self.write_progress(entries if entries is not None else [FIRST_ENTRY], prefix)

    def write_progress(self, entries: Sequence[Mapping[str, Any]], prefix: str = "") -> None:
        self.write(f"{prefix}.small/progress.small.yml", progress_yaml(entries))

    def append_progress(self, new: Mapping[str, Any], prefix: str = "") -> None:
        path = self.path / f"{prefix}.small/progress.small.yml"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(entry_yaml(new))

    def commit(
        self, message: str, *args: str, check: bool = True, add_all: bool = True, env: Mapping[str, str] | None = None
    ) -> Result:
        if add_all:
            self.git("add", "-A")
        return self.git("commit", "-q", "-m", message, *args, check=check, env=env)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()


def seed(repo: Repo, install: bool = True) -> Repo:
    """Commit a valid workspace with one progress entry (and a source file) into `repo`; install the hooks."""
    repo.write("src/app.py", "print('hi')\n")
    repo.write_workspace()
    repo.commit("seed")
    if install:
        repo.install()
    return repo


def seeded_repo(parent: Path, install: bool = True, name: str = "repo") -> Repo:
    """A new repository `parent / name` whose first commit holds a valid workspace with one progress entry:
    a copy of one seeded once per run (support.prebuilt)."""
    kind = "installed" if install else "not-installed"
    copy_into(f"seeded-{kind}-{name}", lambda folder: _seed_new(folder, name, install), parent)
    return Repo(parent / name)


def _seed_new(parent: Path, name: str, install: bool) -> None:
    seed(Repo.create(parent, name), install)


def prebuilt_repo(key: str, build: Callable[[Path], object], parent: Path, name: str = "repo") -> Repo:
    """The repository `parent / name` of a copy of what `build(folder)` made (once per run, under `key`; see
    support.prebuilt). `build` makes the repository as `folder / name`, and may make others beside it."""

    def made(folder: Path) -> None:
        build(folder)

    copy_into(key, made, parent)
    return Repo(parent / name)


def init_workspace(root: Path, *extra: str) -> Path:
    """`small init --dir root <extra>`: a fresh workspace as users get one; returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    small(root, "init", "--dir", str(root), *extra, check=True)
    return root


def plain_workspace(parent: Path) -> Repo:
    """A valid workspace in a folder that is not a git repository."""
    repo = Repo(parent / "ws")
    repo.path.mkdir()
    repo.write_workspace()
    return repo


# --- SSH commit signing ----------------------------------------------------------------------------------


class SignedRepo(NamedTuple):
    """A repository at authority level `signed`: the human's key is an allowed signer, the other key is not."""

    repo: Path
    human_key: Path
    other_key: Path


def ssh_keys(folder: Path, *names: str) -> dict[str, Path]:
    """A new ed25519 key pair per name in `folder` (`<name>` and `<name>.pub`): name -> private key. Skips the
    test where ssh-keygen is missing."""
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed: SSH commit signing cannot be exercised")
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        run(folder, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", folder / name, check=True)
    return {name: folder / name for name in names}


def configure_signing(repo: str | os.PathLike[str], keys: Path) -> SignedRepo:
    """Make two SSH keys under `keys`, allow the human's, and set `repo` to level signed."""
    path = Path(os.fspath(repo))
    ssh_keys(keys, "human", "other")
    allowed = keys / "allowed_signers"
    allowed.write_text(f"{HUMAN.email} {(keys / 'human.pub').read_text()}")
    for key, value in (("gpg.format", "ssh"), ("small.humanLevel", "signed"), ("small.allowedSignersFile", allowed)):
        run(path, "git", "config", key, value, check=True)
    return SignedRepo(path, keys / "human", keys / "other")
