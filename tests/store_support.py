"""Shared helpers for the store and state-command tests (no tests here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = Path("/work/shared/conformance")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for subprocesses: no GIT_* from the caller, a private HOME, no system git config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and not k.startswith("SMALL_")}
    env.update(
        {
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test Human",
            "GIT_AUTHOR_EMAIL": "human@example.com",
            "GIT_COMMITTER_NAME": "Test Human",
            "GIT_COMMITTER_EMAIL": "human@example.com",
            "PYTHONPATH": str(REPO),
        }
    )
    env.update(extra)
    return env


def small(
    root: Path, *args: str, env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI (`python -m small_git`) in root."""
    home = root.parent / "home"
    home.mkdir(exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "small_git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env or clean_env(home),
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"small {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def git(root: Path, *args: str) -> str:
    home = root.parent / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, env=clean_env(home)
    ).stdout


def check_exit(root: Path, strict: bool = False) -> int:
    """The checker's verdict on the workspace at root (in-process)."""
    from small_git.protocol.checker import check_state
    from small_git.store.reader import read_state

    return check_state(read_state(root), strict=strict).exit_code


def progress_bytes(root: Path) -> bytes:
    return (root / ".small" / "progress.small.yml").read_bytes()


def run_cli(capsys: object, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (fast): (exit code, stdout, stderr). Pass --dir in args."""
    from small_git.cli import main

    # git run by the command must not see a repository the test suite itself may be running inside
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("GIT_")}
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        os.environ.update(saved)
    out, err = capsys.readouterr()  # type: ignore[attr-defined]
    return code, out, err


def init_workspace(capsys: object, root: Path, *extra: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    code, out, err = run_cli(capsys, "init", "--dir", str(root), *extra)
    assert code == 0, err
    return root
