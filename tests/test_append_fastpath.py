"""The append fast path never changes a verdict: the audit engine's judgement of a transition with the fast path
equals the full judgement, on generated histories (appends, rewrites, reformatting, type changes such as
1 / true / 1.0, anchors and aliases across the cut, flow style, a changed header, new runs, bad timestamps).

The property runs SMALL_FASTPATH_EXAMPLES examples (default 300); the long run of docs/development.md sets it
to 10,000 or more. The pure reader of the added bytes (protocol/append.py) is checked against the full loader
on the same histories.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from small_git.gates.audit import judge_transition
from small_git.gates.context import AuditContext
from small_git.gates.facts import FactsCache
from small_git.gates.fastpath import fast_accept
from small_git.protocol.append import appended, log_facts
from small_git.protocol.sequences import same
from small_git.protocol.state import State
from small_git.protocol.yamlsafe import YamlError, load_yaml

EXAMPLES = int(os.environ.get("SMALL_FASTPATH_EXAMPLES", "300"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

HEADER = 'small_version: "1.0.0"\nowner: "agent"\nentries:\n'
OTHER_HEADER = 'small_version: "1.0.0"\nowner: "agent"\n# the log\nentries:\n'
FILES = {
    "intent": 'small_version: "1.0.0"\nowner: "human"\nintent: "Ship"\nscope:\n  include: []\n  exclude: []\n'
    "success_criteria: []\n",
    "constraints": 'small_version: "1.0.0"\nowner: "human"\nconstraints:\n  - id: "c1"\n    rule: "r"\n'
    '    severity: "error"\n',
    "plan": 'small_version: "1.0.0"\nowner: "agent"\ntasks:\n  - id: "task-1"\n    title: "One"\n'
    '    status: "in_progress"\n  - id: "task-2"\n    title: "Two"\n    status: "completed"\n',
    "handoff": 'small_version: "1.0.0"\nowner: "agent"\nsummary: "S"\nresume:\n  current_task_id: "task-1"\n'
    "  next_steps: []\nlinks: []\nreplayId:\n"
    '  value: "46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0"\n  source: "auto"\n',
    "workspace": 'small_version: "1.0.0"\nowner: "agent"\nkind: "repo-root"\n',
}

SCALARS: list[Any] = ["x", "1", 1, True, 1.0, 0, False, None, "ghp_" + "a" * 36, "http://example.com/x", ""]
TASKS = ["task-1", "task-2", "task-9", "meta/reset", "reset"]
STATUSES = ["in_progress", "completed", "pending", "blocked", "done", 3]


@st.composite
def entries(draw: st.DrawFn, start: int, count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    second = start
    for _ in range(count):
        second += draw(st.sampled_from([1, 1, 1, 0, -1]))
        entry: dict[str, Any] = {"task_id": draw(st.sampled_from(TASKS))}
        stamp = f"2025-01-01T00:{second // 60 % 60:02d}:{second % 60:02d}.000000000Z"
        entry["timestamp"] = draw(st.sampled_from([stamp] * 8 + ["not a time", 5]))
        if draw(st.booleans()):
            entry["status"] = draw(st.sampled_from(STATUSES))
        if draw(st.integers(0, 4)):
            entry["evidence"] = draw(st.sampled_from(SCALARS[:1] * 6 + SCALARS))
        if draw(st.integers(0, 3)) == 0:
            entry["notes"] = draw(st.sampled_from(["small reset", *SCALARS]))
        if draw(st.integers(0, 5)) == 0:
            entry["commit"] = "abcdef123456"
        out.append(entry)
    return out


def scalar(value: Any, style: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    if style == "plain" and value and value.replace("-", "").replace("_", "").isalnum() and not value[0].isdigit():
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(entry: dict[str, Any], style: str, indent: int = 2, anchor: str = "") -> str:
    pad = " " * indent
    if style == "flow":
        return f"{pad}- {{" + ", ".join(f"{k}: {scalar(v, 'double')}" for k, v in entry.items()) + "}\n"
    lines = []
    for number, (k, v) in enumerate(entry.items()):
        lead = f"{pad}- " if number == 0 else pad + "  "
        lines.append(f"{lead}{k}: {scalar(v, style)}\n")
    text = "".join(lines)
    if anchor:
        text = text.replace(f"{pad}- ", f"{pad}- &{anchor}\n{pad}  ", 1)
    return text


def log(items: list[dict[str, Any]], style: str, header: str = HEADER) -> str:
    return header + "".join(render(item, style) for item in items)


@st.composite
def histories(draw: st.DrawFn) -> tuple[bytes, bytes]:
    old_items = draw(entries(0, draw(st.integers(1, 6))))
    style = draw(st.sampled_from(["double", "plain", "single"]))
    old = log(old_items, style)
    kind = draw(
        st.sampled_from(["append"] * 6 + ["rewrite", "retype", "reformat", "anchor", "flow", "header", "odd", "drop"])
    )
    added = draw(entries(len(old_items), draw(st.integers(1, 3))))
    tail = "".join(render(item, draw(st.sampled_from(["double", "plain", "single"]))) for item in added)
    if kind == "append":
        new = old + draw(st.sampled_from(["", "\n", "  # a comment\n", "# top comment\n"])) + tail
    elif kind == "rewrite":
        index = draw(st.integers(0, len(old_items) - 1))
        changed = [dict(item) for item in old_items]
        changed[index]["evidence"] = draw(st.sampled_from(SCALARS))
        new = log(changed, style) + tail
    elif kind == "retype":
        index = draw(st.integers(0, len(old_items) - 1))
        changed = [dict(item) for item in old_items]
        value = changed[index].get("notes", 1)
        others = [v for v in (1, True, 1.0, "1", 0, False, 0.0) if not same(v, value)]
        changed[index]["notes"] = draw(st.sampled_from(others))
        new = log(changed, style) + tail
    elif kind == "reformat":
        new = log(old_items, draw(st.sampled_from(["double", "plain", "single", "flow"]))) + tail
    elif kind == "anchor":
        old = (
            HEADER + "".join(render(item, style) for item in old_items[:-1]) + render(old_items[-1], style, anchor="a")
        )
        new = old + draw(st.sampled_from(["  - *a\n", "  - task_id: *a\n", f"  - <<: *a\n    status: {STATUSES[0]}\n"]))
    elif kind == "flow":
        new = old + "".join(render(item, "flow") for item in added)
    elif kind == "header":
        new = old + draw(st.sampled_from(['owner: "human"\n', "extra: 1\n", "---\n", "...\n"])) + tail
    elif kind == "odd":
        new = old + draw(
            st.sampled_from(
                [
                    "".join(render(item, style, indent=4) for item in added),
                    "".join(render(item, style, indent=0) for item in added),
                    "\t- task_id: x\n",
                    "    status: completed\n" + tail,
                    tail.replace("\n", "\r\n"),
                    tail.encode("utf-8").decode("latin-1") + "  - task_id: \udcff\n",
                ]
            )
        )
    else:  # drop
        new = log(old_items[:-1], style) + tail
    return _bytes(old), _bytes(new)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


class MemoryBytes:
    """A log read only when asked (`LazyBytes`), as the git layer gives a long packed log: here the bytes are
    in memory and a prefix is proven by comparing them, so the property covers the fast path's lazy reading;
    tests/test_git_packs.py shows the packs' proofs are sound."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self) -> bytes:
        self.reads += 1
        return self.data

    def slice(self, start: int, end: int) -> bytes | None:
        return self.data[start:end]

    def extends(self, other: object) -> int | None:
        if not isinstance(other, MemoryBytes) or len(self.data) <= len(other.data):
            return None
        return len(other.data) if self.data.startswith(other.data) else None


def state(progress: bytes, lazy: bool = False) -> State:
    contents: dict[str, bytes | None] = {kind: text.encode() for kind, text in FILES.items()}
    contents["progress"] = progress
    result = State.from_bytes(contents)
    for entry in result.files.values():
        if entry.raw is not None:
            entry.oid = hashlib.sha1(b"blob %d\0" % len(entry.raw) + entry.raw).hexdigest()
    if lazy:
        result.files["progress"].lazy_bytes(MemoryBytes(progress))
    return result


def judged(
    old: bytes, new: bytes, fast: bool, tmp: Path, validity: bool = True, lazy: bool = False
) -> list[tuple[Any, ...]]:
    facts = FactsCache(tmp, persist=False, folder=tmp / "facts")
    context = AuditContext(tmp, label="commit x", fast_path=fast, facts=facts, judge_validity=validity)
    before, after = state(old, lazy), state(new, lazy)
    found = judge_transition(before, after, None, [before], context)
    return [(f.rule, f.file, f.message, f.line, f.hint) for f in found]


@pytest.mark.slow
@SETTINGS
@given(histories(), st.booleans())
def test_the_fast_path_and_the_full_judgement_agree(
    tmp_path_factory: Any, history: tuple[bytes, bytes], validity: bool
) -> None:
    tmp = tmp_path_factory.mktemp("fast")
    old, new = history
    full = judged(old, new, False, tmp, validity)
    assert judged(old, new, True, tmp, validity) == full
    assert judged(old, new, True, tmp, validity, lazy=True) == full  # the log read in parts, as from a pack
    context = AuditContext(tmp, facts=FactsCache(tmp, persist=False, folder=tmp / "facts"), judge_validity=validity)
    event("fast path" if fast_accept([state(old)], state(new), context) else "full judgement")


@pytest.mark.slow
@SETTINGS
@given(histories())
def test_the_added_bytes_read_alone_give_the_whole_logs_entries(history: tuple[bytes, bytes]) -> None:
    old, new = history
    try:
        old_doc = load_yaml(old, "p")
    except YamlError:
        return
    facts = log_facts(old, old_doc)
    if facts is None:
        return
    added = appended(facts, old, new, "p")
    if added is None:
        return
    whole = load_yaml(new, "p").data
    assert repr(whole["entries"]) == repr(old_doc.data["entries"] + added.entries)
    assert {k: v for k, v in whole.items() if k != "entries"} == {
        k: v for k, v in old_doc.data.items() if k != "entries"
    }


def test_a_plain_append_takes_the_fast_path(tmp_path: Path) -> None:
    """The property is not vacuous: an ordinary append is accepted without reading the old log again."""
    items = [
        {"task_id": "task-1", "timestamp": f"2025-01-01T00:00:0{i}.000000000Z", "evidence": "ok"} for i in range(3)
    ]
    old = _bytes(log(items[:2], "double"))
    new = old + _bytes(render(items[2], "double"))
    facts = FactsCache(tmp_path, persist=False, folder=tmp_path / "facts")
    context = AuditContext(tmp_path, label="commit x", facts=facts)
    assert fast_accept([state(old)], state(new), context)
    assert facts.full_reads == 1  # the old log, once; the new one's facts come from the added entries
    newer = new + _bytes(render({**items[2], "timestamp": "2025-01-01T00:00:09.000000000Z"}, "double"))
    assert fast_accept([state(new)], state(newer), context)
    assert facts.full_reads == 1
    assert judged(old, new, False, tmp_path) == []


def test_a_plain_append_to_a_log_read_in_parts_reads_neither_log_whole(tmp_path: Path) -> None:
    """What a walk over a long packed log costs: the old log once (its facts), then only what each commit
    adds. The last entry may be longer than the first part read of a log's end."""
    items = [
        {"task_id": "task-1", "timestamp": f"2025-01-01T00:00:0{i}.000000000Z", "evidence": "ok " * (i * 15000)}
        for i in range(4)
    ]
    logs = [_bytes(log(items[:n], "double")) for n in (2, 3, 4)]
    facts = FactsCache(tmp_path, persist=False, folder=tmp_path / "facts")
    context = AuditContext(tmp_path, label="commit x", facts=facts)
    states = [state(raw, lazy=True) for raw in logs]
    assert fast_accept([states[0]], states[1], context)
    assert fast_accept([states[1]], states[2], context)
    lazies = [s.files["progress"].lazy for s in states]
    assert [lazy.reads if isinstance(lazy, MemoryBytes) else "read" for lazy in lazies] == ["read", 0, 0]
    assert facts.full_reads == 1
    assert len(logs[2]) - len(logs[1]) > 65536  # the last entry is longer than the first part read
