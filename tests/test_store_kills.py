"""Kill every writer at every write it makes: no complete entry is ever lost, and `fix` recovers every state.

Each writing command runs in a forked child that sends itself SIGKILL at its k-th write-like system call
(`write`, `fsync`, `replace`, `rename`, `unlink`, `ftruncate`), for every k the command makes, and once more
halfway through each `write` (half the bytes reach the file, then the kill). After each kill:
- the entries the log held before are still its first entries, unchanged (by value and type);
- every file small-git writes whole is either its old bytes or a whole new file (the shape the uninterrupted
  run writes: a handoff's instants and a run's id differ from run to run), never a mix;
- `small fix` brings the workspace back to one `check` accepts, keeping every complete entry, and no temporary
  file is left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import small
from support.repo import init_workspace
from support.workspace import check_exit

from small_git.protocol.yamlsafe import load_yaml
from small_git.store.atomic import is_temp_file

WRITE_CALLS = ("write", "fsync", "replace", "rename", "unlink", "ftruncate")
WHOLE_FILES = ("intent", "constraints", "plan", "handoff", "workspace")
KILLED = -signal.SIGKILL

# (name, arguments, how to prepare the workspace); every command runs with --dir
WRITERS: list[tuple[str, list[str]]] = [
    ("progress add", ["progress", "add", "--task", "task-1", "--status", "in_progress", "--evidence", "e"]),
    ("checkpoint", ["checkpoint", "--task", "task-1", "--status", "completed", "--notes", "done"]),
    ("plan --add", ["plan", "--add", "Write the printer"]),
    ("handoff", ["handoff"]),
    ("reset", ["reset", "--yes"]),
    ("apply", ["apply", "--task", "task-1", "--cmd", "true"]),
]


def _count_or_kill(target: int, half: bool, counter: list[int]) -> None:
    """Patch os's write-like calls in this (child) process: count them, and die at call number `target`."""

    def guard(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            counter[0] += 1
            if counter[0] == target:
                if name == "write" and half and len(args[1]) > 1:
                    data = bytes(args[1])
                    real(args[0], data[: len(data) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        return wrapped

    for name in WRITE_CALLS:
        setattr(os, name, guard(name, getattr(os, name)))


def run_killed(root: Path, argv: list[str], target: int, half: bool = False) -> tuple[int, int]:
    """Run `small <argv> --dir root` in a forked child killed at its `target`-th write (0: never).
    Returns (exit status, negative for a signal; write-like calls made)."""
    import small_git.cli.app  # imported before the fork, so the child starts at once

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 70
        counter = [0]
        try:
            os.close(read)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - the child ends with it open
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            real_write = os.write
            _count_or_kill(target, half, counter)
            try:
                small_git.cli.main([*argv, "--dir", str(root)])
            finally:
                real_write(write, str(counter[0]).encode())
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 70
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        calls = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else -os.WTERMSIG(wait_status)
    return code, int(calls or 0)


def entries(root: Path) -> list[Any] | None:
    """The log's entries, or None when it does not parse (a torn tail, for fix to drop)."""
    raw = (root / ".small/progress.small.yml").read_bytes()
    try:
        data = load_yaml(raw, "progress").data
    except Exception:
        return None
    found = data.get("entries") if isinstance(data, dict) else None
    return list(found) if isinstance(found, list) else None


def typed(value: Any) -> Any:
    """A value with every scalar's type beside it, so 1, 1.0 and True never compare equal."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def shape(raw: bytes) -> Any:
    """A document's structure: its keys and the types of its values (a handoff or a run id differs from run to
    run, so a rewritten file is judged whole by its shape, not its bytes); None when it does not parse."""

    def of(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: of(v) for k, v in value.items()}
        if isinstance(value, list):
            return [of(v) for v in value]
        return type(value).__name__

    try:
        return of(load_yaml(raw, "file").data)
    except Exception:
        return None


def whole_files(root: Path) -> dict[str, bytes]:
    return {kind: (root / f".small/{kind}.small.yml").read_bytes() for kind in WHOLE_FILES}


def temp_files(root: Path) -> list[str]:
    return [p.name for p in (root / ".small").iterdir() if is_temp_file(p.name)]


@contextlib.contextmanager
def copy_of(template: Path, where: Path) -> Iterator[Path]:
    shutil.copytree(template, where, symlinks=True)
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_workspace(tmp_path_factory.mktemp("kills") / "ws")
    small(root, "plan", "--add", "Write the parser", "--dir", str(root), check=True)
    for n in range(3):
        small(root, "progress", "add", "--task", "task-1", "--status", "in_progress", "--evidence", f"step {n}",
              "--dir", str(root), check=True)  # fmt: skip
    assert check_exit(root) == 0
    return root


@pytest.mark.parametrize(("name", "argv"), WRITERS, ids=[w[0] for w in WRITERS])
def test_a_writer_killed_at_any_write_loses_nothing_and_fix_recovers(
    template: Path, tmp_path: Path, name: str, argv: list[str]
) -> None:
    before_entries = entries(template)
    assert before_entries is not None
    before_files = whole_files(template)
    with copy_of(template, tmp_path / "probe") as probe:
        code, calls = run_killed(probe, argv, 0)
        assert code == 0, f"{name} failed without a kill"
        after_files = whole_files(probe)
        added = len(entries(probe) or []) - len(before_entries)
    assert calls > 0, f"{name} made no write-like call: the probe would prove nothing"
    problems = []
    for target in range(1, calls + 1):
        for half in (False, True):
            with copy_of(template, tmp_path / f"k{target}-{int(half)}") as root:
                code, _ = run_killed(root, argv, target, half)
                if code != KILLED:
                    continue  # the call was not a write of this run (the half variant of a non-write)
                where = f"{name}, killed at write-like call {target}{' (half written)' if half else ''}"
                now = entries(root)
                if now is not None and typed(now[: len(before_entries)]) != typed(before_entries):
                    problems.append(f"{where}: an earlier entry changed or went missing")
                for kind, data in whole_files(root).items():
                    if data != before_files[kind] and shape(data) != shape(after_files[kind]):
                        problems.append(f"{where}: {kind}.small.yml is neither its old bytes nor a whole new file")
                fixed = small(root, "fix", "--dir", str(root))
                if fixed.returncode not in (0, 1) or check_exit(root) != 0:
                    problems.append(f"{where}: fix did not recover it:\n{fixed.stdout}{fixed.stderr}")
                    continue
                recovered = entries(root)
                if recovered is None or typed(recovered[: len(before_entries)]) != typed(before_entries):
                    problems.append(f"{where}: fix lost an earlier entry")
                elif not len(before_entries) <= len(recovered) <= len(before_entries) + added + 1:
                    problems.append(f"{where}: fix left {len(recovered)} entries (before {len(before_entries)})")
                if temp_files(root):
                    problems.append(f"{where}: fix left temporary files {temp_files(root)}")
    assert not problems, "\n".join(problems)


def test_an_init_killed_at_any_write_is_completed_by_fix(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.mkdir()
    code, calls = run_killed(probe, ["init", "--intent", "Ship the importer"], 0)
    assert code == 0 and calls > 0
    problems = []
    for target in range(1, calls + 1):
        root = tmp_path / f"k{target}"
        root.mkdir()
        code, _ = run_killed(root, ["init", "--intent", "Ship the importer"], target)
        assert code == KILLED
        if not (root / ".small").exists():
            continue  # killed before anything was written: nothing to recover
        fixed = small(root, "fix", "--dir", str(root))
        if check_exit(root, strict=True) != 0 and "init --force" not in fixed.stdout + fixed.stderr:
            problems.append(f"killed at call {target}: fix neither completed init nor named init --force")
        elif temp_files(root):
            problems.append(f"killed at call {target}: temporary files left {temp_files(root)}")
        shutil.rmtree(root)
    assert not problems, "\n".join(problems)
