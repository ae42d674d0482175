"""Every command that reads the plan takes any shape the loader can return (no `tasks:` key, tasks that are
not a list, ids that are lists, statuses that are mappings, ...) and answers with findings or a clear exit-2
error: never exit 3."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.cli import small

COMMANDS = (
    ("status",),
    ("status", "--json"),
    ("emit",),
    ("doctor",),
    ("check", "--strict"),
    ("plan",),
    ("plan", "--json"),
    ("plan", "--add", "Another task"),
    ("plan", "--done", "task-1"),
    ("plan", "--depends", "task-1:task-2"),
    ("plan", "--remove", "task-2"),
    ("plan", "--move", "task-2", "--before", "task-1"),
    ("checkpoint", "--task", "task-1", "--status", "in_progress", "--no-commit-evidence"),
    ("progress", "add", "--task", "task-1", "--status", "in_progress", "--no-commit-evidence"),
    ("apply", "--task", "task-1", "--checkpoint", "--", "true"),
    ("handoff",),
    ("fix",),
    ("reset", "--yes"),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["task-1", "task-2", "", "completed", "x"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=6,
)
TASK_KEYS = st.sampled_from(["id", "title", "status", "dependencies", "depends_on", "steps"])
TASK = st.dictionaries(TASK_KEYS, VALUES, max_size=5)
TASKS = st.one_of(VALUES, st.lists(st.one_of(TASK, VALUES), max_size=4))
PLANS = st.one_of(
    VALUES,
    st.fixed_dictionaries({"small_version": st.just("1.0.0"), "owner": st.just("agent")}, optional={"tasks": TASKS}),
)


def _workspace(template: Path, plan: Any) -> Path:
    root = Path(tempfile.mkdtemp(prefix="plan-shape-")) / "ws"
    shutil.copytree(template, root)
    # JSON is YAML: every shape the loader can return, written so that it returns exactly that
    (root / ".small/plan.small.yml").write_text(json.dumps(plan))
    return root


TEMPLATE: Path | None = None


def _template() -> Path:
    global TEMPLATE
    if TEMPLATE is None:
        TEMPLATE = Path(tempfile.mkdtemp(prefix="plan-template-")) / "ws"
        TEMPLATE.mkdir()
        small(TEMPLATE, "init", check=True)
    return TEMPLATE


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)  # one test per command: each takes its own plans
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=PLANS)
@example(plan={"small_version": "1.0.0", "owner": "agent"})  # no tasks: key
@example(plan={"small_version": "1.0.0", "owner": "agent", "tasks": [{"id": ["task-1"], "title": "t"}]})
@example(plan={"small_version": "1.0.0", "owner": "agent", "tasks": {"id": "task-1"}})
@example(plan={"small_version": "1.0.0", "owner": "agent", "tasks": [{"id": "task-1", "status": {"a": 1}}]})
@example(plan={"small_version": "1.0.0", "owner": "agent", "tasks": [{"id": "task-1", "dependencies": "task-2"}]})
@example(plan={"small_version": "1.0.0", "owner": "agent", "tasks": [None, "task-1", ["task-2"]]})
@example(plan=None)
@example(plan=["task-1"])
def test_every_command_takes_any_plan_shape(command: tuple[str, ...], plan: Any) -> None:
    root = _workspace(_template(), plan)
    try:
        code, out, err = small(root, *command)
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
    assert code in (0, 1, 2), f"small {' '.join(command)} exited {code} on plan {plan!r}:\n{out}\n{err}"
    assert "internal error" not in err and "Traceback" not in err, err
