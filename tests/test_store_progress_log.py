"""The progress log: byte appends, bounded I/O, normalisation, timestamps, size limit, torn tails."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from small_git.commands import fix
from small_git.errors import SmallError
from small_git.protocol.timestamps import format_ns, parse_ns
from small_git.protocol.yamlsafe import load_yaml
from small_git.store import progress_log
from small_git.store.progress_log import IO, TornEntryError, append_entries, drop_torn_tail, find_torn_tail
from small_git.store.templates import CONSTRAINTS_TEMPLATE, INTENT_TEMPLATE, PLAN_TEMPLATE

HEADER = b'small_version: "1.0.0"\nowner: "agent"\nentries:\n'


def workspace(tmp_path: Path, log: bytes | None) -> Path:
    (tmp_path / ".small").mkdir()
    if log is not None:
        (tmp_path / ".small" / "progress.small.yml").write_bytes(log)
    return tmp_path


def full_workspace(tmp_path: Path, log: bytes) -> Path:
    """A workspace with all six files, so that fix has nothing to report but the log."""
    root = workspace(tmp_path, log)
    for kind, data in (("intent", INTENT_TEMPLATE), ("constraints", CONSTRAINTS_TEMPLATE), ("plan", PLAN_TEMPLATE)):
        (root / ".small" / f"{kind}.small.yml").write_bytes(data)
    (root / ".small/workspace.small.yml").write_text('small_version: "1.0.0"\nowner: "agent"\nkind: repo-root\n')
    (root / ".small/handoff.small.yml").write_text(
        'small_version: "1.0.0"\nowner: "agent"\nsummary: "s"\nresume:\n  next_steps: []\nlinks: []\n'
    )
    return root


def entries(root: Path) -> list[dict]:
    return load_yaml((root / ".small/progress.small.yml").read_bytes(), "p").data["entries"]


def block_log(count: int, notes: str = "n") -> bytes:
    base = parse_ns("2026-01-01T00:00:00.000000000Z")
    items = [
        f'  - task_id: "task-1"\n    status: "in_progress"\n    evidence: "step {i}"\n    notes: "{notes}"\n'
        f'    timestamp: "{format_ns(base + i * 1000)}"\n'
        for i in range(count)
    ]
    return HEADER + "".join(items).encode()


def test_append_keeps_old_bytes_as_prefix_and_parses(tmp_path: Path) -> None:
    root = workspace(tmp_path, block_log(3))
    before = (root / ".small/progress.small.yml").read_bytes()
    written = append_entries(root, [{"task_id": "task-2", "status": "completed", "evidence": 'a "quoted"\nline'}])
    after = (root / ".small/progress.small.yml").read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    assert entries(root)[-1] == written[0]
    assert yaml.safe_load(after)["entries"][-1]["evidence"] == 'a "quoted"\nline'
    assert list(written[0])[-1] == "timestamp"  # written last: a torn append always lacks it


def test_append_reads_and_writes_the_same_bytes_for_10_and_100000_entries(tmp_path: Path) -> None:
    counts = []
    for size in (10, 100_000):
        (tmp_path / str(size)).mkdir()
        log = block_log(size)
        root = workspace(tmp_path / str(size), log)
        IO.reset()
        append_entries(
            root,
            [
                {
                    "task_id": "task-1",
                    "status": "completed",
                    "evidence": "done",
                    "timestamp": "2027-01-01T00:00:00.000000000Z",
                }
            ],
        )
        counts.append((IO.bytes_read, IO.bytes_written))
        after = (root / ".small/progress.small.yml").read_bytes()
        assert after.startswith(log) and after.count(b"\n  - task_id: ") == size + 1
    assert counts[0] == counts[1]
    assert counts[0][0] <= 2 * progress_log.HEAD_CHUNK + 2 * progress_log.TAIL_CHUNK


@pytest.mark.parametrize(
    "log",
    [
        HEADER.replace(b"entries:\n", b"entries: []\n"),
        b'{"small_version": "1.0.0", "owner": "agent", "entries": [{"task_id": "a", "status": "pending", '
        b'"evidence": "e", "timestamp": "2026-01-01T00:00:00.5Z"}]}\n',
        block_log(2) + b"...\n",
        b'entries:\n  - task_id: "a"\n    evidence: "e"\n    timestamp: "2026-01-01T00:00:00.5Z"\n'
        b'owner: agent\nsmall_version: "1.0.0"\n',
        b"",
        None,
    ],
    ids=["empty-list", "flow", "document-end", "entries-not-last", "empty-file", "missing"],
)
def test_logs_that_cannot_be_appended_to_are_normalised_once(tmp_path: Path, log: bytes | None) -> None:
    root = workspace(tmp_path, log)
    old = (load_yaml(log, "p").data or {}).get("entries") or [] if log else []
    append_entries(root, [{"task_id": "t", "status": "pending", "evidence": "e"}])
    normalised = (root / ".small/progress.small.yml").read_bytes()
    data = load_yaml(normalised, "p").data
    assert data["entries"][: len(old)] == old and len(data["entries"]) == len(old) + 1
    assert normalised.startswith(b'small_version: "1.0.0"\nowner:')
    append_entries(root, [{"task_id": "t", "status": "completed", "evidence": "e"}])
    assert (root / ".small/progress.small.yml").read_bytes().startswith(normalised)


def test_reference_style_four_space_log_is_appended_with_its_indentation(tmp_path: Path) -> None:
    log = (
        b'small_version: "1.0.0"\nowner: agent\nentries:\n    - evidence: |-\n        line one\n'
        b"        - not an item\n      notes: x\n      task_id: meta/init\n"
        b'      timestamp: "2026-02-01T10:00:00.000000001Z"\n'
    )
    root = workspace(tmp_path, log)
    append_entries(root, [{"task_id": "task-1", "status": "pending", "evidence": "e"}])
    raw = (root / ".small/progress.small.yml").read_bytes()
    assert raw.startswith(log) and b'\n    - task_id: "task-1"\n' in raw
    assert [e["task_id"] for e in entries(root)] == ["meta/init", "task-1"]


def test_timestamps_strictly_increase_even_when_the_clock_is_behind(tmp_path: Path) -> None:
    future = "2999-01-01T00:00:00.000000000Z"
    root = workspace(tmp_path, HEADER + f'  - task_id: "a"\n    evidence: "e"\n    timestamp: "{future}"\n'.encode())
    written = append_entries(root, [{"task_id": "a", "evidence": "1"}, {"task_id": "a", "evidence": "2"}])
    assert [parse_ns(w["timestamp"]) for w in written] == [parse_ns(future) + 1, parse_ns(future) + 2]
    assert all(len(w["timestamp"]) == len("2026-01-01T00:00:00.000000000Z") for w in written)
    with pytest.raises(SmallError, match="not after the last progress entry"):
        append_entries(root, [{"task_id": "a", "evidence": "x", "timestamp": "2998-01-01T00:00:00.1Z"}])


def test_entry_size_limit_and_unknown_fields_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = workspace(tmp_path, block_log(1))
    before = (root / ".small/progress.small.yml").read_bytes()
    with pytest.raises(SmallError, match="over the 65536-byte limit"):
        append_entries(root, [{"task_id": "a", "evidence": "x" * 70_000}])
    with pytest.raises(SmallError, match="no field 'agent_id'"):
        append_entries(root, [{"task_id": "a", "evidence": "x", "agent_id": "me"}])
    monkeypatch.setenv("SMALL_MAX_ENTRY_BYTES", "100")
    with pytest.raises(SmallError, match="100-byte limit"):
        append_entries(root, [{"task_id": "a", "evidence": "x" * 200}])
    assert (root / ".small/progress.small.yml").read_bytes() == before


def test_replay_id_of_the_run_is_attached(tmp_path: Path) -> None:
    root = workspace(tmp_path, block_log(1))
    (root / ".small/workspace.small.yml").write_text('kind: repo-root\nrun:\n  replay_id: "' + "Ab" * 32 + '"\n')
    written = append_entries(
        root, [{"task_id": "a", "evidence": "x"}, {"task_id": "b", "evidence": "y", "replayId": "c" * 64}]
    )
    assert written[0]["replayId"] == "ab" * 32 and written[1]["replayId"] == "c" * 64


@pytest.mark.slow
def test_every_truncation_of_the_final_entry_is_valid_or_repairable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = full_workspace(tmp_path, block_log(3))
    before = (root / ".small/progress.small.yml").read_bytes()
    append_entries(
        root,
        [
            {
                "task_id": "task-9",
                "status": "completed",
                "evidence": {"type": "commit", "ref": "x"},
                "notes": "multi\nline",
                "commit": "0123456789ab",
            }
        ],
    )
    full = (root / ".small/progress.small.yml").read_bytes()
    for cut in range(len(before), len(full)):
        (root / ".small/progress.small.yml").write_bytes(full[:cut])
        torn = find_torn_tail(root)
        if torn is None:
            data = load_yaml(full[:cut], "p").data["entries"]
            assert data[:3] == load_yaml(before, "p").data["entries"]
            assert len(data) == 3 or (len(data) == 4 and data[3]["timestamp"])
            continue
        with pytest.raises(TornEntryError):
            append_entries(root, [{"task_id": "x", "evidence": "y"}])
        assert fix.run(fix.FixRequest(str(root), scope="any")) == 0  # the real repair command
        repaired = (root / ".small/progress.small.yml").read_bytes()
        assert repaired == before, cut
        append_entries(root, [{"task_id": "x", "evidence": "y"}])
        assert (root / ".small/progress.small.yml").read_bytes().startswith(before)


def test_a_torn_only_entry_leaves_an_empty_list(tmp_path: Path) -> None:
    root = workspace(tmp_path, HEADER + b'  - task_id: "a"\n    evidence: "e"\n    timest')
    torn = find_torn_tail(root)
    assert torn is not None and torn.offset == len(HEADER)
    drop_torn_tail(root, torn)
    assert load_yaml((root / ".small/progress.small.yml").read_bytes(), "p").data["entries"] == []


def test_a_complete_entry_with_a_malformed_timestamp_is_not_a_tear(tmp_path: Path) -> None:
    log = HEADER + b'  - task_id: "a"\n    evidence: "e"\n    timestamp: "2025-01-02T00:00:00Z"\n'
    root = workspace(tmp_path, log)
    assert find_torn_tail(root) is None
    append_entries(root, [{"task_id": "b", "evidence": "e"}])
    assert (root / ".small/progress.small.yml").read_bytes().startswith(log)
    assert [e["task_id"] for e in entries(root)] == ["a", "b"]


def test_a_quoted_line_that_looks_like_an_entry_is_no_tear(tmp_path: Path) -> None:
    """The tail scan takes the quoted continuation line for an entry start; the real parser decides."""
    log = HEADER + b'  - task_id: "a"\n    evidence: "first line\n  - looks like an item"\n    timestamp: bad\n'
    root = workspace(tmp_path, log)
    assert find_torn_tail(root) is None
    append_entries(root, [{"task_id": "b", "evidence": "e"}])
    assert (root / ".small/progress.small.yml").read_bytes().startswith(log)
    assert [e["task_id"] for e in entries(root)] == ["a", "b"]


COMPLETE = b'  - task_id: "a"\n    evidence: "e"\n    timestamp: "2025-01-01T00:00:00.000000001Z"\n'
T2 = b'timestamp: "2025-01-01T00:00:00.000000002Z"\n'
# Logs whose last entry is laid out other than small-git's way, so that they do not parse: nothing in them is
# an interrupted append, and fix must leave every byte alone.
FOREIGN_TAILS = {
    "indented 3": b'   - task_id: "b"\n     evidence: "e"\n     ' + T2,
    "indented 4": b'    - task_id: "b"\n      evidence: "e"\n      ' + T2,
    "tab after the dash": b'  -\ttask_id: "b"\n    evidence: "e"\n    ' + T2,
    "no space after the dash": b'  -task_id: "b"\n    evidence: "e"\n    ' + T2,
    "junk after a complete entry": b"    ]\n",
}


@pytest.mark.parametrize("tail", list(FOREIGN_TAILS.values()), ids=list(FOREIGN_TAILS))
def test_fix_keeps_complete_entries_of_a_log_it_cannot_repair(
    tmp_path: Path, tail: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    log = HEADER + COMPLETE + tail
    root = full_workspace(tmp_path, log)
    assert find_torn_tail(root) is None
    assert fix.run(fix.FixRequest(str(root))) == 1
    assert (root / ".small/progress.small.yml").read_bytes() == log
    out = capsys.readouterr().out
    assert "does not parse" in out and "left alone" in out
    with pytest.raises(SmallError, match="progress.small.yml:"):
        append_entries(root, [{"task_id": "x", "evidence": "y"}])  # the loader's own error, not "torn"
    assert (root / ".small/progress.small.yml").read_bytes() == log


WELL_FORMED_LAYOUTS = {
    "dash on its own line": b'  -\n    task_id: "b"\n    evidence: "e"\n    ' + T2,
    "wide after the dash": b'  -   task_id: "b"\n      evidence: "e"\n      ' + T2,
    "timestamp first": b'  - timestamp: "2025-01-01T00:00:00.000000002Z"\n    task_id: "b"\n    evidence: "e"\n',
    "no newline at the end": b'  - task_id: "b"\n    evidence: "e"\n    ' + T2[:-1],
    "no timestamp, hand-written": b'  - evidence: "e"\n    task_id: "b"\n',
    "a plain scalar entry": b"  - a note written by hand\n",
}


@pytest.mark.parametrize("tail", list(WELL_FORMED_LAYOUTS.values()), ids=list(WELL_FORMED_LAYOUTS))
def test_a_log_that_parses_is_appended_to_and_never_cut(tmp_path: Path, tail: bytes) -> None:
    log = HEADER + COMPLETE + tail
    root = workspace(tmp_path, log)
    before = entries(root)
    assert find_torn_tail(root) is None
    append_entries(root, [{"task_id": "x", "evidence": "y"}])
    after = (root / ".small/progress.small.yml").read_bytes()
    assert after.startswith(log)
    assert entries(root)[:-1] == before and entries(root)[-1]["task_id"] == "x"


def test_fix_says_what_it_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = HEADER + COMPLETE
    root = full_workspace(tmp_path, log + b'  - task_id: "b"\n    evidence: "half a')
    assert fix.run(fix.FixRequest(str(root))) == 0
    assert (root / ".small/progress.small.yml").read_bytes() == log
    out = capsys.readouterr().out
    assert """dropped: '  - task_id: "b"\\n    evidence: "half a'""" in out
    assert ".small-cache/torn/" in out
