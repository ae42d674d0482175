"""Interop: every workspace the reference judged valid stays valid after small-git appends, checkpoints and
regenerates the handoff, and the old log bytes stay a prefix whenever the log was appendable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.paths import CONFORMANCE
from support.workspace import check_exit, progress_bytes

from small_git.commands import checkpoint, handoff, progress
from small_git.errors import SmallError
from small_git.protocol import lifecycle
from small_git.protocol.yamlsafe import load_yaml


def _valid_cases() -> list[tuple[str, bool]]:
    index = CONFORMANCE / "INDEX.tsv"
    if not index.is_file():
        return []
    lines = index.read_text().splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]
    return [
        (r["case"], r.get("check_strict") == "0")
        for r in rows
        if r.get("check") == "0" and (CONFORMANCE / "cases" / r["case"] / ".small").is_dir()
    ]


@pytest.mark.skipif(not _valid_cases(), reason="conformance corpus not present")
@pytest.mark.parametrize(("case", "strict_ok"), _valid_cases(), ids=lambda v: str(v))
def test_reference_valid_workspace_stays_valid_after_writes(
    tmp_path: Path, case: str, strict_ok: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(CONFORMANCE / "cases" / case / ".small", root / ".small")
    try:
        verdict, strict_verdict = check_exit(root), check_exit(root, strict=True)
    except SmallError:
        pytest.skip("small-git cannot read this case (a documented deviation)")
    if verdict != 0:
        pytest.skip("small-git judges this case invalid (a documented deviation)")
    before = progress_bytes(root)
    progress.run(
        progress.ProgressRequest(
            "meta/interop",
            "in_progress",
            "appended by small-git",
            directory=str(root),
            scope="any",
            commit_evidence=False,
        )
    )
    after = progress_bytes(root)
    data = load_yaml(after, "progress").data
    assert data["entries"][:-1] == (load_yaml(before, "progress").data.get("entries") or [])
    plan = load_yaml((root / ".small/plan.small.yml").read_bytes(), "plan").data
    open_tasks = [
        t["id"]
        for t in plan.get("tasks") or []
        if isinstance(t, dict)
        and isinstance(t.get("id"), str)
        and lifecycle.normalise(t.get("status")) in ("pending", "in_progress")
    ]
    if open_tasks:
        checkpoint.run(
            checkpoint.CheckpointRequest(
                open_tasks[0],
                "completed",
                "verified by the interop test",
                directory=str(root),
                scope="any",
                commit_evidence=False,
            )
        )
    handoff.run(handoff.HandoffRequest(directory=str(root), scope="any", record_commit=False))
    capsys.readouterr()
    assert check_exit(root) == 0
    if strict_ok and strict_verdict == 0:
        assert check_exit(root, strict=True) == 0


def test_reference_style_logs_are_appended_not_rewritten(tmp_path: Path) -> None:
    cases = [c for c, _ in _valid_cases()]
    if not cases:
        pytest.skip("conformance corpus not present")
    appended = 0
    for case in cases:
        root = tmp_path / case
        shutil.copytree(CONFORMANCE / "cases" / case / ".small", root / ".small")
        before = progress_bytes(root)
        if b"entries: []" in before or b"{" in before.split(b"entries:")[0]:
            continue
        try:
            progress.run(
                progress.ProgressRequest(
                    "meta/interop", "pending", directory=str(root), scope="any", commit_evidence=False
                )
            )
        except SmallError:
            continue
        if progress_bytes(root).startswith(before):
            appended += 1
    assert appended >= len(cases) // 2
