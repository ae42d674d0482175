"""Workspace contents tests start from, and a way to see that nothing on disk changed.

`WORKSPACE_FILES` (by artifact kind) is the small valid workspace most tests write; `BASE_FILES` (by file
name) is the fuller one the hostile-input tests mutate, shaped like the reference's own examples.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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


BASE_FILES = {
    "intent.small.yml": """small_version: "1.0.0"
owner: "human"
intent: "Implement SMALL protocol for agent-legible project continuity"
scope:
  include:
    - "src/"
    - "internal/"
  exclude:
    - "node_modules/"
    - ".git/"
success_criteria:
  - "All five canonical artifacts are validated"
  - "Invariants are enforced programmatically"
  - "Agent can resume work from handoff"
""",
    "constraints.small.yml": """small_version: "1.0.0"
owner: "human"
constraints:
  - id: "no-secrets"
    rule: "No secrets in .small artifacts"
    severity: "error"
  - id: "no-prod-writes"
    rule: "No writes to production by default"
    severity: "error"
  - id: "https-only"
    rule: "All links must use HTTPS"
    severity: "warn"
""",
    "plan.small.yml": """small_version: "1.0.0"
owner: "agent"
tasks:
  - id: "task-1"
    title: "Set up project structure"
    status: "completed"
    steps:
      - "Create .small directory"
      - "Initialize canonical artifacts"
    acceptance:
      - "All five files exist"
      - "Files pass validation"
  - id: "task-2"
    title: "Implement core functionality"
    status: "pending"
    steps:
      - "Implement loader"
      - "Implement validator"
      - "Implement invariant checker"
    acceptance:
      - "Unit tests pass"
      - "Integration tests pass"
""",
    "progress.small.yml": """small_version: "1.0.0"
owner: "agent"
entries:
  - task_id: "task-1"
    timestamp: "2025-01-04T10:00:00.000000000Z"
    status: "completed"
    evidence: "Created .small directory with all canonical files"
    commit: "abc1234"
""",
    "handoff.small.yml": """small_version: "1.0.0"
owner: "agent"
summary: "Project initialized. Ready to implement core functionality."
resume:
  current_task_id: "task-2"
  next_steps:
    - "Implement loader module"
    - "Add unit tests for loader"
    - "Implement validator module"
links:
  - url: "https://github.com/example/small-protocol"
    description: "Project repository"
replayId:
  value: 46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0
  source: "auto"
""",
    "workspace.small.yml": """small_version: "1.0.0"
owner: "agent"
kind: "repo-root"
created_at: "2025-01-04T10:00:00.000000000Z"
updated_at: "2025-01-04T10:00:00.000000000Z"
""",
}


def write_base_workspace(root: Path) -> Path:
    """`BASE_FILES` as `root/.small`; returns that folder."""
    small = root / ".small"
    small.mkdir(parents=True)
    for name, text in BASE_FILES.items():
        (small / name).write_text(text, encoding="utf-8")
    return small


def snapshot(top: Path) -> dict[str, str]:
    """Everything under `top`, without following symlinks or opening anything but regular files."""
    seen: dict[str, str] = {}
    for folder, dirs, files in os.walk(top, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            info = os.lstat(path)
            key = str(path.relative_to(top))
            if path.is_symlink():
                seen[key] = "link:" + os.readlink(path)
            elif path.is_file() and not path.is_fifo():
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                seen[key] = f"file:{info.st_mode:o}:{digest.hexdigest()}"
            else:
                seen[key] = f"other:{info.st_mode:o}"
    return seen


def check_exit(root: Path, strict: bool = False) -> int:
    """The checker's verdict (exit code) on the workspace at `root`, without the CLI."""
    from small_git.protocol.checker import check_state
    from small_git.store.reader import read_state

    return check_state(read_state(root), strict=strict).exit_code


def progress_bytes(root: Path) -> bytes:
    return (root / ".small" / "progress.small.yml").read_bytes()
