"""The wheel carries what the installed tool needs at run time: the schemas and the hook template."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from support.cli import run


def test_wheel_holds_schemas_hook_template_and_entry_points(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in ("intent", "constraints", "plan", "progress", "handoff", "workspace"):
        assert f"small_git/schemas/{kind}.schema.json" in names
    assert "small_git/hooks/shim.sh" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "small = small_git.cli:main" in text and "git-small = small_git.cli:main" in text


def test_installed_wheel_checks_a_workspace_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    run(tmp_path, sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, wheel, check=True)
    workspace = tmp_path / "ws"
    installed = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}  # the wheel first; no console scripts
    init = run(tmp_path, sys.executable, "-m", "small_git", "init", "--dir", workspace, env=installed)
    assert init.returncode == 0, init.stderr
    check = run(tmp_path, sys.executable, "-m", "small_git", "check", "--strict", "--dir", workspace, env=installed)
    assert check.returncode == 0, check.stderr
    # the schemas came from the installed package, not from this checkout
    code = "from small_git.protocol.schemas import schema_dir; print(schema_dir())"
    located = run(tmp_path, sys.executable, "-c", code, env=installed)
    assert located.stdout.strip().startswith(str(target)), located.stdout
