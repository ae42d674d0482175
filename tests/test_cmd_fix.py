"""`small fix`: torn final entry, small_version quoting, stale temp files, a handoff of an earlier run."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import small
from support.repo import init_workspace
from support.workspace import check_exit, progress_bytes

from small_git.protocol.yamlsafe import load_yaml


def test_fix_sets_aside_a_torn_final_entry(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "progress", "add", "--task", "task-1", "--status", "in_progress", "--no-commit-evidence", *d)
    intact = progress_bytes(root)
    small(tmp_path, "progress", "add", "--task", "task-1", "--status", "blocked", "--no-commit-evidence", *d)
    full = progress_bytes(root)
    (root / ".small/progress.small.yml").write_bytes(full[: len(intact) + 40])
    code, _, err = small(tmp_path, "progress", "add", "--task", "task-1", "--status", "pending", *d)
    assert code == 2 and "small fix" in err
    code, out, _ = small(tmp_path, "fix", *d)
    assert code == 0 and "set aside the incomplete last entry" in out
    assert progress_bytes(root) == intact
    saved = list((root / ".small-cache/torn").iterdir())
    assert len(saved) == 1 and saved[0].read_bytes() == full[len(intact) : len(intact) + 40]
    assert check_exit(root, strict=True) == 0
    assert small(tmp_path, "fix", *d)[1].startswith("Nothing to fix")


def test_fix_versions_and_temp_files(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    intent = root / ".small/intent.small.yml"
    intent.write_bytes(intent.read_bytes().replace(b'small_version: "1.0.0"', b"small_version: '1.0.0'  # v"))
    (root / ".small/.plan.small.yml.tmp-123-abcd").write_bytes(b"partial")
    log = progress_bytes(root)
    code, out, _ = small(tmp_path, "fix", "--versions", "--dir", str(root))
    assert code == 0 and "intent.small.yml: small_version quoted" in out
    assert intent.read_bytes().startswith(b'small_version: "1.0.0"  # v\n')
    assert (root / ".small/.plan.small.yml.tmp-123-abcd").exists()  # --versions does only that
    code, out, _ = small(tmp_path, "fix", "--dir", str(root))
    assert "removed .small/.plan.small.yml.tmp-123-abcd" in out
    assert progress_bytes(root) == log
    assert check_exit(root, strict=True) == 0


def test_fix_regenerates_a_handoff_of_an_earlier_run(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "plan", "--add", "Two", *d)
    small(tmp_path, "handoff", *d)
    old = (root / ".small/handoff.small.yml").read_bytes()
    small(tmp_path, "reset", "--yes", *d)
    (root / ".small/handoff.small.yml").write_bytes(old)  # as if reset died before its handoff write
    code, out, _ = small(tmp_path, "fix", *d)
    assert code == 0 and "regenerated for the current run" in out
    run_id = load_yaml((root / ".small/workspace.small.yml").read_bytes(), "w").data["run"]["replay_id"]
    assert load_yaml((root / ".small/handoff.small.yml").read_bytes(), "h").data["replayId"]["value"] == run_id


def test_orphan_rewrite_is_refused(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "p")
    code, _, err = small(tmp_path, "fix", "--orphan-progress", "--dir", str(root))
    assert code == 2 and "never" in err


INIT_ORDER = ("intent", "constraints", "plan", "workspace", "progress", "handoff")


@pytest.mark.parametrize("written", range(len(INIT_ORDER)), ids=lambda n: f"{n}-files-written")
def test_fix_completes_an_interrupted_init(tmp_path: Path, written: int) -> None:
    """init writes its files one by one, atomically: a kill leaves a prefix of them (and perhaps a temporary
    file), which fix completes, as `init --force` would."""
    root = init_workspace(tmp_path / "p", "--intent", "Ship the importer")
    for kind in INIT_ORDER[written:]:
        (root / f".small/{kind}.small.yml").unlink()
    (root / ".small/.handoff.small.yml.tmp-99-abcd").write_bytes(b"small_version: ")
    code, out, _ = small(tmp_path, "fix", "--dir", str(root))
    assert code == 0, out
    assert "completing an interrupted init" in out
    assert not (root / ".small/.handoff.small.yml.tmp-99-abcd").exists()
    assert check_exit(root, strict=True) == 0
    if written:
        assert "Ship the importer" in (root / ".small/intent.small.yml").read_text()


def test_fix_names_init_force_for_files_missing_after_work(tmp_path: Path) -> None:
    """Once work is logged, a missing file is not an interrupted init: fix names the repair, creates nothing."""
    root = init_workspace(tmp_path / "p")
    d = ["--dir", str(root)]
    small(tmp_path, "progress", "add", "--task", "task-1", "--status", "in_progress", "--no-commit-evidence", *d)
    (root / ".small/constraints.small.yml").unlink()
    code, out, _ = small(tmp_path, "fix", *d)
    assert code == 1
    assert "missing .small/constraints.small.yml: run small init --force" in out
    assert not (root / ".small/constraints.small.yml").exists()
