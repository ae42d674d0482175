"""The wheel carries what the installed tool needs at run time: the schemas and the hook template."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def build_wheel(out: Path) -> Path:
    pytest.importorskip("hatchling", reason="hatchling builds the wheel offline; scripts/setup.sh installs it")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = out.glob("small_git-*.whl")
    return wheel


def test_wheel_holds_schemas_hook_template_and_entry_points(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in ("intent", "constraints", "plan", "progress", "handoff", "workspace"):
        assert f"small_git/schemas/{kind}.schema.json" in names
    assert "small_git/hooks/shim.sh" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "small = small_git.cli:main" in text and "git-small = small_git.cli:main" in text


def test_installed_wheel_checks_a_workspace_outside_the_source_tree(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    workspace = tmp_path / "ws"
    init = subprocess.run(
        [sys.executable, "-m", "small_git", "init", "--dir", str(workspace)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr
    check = subprocess.run(
        [sys.executable, "-m", "small_git", "check", "--strict", "--dir", str(workspace)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    # the schemas came from the installed package, not from this checkout
    located = subprocess.run(
        [sys.executable, "-c", "from small_git.protocol.schemas import schema_dir; print(schema_dir())"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
    )
    assert located.stdout.strip().startswith(str(target)), located.stdout
