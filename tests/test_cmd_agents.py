"""`small agents apply|check|print`: the bounded block in AGENTS.md (reference §7.20 composition rules)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import small

from small_git.workflow.agents_md import BEGIN_MARKER, END_MARKER, canonical_block, compose

BLOCK = canonical_block()


def test_missing_file_is_created_with_exactly_the_block(tmp_path: Path) -> None:
    done = small(tmp_path, "agents", "apply")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "AGENTS.md").read_text() == BLOCK
    assert BLOCK.startswith(BEGIN_MARKER + "\n") and BLOCK.endswith(END_MARKER + "\n")


def test_block_tells_agents_how_to_work_here() -> None:
    for phrase in (
        "handoff.small.yml",
        "progress add",
        "checkpoint",
        "draft",
        "accept",
        "check --strict",
        "Ownership Rules",
        "Artifact Rules",
        "Strict Mode Rules",
    ):
        assert phrase in BLOCK


def test_existing_block_is_replaced_in_place_keeping_surroundings(tmp_path: Path) -> None:
    old = (
        f"# Project\n\nintro\n\n\n{BEGIN_MARKER.replace('1.0.0', '0.9.0')}\nold text\n"
        f"{END_MARKER.replace('1.0.0', '0.9.0')}\n\n\n## After\nmore\n"
    )
    (tmp_path / "AGENTS.md").write_text(old)
    done = small(tmp_path, "agents", "apply")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "AGENTS.md").read_text() == "# Project\n\nintro\n\n" + BLOCK + "\n## After\nmore\n"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("", "", BLOCK),
        ("", "tail\n", BLOCK + "\ntail\n"),
        ("head\n", "", "head\n\n" + BLOCK),
        ("head", "tail", "head\n\n" + BLOCK + "\ntail"),
    ],
)
def test_replacement_composition_rules(before: str, after: str, expected: str) -> None:
    existing = before + f"{BEGIN_MARKER}\nstale\n{END_MARKER}" + after
    assert compose(existing, None, False) == expected


def test_file_without_block_needs_a_mode(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("# Mine\n")
    done = small(tmp_path, "agents", "apply")
    assert done.returncode == 2
    assert "--agents-mode" in done.stderr
    assert (tmp_path / "AGENTS.md").read_text() == "# Mine\n"


def test_append_prepend_and_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "AGENTS.md"
    target.write_text("\n  # Mine  \n\n")
    assert small(tmp_path, "agents", "apply", "--agents-mode", "append").returncode == 0
    assert target.read_text() == "# Mine\n\n" + BLOCK
    target.write_text("# Mine\n")
    assert small(tmp_path, "agents", "apply", "--agents-mode", "prepend").returncode == 0
    assert target.read_text() == BLOCK + "\n# Mine\n"
    target.write_text("# Mine\n")
    assert small(tmp_path, "agents", "apply", "--force").returncode == 0
    assert target.read_text() == BLOCK


def test_dry_run_and_print_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("# Mine\n")
    dry = small(tmp_path, "agents", "apply", "--agents-mode", "append", "--dry-run")
    assert dry.returncode == 0 and "+" + BEGIN_MARKER in dry.stdout
    shown = small(tmp_path, "agents", "apply", "--agents-mode", "append", "--print")
    assert shown.stdout == "# Mine\n\n" + BLOCK
    assert (tmp_path / "AGENTS.md").read_text() == "# Mine\n"


def test_custom_file_and_dir(tmp_path: Path) -> None:
    sub = tmp_path / "docs"
    sub.mkdir()
    assert small(tmp_path, "agents", "apply", "--dir", "docs", "--file", "GOVERNANCE.md").returncode == 0
    assert (sub / "GOVERNANCE.md").read_text() == BLOCK
    assert not (tmp_path / "AGENTS.md").exists()


@pytest.mark.parametrize(
    "text",
    [
        f"{BEGIN_MARKER}\nx\n",
        f"x\n{END_MARKER}\n",
        f"{END_MARKER}\n{BEGIN_MARKER}\n",
        f"{BEGIN_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}\n",
        f"{BEGIN_MARKER}\n{END_MARKER}\n{END_MARKER}\n",
    ],
)
def test_malformed_markers_fail_apply_and_check_without_writing(tmp_path: Path, text: str) -> None:
    (tmp_path / "AGENTS.md").write_text(text)
    applied = small(tmp_path, "agents", "apply", "--force")
    assert applied.returncode == 1
    assert (tmp_path / "AGENTS.md").read_text() == text
    checked = small(tmp_path, "agents", "check", "--format", "json")
    assert checked.returncode == 1
    assert "marker" in json.loads(checked.stdout)["error"]


def test_check_reports_missing_drift_and_ok(tmp_path: Path) -> None:
    assert small(tmp_path, "agents", "check").returncode == 1
    assert small(tmp_path, "agents", "check", "--allow-missing").returncode == 0
    target = tmp_path / "AGENTS.md"
    target.write_text("# no block\n")
    assert small(tmp_path, "agents", "check").returncode == 0
    assert small(tmp_path, "agents", "check", "--strict").returncode == 1
    target.write_text(BLOCK.replace("Read `.small/handoff.small.yml` first", "Skim the handoff"))
    assert small(tmp_path, "agents", "check").returncode == 0
    drift = small(tmp_path, "agents", "check", "--strict", "--json")
    assert drift.returncode == 1
    report = json.loads(drift.stdout)
    assert report["hasDrift"] is True and report["blockValid"] is True and report["blockVersion"] == "1.0.0"
    target.write_text(f"{BEGIN_MARKER}\nsomething else\n{END_MARKER}\n")
    assert small(tmp_path, "agents", "check").returncode == 1  # lacks the required sections
    target.write_text("intro\n\n" + BLOCK)
    ok = small(tmp_path, "agents", "check", "--strict", "--json")
    assert ok.returncode == 0, ok.stdout
    report = json.loads(ok.stdout)
    assert report["hasDrift"] is False
    assert report["blockSpan"] == [len("intro\n\n"), len("intro\n\n" + BLOCK) - 1]


def test_print_variants(tmp_path: Path) -> None:
    assert small(tmp_path, "agents", "print").stdout == BLOCK
    bare = small(tmp_path, "agents", "print", "--with-markers=false").stdout
    assert BEGIN_MARKER not in bare and bare.startswith("# SMALL Execution Harness")
    plain = small(tmp_path, "agents", "print", "--format", "plain").stdout
    assert "`" not in plain and "SMALL Execution Harness" in plain
    assert small(tmp_path, "agents", "print", "--format", "html").returncode == 2


def test_apply_is_idempotent_and_keeps_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("")
    (tmp_path / "AGENTS.md").symlink_to(real)
    assert small(tmp_path, "agents", "apply").returncode == 0
    again = small(tmp_path, "agents", "apply")
    assert again.returncode == 0 and "up to date" in again.stdout
    assert (tmp_path / "AGENTS.md").is_symlink() and real.read_text() == BLOCK


def test_help_has_an_example(tmp_path: Path) -> None:
    for sub in ("apply", "check", "print"):
        assert "Example:" in small(tmp_path, "agents", sub, "--help").stdout
