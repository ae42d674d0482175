"""8 processes x 50 concurrent `progress add`: no entry lost, timestamps strictly increasing, log loads.

A delay injected inside the critical section (between reading the log's tail and appending) makes every
writer overlap with the others, so a missing or broken lock would show up as lost or out-of-order entries.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import small
from support.workspace import check_exit

from small_git.protocol.timestamps import parse_ns
from small_git.protocol.yamlsafe import load_yaml

PROCESSES = 8
APPENDS = 50
WORKER = """
import sys
from small_git.cli import cli
root, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    code = cli.main(args=["progress", "add", "--task", "task-1", "--status", "in_progress", "--evidence",
                          f"{name}-{i}", "--no-commit-evidence", "--dir", root], standalone_mode=False)
    if code:
        sys.exit(code)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", ["0", "0.003"], ids=["no-delay", "delay-in-critical-section"])
def test_concurrent_appends_lose_nothing(tmp_path: Path, delay: str) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    small(root, "init", check=True)
    env = {**os.environ, "SMALL_TEST_CRITICAL_SECTION_DELAY": delay}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), f"p{n}", str(APPENDS)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
    data = load_yaml((root / ".small/progress.small.yml").read_bytes(), "progress").data
    added = [e for e in data["entries"] if e["task_id"] == "task-1"]
    assert len(added) == PROCESSES * APPENDS
    assert sorted(e["evidence"] for e in added) == sorted(f"p{n}-{i}" for n in range(PROCESSES) for i in range(APPENDS))
    for n in range(PROCESSES):  # each process's own entries are in the order it wrote them
        mine = [int(e["evidence"].split("-")[1]) for e in added if e["evidence"].startswith(f"p{n}-")]
        assert mine == list(range(APPENDS))
    instants = [parse_ns(e["timestamp"]) for e in data["entries"]]
    assert all(a < b for a, b in zip(instants, instants[1:], strict=False))
    assert check_exit(root) == 0


MIXED_WORKER = """
import sys
from small_git.cli import cli
root, kind, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    args = {
        "append": ["progress", "add", "--task", "task-1", "--status", "in_progress", "--evidence", f"append-{i}",
                   "--no-commit-evidence"],
        "checkpoint": ["checkpoint", "--task", "task-1", "--status", "in_progress", "--notes", f"checkpoint-{i}"],
        "plan": ["plan", "--add", f"Task from the planner {i}"],
        "handoff": ["handoff"],
    }[kind]
    code = cli.main(args=[*args, "--dir", root], standalone_mode=False)
    if code:
        sys.exit(code)
"""
MIXED = ("append", "append", "checkpoint", "plan", "handoff")
ROUNDS = 12


def test_mixed_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Appends, checkpoints, plan edits and handoffs at once: every entry and every task arrives, the log loads."""
    root = tmp_path / "ws"
    root.mkdir()
    small(root, "init", check=True)
    env = {**os.environ, "SMALL_TEST_CRITICAL_SECTION_DELAY": "0.002"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", MIXED_WORKER, str(root), kind, str(ROUNDS)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind in MIXED
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
    data = load_yaml((root / ".small/progress.small.yml").read_bytes(), "progress").data
    evidence = [str(e.get("evidence")) for e in data["entries"]]
    notes = [str(e.get("notes")) for e in data["entries"]]
    assert sorted(e for e in evidence if e.startswith("append-")) == sorted(
        f"append-{i}" for i in range(ROUNDS) for _ in range(2)
    )
    assert sorted(n for n in notes if n.startswith("checkpoint-")) == sorted(f"checkpoint-{i}" for i in range(ROUNDS))
    plan = load_yaml((root / ".small/plan.small.yml").read_bytes(), "plan").data
    titles = [t["title"] for t in plan["tasks"]]
    assert sorted(t for t in titles if t.startswith("Task from the planner")) == sorted(
        f"Task from the planner {i}" for i in range(ROUNDS)
    )
    instants = [parse_ns(e["timestamp"]) for e in data["entries"]]
    assert all(a < b for a, b in zip(instants, instants[1:], strict=False))
    assert check_exit(root) == 0
