"""Plan edits keep the formatting and comments of everything they do not change."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from small_git.errors import SmallError
from small_git.protocol.yamlsafe import load_yaml
from small_git.store.plan_edit import PlanEditor
from small_git.store.templates import PLAN_TEMPLATE as TEMPLATE

PLAN = b"""# Plan for the importer
small_version: "1.0.0"  # quoted on purpose
owner: agent
tasks:
  - id: task-1   # the first one
    title: Parse the header
    status: pending   # still to do
    steps:
      - read the first line
  # the importer needs the parser
  - id: task-2
    title: Import rows
    depends_on:
      - task-1

# end of plan
"""


def data(raw: bytes) -> dict:
    return load_yaml(raw, "plan").data


def unchanged_lines(before: bytes, after: bytes) -> set[str]:
    return set(before.decode().splitlines()) - set(after.decode().splitlines())


def test_set_status_changes_one_line() -> None:
    editor = PlanEditor(PLAN)
    editor.set_status("task-1", "completed")
    after = editor.result()
    assert unchanged_lines(PLAN, after) == {"    status: pending   # still to do"}
    assert b'    status: "completed"   # still to do\n' in after
    editor.set_status("task-2", "in_progress")  # no status line yet: one line is inserted
    result = editor.result()
    assert len(result.splitlines()) == len(PLAN.splitlines()) + 1
    assert data(result)["tasks"][1]["status"] == "in_progress"
    assert b"# end of plan" in result and b"# the importer needs the parser" in result


def test_add_task_appends_a_block_with_the_files_indentation() -> None:
    editor = PlanEditor(PLAN)
    assert editor.add_task("Report errors") == "task-3"
    after = editor.result()
    assert after.startswith(PLAN.split(b"\n# end of plan")[0].rstrip(b"\n"))
    assert data(after)["tasks"][2] == {"id": "task-3", "title": "Report errors", "status": "pending"}
    assert after.endswith(b"# end of plan\n")
    assert unchanged_lines(PLAN, after) == set()


def test_dependencies_extend_the_existing_list_and_read_both_keys() -> None:
    editor = PlanEditor(PLAN)
    editor.add_task("Report errors")
    editor.add_dependency("task-3", "task-2")
    editor.add_dependency("task-3", "task-1")
    editor.add_task("Docs")
    editor.add_dependency("task-2", "task-4")  # extends depends_on in block style
    plan = data(editor.result())
    assert plan["tasks"][2]["dependencies"] == ["task-2", "task-1"]
    assert plan["tasks"][1]["depends_on"] == ["task-1", "task-4"]
    assert unchanged_lines(PLAN, editor.result()) == set()
    with pytest.raises(SmallError, match="cycle"):
        editor.add_dependency("task-1", "task-3")
    with pytest.raises(SmallError, match="cycle"):
        editor.add_dependency("task-4", "task-2")
    with pytest.raises(SmallError, match="itself"):
        editor.add_dependency("task-1", "task-1")
    with pytest.raises(SmallError, match="not in the plan"):
        editor.add_dependency("task-1", "task-99")
    with pytest.raises(SmallError, match="already depends"):
        editor.add_dependency("task-2", "task-1")


def test_remove_and_move_keep_the_other_tasks_bytes() -> None:
    editor = PlanEditor(PLAN)
    editor.add_task("Report errors")
    with pytest.raises(SmallError, match="task-2 depend"):
        editor.remove_task("task-1")
    editor.move_task("task-3", before="task-1")
    moved = editor.result()
    assert [t["id"] for t in data(moved)["tasks"]] == ["task-3", "task-1", "task-2"]
    assert unchanged_lines(PLAN, moved) == set()
    editor.remove_task("task-3")
    assert editor.result().decode().count("# the importer needs the parser") == 1
    assert data(editor.result()) == data(PLAN)
    editor.move_task("task-1", after="task-2")
    assert [t["id"] for t in data(editor.result())["tasks"]] == ["task-2", "task-1"]
    assert b"# end of plan" in editor.result()


def test_unusual_layouts_fall_back_to_a_correct_rewrite() -> None:
    flow = b'small_version: "1.0.0"\nowner: agent\ntasks: [{id: a, title: A}, {id: b, title: B, status: pending}]\n'
    editor = PlanEditor(flow)
    editor.set_status("b", "completed")
    editor.add_task("C")
    editor.add_dependency("task-1", "a")
    assert data(editor.result())["tasks"] == [
        {"id": "a", "title": "A"},
        {"id": "b", "title": "B", "status": "completed"},
        {"id": "task-1", "title": "C", "status": "pending", "dependencies": ["a"]},
    ]


def test_crlf_files_stay_crlf_and_template_is_editable() -> None:
    editor = PlanEditor(TEMPLATE.replace(b"\n", b"\r\n"))
    editor.set_status("task-1", "in_progress")
    editor.add_task("Two")
    assert b"\n" not in editor.result().replace(b"\r\n", b"")
    assert [t.get("status") for t in data(editor.result())["tasks"]] == ["in_progress", "pending"]


def _plan_text(tasks: list[tuple[bool, bool, int]], indent: int, id_first: bool) -> bytes:
    """A block-style plan with a comment on and between every task. Each task: (has status, deps style, n)."""
    pad = " " * indent
    out = ['small_version: "1.0.0"  # header comment', "owner: agent", "tasks:"]
    for n, (has_status, block_deps, _) in enumerate(tasks, start=1):
        keys = [f"id: task-{n}  # id {n}", f"title: Task {n}"]
        if not id_first:
            keys.reverse()
        if has_status:
            keys.append("status: pending  # status comment")
        if n > 1:
            keys += [f"depends_on:\n{pad}    - task-{n - 1}"] if block_deps else [f"dependencies: [task-{n - 1}]"]
        out.append(f"{pad}- {keys[0]}")
        out += [f"{pad}  {k}" for k in keys[1:]]
        out.append(f"{pad}# between {n}")
    out.append("# footer")
    return ("\n".join(out) + "\n").encode()


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # a busy machine is not a defect
@given(
    st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 3)), min_size=2, max_size=5),
    st.sampled_from([0, 2, 4]),
    st.booleans(),
    st.lists(st.integers(0, 3), max_size=6),
    st.data(),
)
def test_edits_keep_every_comment(
    tasks: list[tuple[bool, bool, int]], indent: int, id_first: bool, operations: list[int], draw: st.DataObject
) -> None:
    raw = _plan_text(tasks, indent, id_first)
    comments = sorted(line.split("#", 1)[1] for line in raw.decode().splitlines() if "#" in line)
    editor = PlanEditor(raw)
    for operation in operations:
        ids = [t["id"] for t in editor.tasks]
        pick = draw.draw(st.sampled_from(ids))
        if operation == 0:
            editor.set_status(pick, draw.draw(st.sampled_from(["in_progress", "completed", "blocked"])))
        elif operation == 1:
            editor.add_task(draw.draw(st.text(min_size=1).filter(str.strip)))
        elif operation == 2:
            other = draw.draw(st.sampled_from(ids))
            try:
                editor.add_dependency(pick, other)
            except SmallError:
                pass
        else:
            other = draw.draw(st.sampled_from(ids))
            if other != pick:
                editor.move_task(pick, before=other)
        result = editor.result()
        assert load_yaml(result, "plan").data == editor.data
        kept = sorted(
            line.split("#", 1)[1]
            for line in result.decode().splitlines()
            if "#" in line and not line.lstrip().startswith(('- id: "task', 'title: "'))
        )
        assert [c for c in comments if c not in kept] == [], result.decode()
