"""Scratch git repositories for tests: real git, a clean environment, the installed CLI on PATH.

Every git run drops the caller's `GIT_*` variables (a test may itself run inside a hook) and any agent
marker, and uses a temporary HOME with `GIT_CONFIG_NOSYSTEM=1`, so results do not depend on the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
AGENT_MARKERS = ("SMALL_ACTOR", "CLAUDECODE", "GEMINI_CLI", "CURSOR_AGENT", "CLINE_ACTIVE", "OPENCODE", "AI_AGENT")
WORKSPACE_FILES = {
    "intent": """small_version: "1.0.0"
owner: "human"
intent: "Ship the parser"
scope:
  include:
    - "src/"
  exclude: []
success_criteria:
  - "The parser parses"
""",
    "constraints": """small_version: "1.0.0"
owner: "human"
constraints:
  - id: "no-secrets"
    rule: "No secrets in .small artifacts"
    severity: "error"
""",
    "plan": """small_version: "1.0.0"
owner: "agent"
tasks:
  - id: "task-1"
    title: "Set up project structure"
    status: "completed"
  - id: "task-2"
    title: "Implement the parser"
    status: "in_progress"
""",
    "handoff": """small_version: "1.0.0"
owner: "agent"
summary: "Parser work under way."
resume:
  current_task_id: "task-2"
  next_steps:
    - "Finish the parser"
links: []
replayId:
  value: 46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0
  source: "auto"
""",
    "workspace": """small_version: "1.0.0"
owner: "agent"
kind: "repo-root"
""",
}
FIRST_ENTRY = {
    "task_id": "task-1",
    "timestamp": "2025-01-04T10:00:00.000000000Z",
    "status": "completed",
    "evidence": "Created the .small directory",
}


def clean_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT", "CODEX_")) and k not in AGENT_MARKERS
    }
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Human",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Human",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            "PRE_COMMIT_HOME": str(home / "pre-commit-cache"),
            "LC_ALL": "C",
        }
    )
    env.pop("VIRTUAL_ENV", None)
    env.update(extra or {})
    return env


def entry_yaml(entry: Mapping[str, Any]) -> str:
    lines = []
    for index, (key, value) in enumerate(entry.items()):
        lead = "  - " if index == 0 else "    "
        lines.append(f'{lead}{key}: "{value}"')
    return "\n".join(lines) + "\n"


def progress_yaml(entries: Sequence[Mapping[str, Any]]) -> str:
    head = 'small_version: "1.0.0"\nowner: "agent"\n'
    if not entries:
        return head + "entries: []\n"
    return head + "entries:\n" + "".join(entry_yaml(e) for e in entries)


def entry(task: str, second: int, **extra: str) -> dict[str, str]:
    """A progress entry stamped 2025-01-05 10:00:<second>, so tests control the order."""
    return {
        "task_id": task,
        "timestamp": f"2025-01-05T10:{second // 60:02d}:{second % 60:02d}.000000000Z",
        "status": "in_progress",
        "evidence": f"step {second}",
        **extra,
    }


class Repo:
    def __init__(self, path: Path, home: Path, env_extra: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.env = clean_env(home, env_extra)

    @classmethod
    def create(cls, tmp_path: Path, name: str = "repo", bare: bool = False) -> Repo:
        repo = cls(tmp_path / name, tmp_path / "home")
        repo.path.mkdir(parents=True)
        repo.git("init", "-q", "-b", "main", *(["--bare"] if bare else []))
        return repo

    def run(
        self, *args: str | Path, input: str | None = None, check: bool = True, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(a) for a in args],
            cwd=self.path,
            env={**self.env, **(env or {})},
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(map(str, args))} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def git(
        self, *args: str | Path, check: bool = True, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args, check=check, input=input, env=env)

    def small(self, *args: str, check: bool = False, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(str(VENV_BIN / "git-small"), *args, check=check, input=input)

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
    ) -> subprocess.CompletedProcess[str]:
        if add_all:
            self.git("add", "-A")
        return self.git("commit", "-q", "-m", message, *args, check=check, env=env)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def install(self) -> subprocess.CompletedProcess[str]:
        return self.small("install", check=True)


def plain_workspace(tmp_path: Path) -> Repo:
    """A valid workspace in a folder that is not a git repository."""
    repo = Repo(tmp_path / "ws", tmp_path / "home")
    repo.path.mkdir()
    repo.write_workspace()
    return repo


def seeded_repo(tmp_path: Path, install: bool = True, name: str = "repo") -> Repo:
    """A repository whose first commit holds a valid workspace with one progress entry."""
    repo = Repo.create(tmp_path, name)
    repo.write("src/app.py", "print('hi')\n")
    repo.write_workspace()
    repo.commit("seed")
    if install:
        repo.install()
    return repo


def have_git() -> bool:
    return shutil.which("git") is not None


# Plain helpers for tests that run in the environment conftest.py cleans (no Repo object needed).


def run(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, env={**os.environ, **(env or {})}, input=stdin, capture_output=True, text=True
    )


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> str:
    result = run(cwd, "git", *args, env=env, stdin=stdin)
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout.strip()


def small(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as `python -m small_git`, in this interpreter."""
    return run(cwd, sys.executable, "-m", "small_git", *args, env=env)
