"""`small init`: the workspace it creates, --intent, --force, .gitignore."""

from __future__ import annotations

from pathlib import Path

from support.cli import small
from support.workspace import check_exit

from small_git.protocol.yamlsafe import load_yaml

FILES = ("intent", "constraints", "plan", "progress", "handoff", "workspace")


def test_init_creates_a_strict_valid_workspace(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    result = small(root, "init", check=True)
    assert "Initialized SMALL v1.0.0" in result.stdout
    for kind in FILES:
        assert (root / ".small" / f"{kind}.small.yml").is_file()
    entries = load_yaml((root / ".small/progress.small.yml").read_bytes(), "p").data["entries"]
    assert [(e["task_id"], e["status"]) for e in entries] == [("meta/init", "completed")]
    handoff = load_yaml((root / ".small/handoff.small.yml").read_bytes(), "h").data
    assert handoff["replayId"] == {
        "value": "840085fc39934e12924d1cfa912a7b1dd3fcd255658447526d651d06347146db",
        "source": "auto",
    }
    workspace = load_yaml((root / ".small/workspace.small.yml").read_bytes(), "w").data
    assert workspace["kind"] == "repo-root" and "run" not in workspace
    assert (root / ".gitignore").read_text() == ".small-cache/\n"
    assert check_exit(root, strict=True) == 0
    for kind in FILES:
        assert (root / ".small" / f"{kind}.small.yml").read_bytes().startswith(b'small_version: "1.0.0"\n')


def test_init_refuses_an_existing_workspace_and_force_only_fills_gaps(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".gitignore").write_text("node_modules/\n.small-cache/")
    small(root, "init", "--intent", "Ship the importer", check=True)
    small(
        root,
        "progress",
        "add",
        "--task",
        "task-1",
        "--status",
        "in_progress",
        "--no-commit-evidence",
        check=True,
    )
    log = (root / ".small/progress.small.yml").read_bytes()
    plan = (root / ".small/plan.small.yml").read_bytes()
    again = small(root, "init")
    assert again.returncode == 2 and "--force" in again.stderr
    (root / ".small/handoff.small.yml").unlink()
    (root / ".small/constraints.small.yml").unlink()
    forced = small(root, "init", "--force", check=True)
    assert "created .small/handoff.small.yml" in forced.stdout and "created .small/constraints" in forced.stdout
    assert "progress" not in forced.stdout
    assert (root / ".small/progress.small.yml").read_bytes() == log
    assert (root / ".small/plan.small.yml").read_bytes() == plan
    assert load_yaml((root / ".small/intent.small.yml").read_bytes(), "i").data["intent"] == "Ship the importer"
    assert (root / ".gitignore").read_text() == "node_modules/\n.small-cache/"


def test_init_dir_option_and_help(tmp_path: Path) -> None:
    result = small(tmp_path, "init", "--dir", str(tmp_path / "elsewhere"), check=True)
    assert (tmp_path / "elsewhere/.small/plan.small.yml").is_file(), result.stdout
    helped = small(tmp_path, "init", "--help", check=True)
    assert "Example:" in helped.stdout


def test_init_under_a_random_looking_path_passes_strict_check(tmp_path: Path) -> None:
    """A mktemp or macOS TMPDIR segment reads as a high-entropy token; the first entry names no path at all,
    so nothing init writes fails its own strict check (spec §4)."""
    root = tmp_path / "Qm3xT9vK2pL8nR4wZ7yB1cF6hJ0dS5gA" / "T" / "tmpa1B2c3D4"
    root.mkdir(parents=True)
    small(root, "init", check=True)
    assert check_exit(root, strict=True) == 0
    log = (root / ".small/progress.small.yml").read_text()
    assert str(tmp_path) not in log and "Qm3xT9vK2pL8nR4wZ7yB1cF6hJ0dS5gA" not in log
