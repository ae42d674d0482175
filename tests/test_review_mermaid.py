"""The plan graph of `git small review` is read by Mermaid's own parser (the npm package `mermaid`, pinned in
tests/mermaid/package-lock.json and installed by scripts/setup-node.sh), including plans whose titles try to
break out of their labels."""

from __future__ import annotations

from typing import Any

import pytest
from mermaid_support import label, parse_all

from small_git.gates.history_model import PlanTask
from small_git.report.mermaid import STATUS_STYLES, plan_graph

PLAN = [
    PlanTask("task-1", "Set up", "completed", []),
    PlanTask("task-2", "Parse the header", "in_progress", ["task-1"]),
    PlanTask("task-3", "Import rows", "pending", ["task-1", "task-2"]),
    PlanTask("task-4", "Blocked one", "blocked", []),
    PlanTask("task-5", "Dropped", "cancelled", []),
    PlanTask("task-6", "Odd status", "later", ["no-such-task"]),
]
HOSTILE_TITLES = [
    'x"]; click t0 href "javascript:alert(1)"; t9["y',
    "a --> b\nt1 --> t0",
    "<script>alert(1)</script> & <b>bold</b>",
    "`**md**` #35; [link](http://evil) | pipe {curly} \\ back",
    "%%{init: {'theme': 'dark'}}%%",
    "end",
]
HOSTILE = [PlanTask(f"task-{n}", title, "pending", []) for n, title in enumerate(HOSTILE_TITLES, start=1)]
HOSTILE.append(PlanTask('evil"]-->t0', "id with quotes", "completed", ["task-1"]))
DIAGRAMS = {
    "plan": plan_graph(PLAN),
    "hostile": plan_graph(HOSTILE),
    "broken": 'flowchart TD\n  t0["task-1: Set up]\n',
    "injected": 'flowchart TD\n  t0["x"]; t9["y"]\n',  # what an unescaped title would write
}


@pytest.fixture(scope="module")
def parsed() -> dict[str, Any]:
    return dict(zip(DIAGRAMS, parse_all(list(DIAGRAMS.values())), strict=True))


def test_a_plan_graph_parses_with_one_node_per_task_coloured_by_status(parsed: dict[str, Any]) -> None:
    tasks = PLAN
    result = parsed["plan"]
    assert result["ok"], result
    assert result["type"].startswith("flowchart")
    assert [label(v).split("\n")[0].split(":")[0] for v in result["vertices"]] == [t.task_id for t in tasks]
    assert [v["classes"] for v in result["vertices"]] == [[t.status] for t in tasks[:5]] + [[]]
    assert sorted((e["start"], e["end"]) for e in result["edges"]) == [("t0", "t1"), ("t0", "t2"), ("t1", "t2")]
    assert set(result["classes"]) == {name for name, _, _ in STATUS_STYLES.values()}


def test_titles_cannot_add_nodes_edges_links_or_markup(parsed: dict[str, Any]) -> None:
    tasks = HOSTILE
    result = parsed["hostile"]
    assert result["ok"], result
    assert len(result["vertices"]) == len(tasks)
    assert result["links"] == []
    assert [(e["start"], e["end"]) for e in result["edges"]] == [("t0", f"t{len(tasks) - 1}")]
    for vertex, task in zip(result["vertices"], tasks, strict=True):
        assert label(vertex) == f"{task.task_id}: {' '.join(task.title.split())}\n{task.status}"


def test_the_checks_can_fail_a_broken_graph_and_an_injected_node(parsed: dict[str, Any]) -> None:
    assert not parsed["broken"]["ok"]
    assert parsed["injected"]["ok"] and len(parsed["injected"]["vertices"]) == 2
