"""The YAML emitter, atomic writes, the workspace lock and the workspace file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support.cli import small
from support.repo import init_workspace

from small_git.errors import SmallError
from small_git.protocol.emitter import emit_document, quote
from small_git.protocol.yamlsafe import load_yaml
from small_git.store.atomic import atomic_write
from small_git.store.lock import workspace_lock
from small_git.store.progress_log import append_entries
from small_git.store.workspace_file import set_run_replay_id

SCALARS = st.one_of(
    st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_quoted_strings_read_back_identically_in_both_loaders(text: str) -> None:
    line = f"value: {quote(text)}\n"
    assert "\n" not in line[:-1]
    assert load_yaml(line.encode("utf-8"), "t").data == {"value": text}
    assert yaml.safe_load(line) == {"value": text}


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1), VALUES, max_size=5))
def test_documents_round_trip(data: dict) -> None:
    assert load_yaml(emit_document(data), "t").data == data


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1), st.text())
def test_appended_entries_read_back_identically(
    tmp_path_factory: pytest.TempPathFactory, task: str, notes: str
) -> None:
    root = tmp_path_factory.mktemp("log")
    (root / ".small").mkdir()
    if not task.strip():
        return
    append_entries(root, [{"task_id": "a", "evidence": "seed"}])
    written = append_entries(root, [{"task_id": task, "evidence": {"ref": notes}, "notes": notes}])
    entries = load_yaml((root / ".small/progress.small.yml").read_bytes(), "p").data["entries"]
    assert entries[-1] == written[0]


def test_atomic_write_replaces_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "plan.small.yml"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and (os.stat(target).st_mode & 0o777) == 0o600
    assert os.listdir(tmp_path) == ["plan.small.yml"]
    with pytest.raises(SmallError):
        atomic_write(tmp_path / "missing-dir" / "x", b"data")


def test_lock_excludes_another_process_and_times_out(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\n"
            "from small_git.store.lock import workspace_lock\n"
            "with workspace_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(30)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(SmallError, match="workspace lock"), workspace_lock(tmp_path, timeout=0.3):
            pass
        assert time.monotonic() - started >= 0.3
    finally:
        holder.kill()
        holder.wait()
    with workspace_lock(tmp_path, timeout=5):  # released when its holder dies
        assert (tmp_path / ".small-cache" / "lock").exists()


def test_workspace_file_changes_only_when_its_content_does(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Two", *d)
    path = root / ".small/workspace.small.yml"
    before = (path.read_bytes(), os.stat(path).st_mtime_ns, os.stat(path).st_ino)
    small(tmp_path, "progress", "add", "--task", "task-2", "--status", "in_progress", "--no-commit-evidence", *d)
    small(tmp_path, "checkpoint", "--task", "task-2", "--status", "completed", "--no-commit-evidence", *d)
    small(tmp_path, "handoff", *d)
    assert set_run_replay_id(root, load_yaml(before[0], "w").data["run"]["replay_id"].upper()) is False
    assert (path.read_bytes(), os.stat(path).st_mtime_ns, os.stat(path).st_ino) == before


@pytest.mark.parametrize(
    "command", [["init"], ["plan"], ["progress", "add"], ["checkpoint"], ["handoff"], ["reset"], ["fix"], ["progress"]]
)
def test_help_has_one_line_and_an_example(tmp_path: Path, command: list[str]) -> None:
    code, out, _ = small(tmp_path, *command, "--help")
    assert code == 0 and "Example:" in out and "\n    small " in out
    assert len(out.split("\n\n")[1].strip().splitlines()) == 1  # the description fits on one line
