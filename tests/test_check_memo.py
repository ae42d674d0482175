"""`check` after an append reads only the added entries (small_git/workflow/check_memo.py), and its answer is
always the whole check's: on generated histories (the append fast path's: appends, rewrites, reformatting,
type changes, anchors across the cut, flow style, a changed header, new runs, bad timestamps), with every set
of options; and at the prompt, through the CLI, in a real repository."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support.cli import git, small
from support.workspace import WORKSPACE_FILES, entry, progress_yaml
from test_append_fastpath import EXAMPLES, FILES, HEADER, entries, histories, log, render

from small_git.commands.check import STAGES_OF
from small_git.errors import SmallError
from small_git.protocol.checker import CheckOptions, CheckResult, check_state
from small_git.protocol.state import State
from small_git.store.reader import read_state
from small_git.workflow.check_memo import MEMO_DIR, CheckMemo


def _state(progress: bytes, plan: str | None = None) -> State:
    contents: dict[str, bytes | None] = {kind: text.encode() for kind, text in FILES.items()}
    contents["progress"] = progress
    if plan is not None:
        contents["plan"] = plan.encode()
    return State.from_bytes(contents)


def _outcome(check: Any, state: State, options: CheckOptions) -> Any:
    try:
        result: CheckResult = check(state, options)
    except SmallError as exc:
        return ("error", exc.message)
    return tuple(
        [(f.rule, f.file, f.message, f.line, f.severity) for f in found]
        for found in (result.findings, result.warnings, result.notices)
    ) + (result.stages,)


PLANS = [
    FILES["plan"],
    FILES["plan"].replace('status: "completed"', 'status: "in_progress"'),
    FILES["plan"].replace('status: "in_progress"', 'status: "blocked"'),
    FILES["plan"] + '  - id: "task-9"\n    title: "Nine"\n    status: "pending"\n',
]


@st.composite
def clean_histories(draw: st.DrawFn) -> tuple[bytes, bytes, str, str]:
    """(old log, new log, old plan, new plan) where the old workspace is often clean (so its check is
    remembered) and the new log adds anything the fast path's histories add, or changes what it should not."""
    count = draw(st.integers(1, 5))
    old_items: list[dict[str, Any]] = [
        {"task_id": "task-2", "timestamp": "2025-01-01T00:00:00.000000000Z", "status": "completed", "evidence": "ok"}
    ]
    for second in range(1, count):
        old_items.append(
            {
                "task_id": draw(st.sampled_from(["task-1", "task-2", "task-9"])),
                "timestamp": f"2025-01-01T00:00:{second:02d}.000000000Z",
                "evidence": "ok",
            }
        )
    style = draw(st.sampled_from(["double", "plain", "single"]))
    old = log(old_items, style)
    added = draw(entries(count, draw(st.integers(1, 3))))
    tail = "".join(render(item, draw(st.sampled_from(["double", "plain", "single"]))) for item in added)
    kind = draw(st.sampled_from(["append"] * 8 + ["rewrite", "flow", "anchor", "column0", "reformat"]))
    if kind == "append":
        new = old + draw(st.sampled_from(["", "\n", "  # a comment\n", "# top comment\n"])) + tail
    elif kind == "rewrite":
        changed = [dict(item) for item in old_items]
        changed[draw(st.integers(0, count - 1))]["evidence"] = draw(st.sampled_from(["", 1, True, "other"]))
        new = log(changed, style) + tail
    elif kind == "flow":
        new = old + "".join(render(item, "flow") for item in added)
    elif kind == "anchor":
        old = HEADER + "".join(render(i, style) for i in old_items[:-1]) + render(old_items[-1], style, anchor="a")
        new = old + draw(st.sampled_from(["  - *a\n", f"  - <<: *a\n    timestamp: {added[0]['timestamp']!r}\n"]))
    elif kind == "column0":
        new = old + draw(st.sampled_from(['owner: "human"\n', "extra: 1\n", "---\n"])) + tail
    else:
        new = log(old_items, draw(st.sampled_from(["double", "plain", "single", "flow"]))) + tail
    old_plan = draw(st.sampled_from(PLANS))
    new_plan = old_plan if draw(st.integers(0, 5)) else draw(st.sampled_from(PLANS))
    return old.encode(), new.encode(), old_plan, new_plan


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    history=clean_histories(),
    command=st.sampled_from(sorted(STAGES_OF)),
    strict=st.booleans(),
    notices=st.booleans(),
)
def test_from_a_clean_check_the_memo_and_the_whole_check_agree(
    tmp_path_factory: pytest.TempPathFactory,
    history: tuple[bytes, bytes, str, str],
    command: str,
    strict: bool,
    notices: bool,
) -> None:
    tmp = tmp_path_factory.mktemp("memo")
    old, new, old_plan, new_plan = history
    options = CheckOptions(strict=strict, scope="any", stages=STAGES_OF[command], notices=notices)
    memo = CheckMemo(tmp, folder=tmp / "memo", long_log=0)
    full = lambda state, opts: check_state(state, options=opts)  # noqa: E731
    assert _outcome(memo.check, _state(old, old_plan), options) == _outcome(full, _state(old, old_plan), options)
    assert _outcome(memo.check, _state(new, new_plan), options) == _outcome(full, _state(new, new_plan), options)
    event("answered from the memo" if memo.answered else "checked whole")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(
    history=histories(),
    command=st.sampled_from(sorted(STAGES_OF)),
    strict=st.booleans(),
    notices=st.booleans(),
    scope=st.sampled_from(["root", "any"]),
)
def test_the_memo_and_the_whole_check_agree(
    tmp_path_factory: pytest.TempPathFactory,
    history: tuple[bytes, bytes],
    command: str,
    strict: bool,
    notices: bool,
    scope: str,
) -> None:
    tmp = tmp_path_factory.mktemp("memo")
    old, new = history
    options = CheckOptions(strict=strict, scope=scope, stages=STAGES_OF[command], notices=notices)
    memo = CheckMemo(tmp, folder=tmp / "memo", long_log=0)
    full = lambda state, opts: check_state(state, options=opts)  # noqa: E731
    assert _outcome(memo.check, _state(old), options) == _outcome(full, _state(old), options)
    assert _outcome(memo.check, _state(new), options) == _outcome(full, _state(new), options)
    # and again, from the memo the new state left (the same workspace)
    assert _outcome(memo.check, _state(new), options) == _outcome(full, _state(new), options)


def test_a_changed_plan_is_not_answered_from_the_memo(tmp_path: Path) -> None:
    """The evidence gate is answered from the memo only while the plan is the one found clean."""
    items = [entry("task-1", 1, evidence="done"), entry("task-2", 2, evidence="done", status="completed")]
    old = progress_yaml(items).encode()
    new = old + progress_yaml([entry("task-1", 3)]).split("entries:\n", 1)[1].encode()
    memo = CheckMemo(tmp_path, folder=tmp_path / "memo", long_log=0)
    options = CheckOptions(stages=STAGES_OF["check"])
    assert memo.check(_state(old), options).ok
    plan = FILES["plan"].replace(
        'id: "task-1"\n    title: "One"\n    status: "in_progress"',
        'id: "task-1"\n    title: "One"\n    status: "completed"',
    )
    plan = plan.replace('id: "task-2"', 'id: "task-3"')
    assert plan != FILES["plan"]
    assert _outcome(memo.check, _state(new, plan), options) == _outcome(
        lambda s, o: check_state(s, options=o), _state(new, plan), options
    )
    assert not check_state(_state(new, plan), options=options).ok


def _long_workspace(repo: Path) -> Path:
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    small_dir = repo / ".small"
    small_dir.mkdir()
    for kind, text in WORKSPACE_FILES.items():
        (small_dir / f"{kind}.small.yml").write_text(text)
    items = [entry("task-1", n, evidence="x" * 60, status="completed") for n in range(800)]
    (small_dir / "progress.small.yml").write_text(progress_yaml(items))
    return small_dir / "progress.small.yml"


def _append(log: Path, second: int, **extra: str) -> None:
    with open(log, "a") as out:
        out.write(progress_yaml([entry("task-2", second, **extra)]).split("entries:\n", 1)[1])


def test_check_after_an_append_at_the_prompt(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    log = _long_workspace(repo)
    first = small(repo, "check")
    assert first.returncode == 0, first.stderr
    memos = list((repo / ".git" / MEMO_DIR).glob("*.json"))
    assert len(memos) == 1
    _append(log, 900)
    memo = CheckMemo(repo)
    assert memo.check(read_state(repo), CheckOptions(stages=STAGES_OF["check"])).ok and memo.answered
    assert small(repo, "check") == first
    assert json.loads(memos[0].read_text())["memo"]["size"] == log.stat().st_size  # answered, and remembered
    # an entry older than the last one: the memo does not hide it
    _append(log, 850)
    fast = small(repo, "check")
    for kept in memos:
        kept.unlink()
    whole = small(repo, "check")
    assert fast == whole and fast.returncode == 1, fast
    assert "timestamp" in fast.stdout + fast.stderr


def test_a_damaged_or_foreign_memo_changes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    log = _long_workspace(repo)
    assert small(repo, "check").returncode == 0
    (memo,) = (repo / ".git" / MEMO_DIR).glob("*.json")
    stored = json.loads(memo.read_text())
    _append(log, 500)  # older than the last entry
    expected = small(repo, "check")
    assert expected.returncode == 1
    # a memo claiming the bad log is the clean one, without its checksum: ignored
    stored["memo"]["size"] = log.stat().st_size
    memo.write_text(json.dumps(stored))
    assert small(repo, "check") == expected
    memo.write_bytes(os.urandom(300))
    assert small(repo, "check") == expected


def test_outside_a_git_repository_nothing_is_remembered(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    log = _long_workspace(repo)
    git(repo, "rev-parse", "--git-dir")
    import shutil

    shutil.rmtree(repo / ".git")
    assert small(repo, "check").returncode == 0
    _append(log, 900)
    assert small(repo, "check").returncode == 0
    assert sorted(p.name for p in repo.iterdir()) == [".small"]
