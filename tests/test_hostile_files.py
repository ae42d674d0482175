"""Every command over canonical files that must not be read: FIFOs, devices, directories, looping or escaping
symlinks, files over the size limit. Each command ends at once with exit 0, 1 or 2 (2 naming the file), never
hangs, never balloons (the child runs under an address-space limit) and never exits 3; a symlink chain that
stays inside the workspace is read like the file it leads to.

Each case runs the CLI in a forked child, so that a hang is a timeout and not a stuck test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.cli import forked_small
from support.repo import init_workspace

import small_git.cli.app  # noqa: F401 - imported once here, so that each forked child starts at once
import small_git.protocol.checker  # noqa: F401

FILES = ("plan", "progress", "handoff", "workspace", "intent", "constraints")
KINDS = ("fifo", "dev-zero", "dev-urandom", "symlink-loop", "escaping-symlink", "directory", "over-the-limit")
COMMANDS = {
    "progress add": ["progress", "add", "--task", "task-1", "--status", "in_progress", "--no-commit-evidence"],
    "checkpoint": ["checkpoint", "--task", "task-1", "--status", "in_progress", "--no-commit-evidence"],
    "plan --add": ["plan", "--add", "Another task"],
    "handoff": ["handoff"],
    "reset": ["reset", "--yes"],
    "fix": ["fix"],
    "apply": ["apply", "--task", "task-1", "--", "true"],
    "redact": ["redact", "--entry", "0", "--field", "evidence"],
    "status": ["status"],
    "emit": ["emit"],
    "doctor": ["doctor"],
    "check": ["check", "--strict"],
}
TIMEOUT = 60.0
ADDRESS_SPACE = 2 << 30  # a command that reads /dev/zero into memory meets MemoryError long before this
LIMIT = 4096


def _plant(root: Path, kind: str, hostile: str) -> dict[str, str]:
    path = root / ".small" / f"{kind}.small.yml"
    path.unlink()
    if hostile == "fifo":
        os.mkfifo(path)
    elif hostile == "dev-zero":
        path.symlink_to("/dev/zero")
    elif hostile == "dev-urandom":
        path.symlink_to("/dev/urandom")
    elif hostile == "symlink-loop":
        path.symlink_to(path.name + ".2")
        (path.parent / (path.name + ".2")).symlink_to(path.name)
    elif hostile == "escaping-symlink":
        outside = root.parent / f"outside-{kind}.yml"
        outside.write_text('small_version: "1.0.0"\n')
        path.symlink_to(outside)
    elif hostile == "directory":
        path.mkdir()
    elif hostile == "over-the-limit":
        path.write_text('small_version: "1.0.0"\n# ' + "x" * LIMIT + "\n")
        return {"SMALL_MAX_FILE_BYTES": str(LIMIT)}
    return {}


def _run_forked(root: Path, args: list[str], env: dict[str, str]) -> tuple[int | None, str]:
    """(exit code, its output) of `small ARGS` in a forked child with a bounded address space; a child that
    has to be killed fails the test."""
    where = [*args, "--dir", str(root)] if args[0] != "apply" else [args[0], "--dir", str(root), *args[1:]]
    result = forked_small(root, *where, env=env, timeout=TIMEOUT, memory_limit=ADDRESS_SPACE)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "ws"

    init_workspace(root)
    return root


@pytest.mark.parametrize("hostile", KINDS)
@pytest.mark.parametrize("kind", FILES)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_commands_refuse_files_they_must_not_read(
    template: Path, tmp_path: Path, command: str, kind: str, hostile: str
) -> None:
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(template, root, symlinks=True)
    env = _plant(root, kind, hostile)
    code, output = _run_forked(root, COMMANDS[command], env)
    assert code is not None, f"{command} hangs on a {hostile} {kind} file"
    assert code in (0, 1, 2), f"{command} exited {code} on a {hostile} {kind} file:\n{output}"
    assert "internal error" not in output and "Traceback" not in output, output
    if code == 2:
        assert f"{kind}.small.yml" in output, output


@pytest.mark.parametrize("command", ["progress add", "checkpoint", "plan --add", "handoff", "status", "check"])
def test_a_symlink_chain_inside_the_workspace_reads_like_its_target(
    template: Path, tmp_path: Path, command: str
) -> None:
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(template, root, symlinks=True)
    plan = root / ".small/plan.small.yml"
    (root / "plans").mkdir()
    (root / "plans/real.yml").write_bytes(plan.read_bytes())
    (root / "plans/link.yml").symlink_to("real.yml")
    plan.unlink()
    plan.symlink_to("../plans/link.yml")
    code, output = _run_forked(root, COMMANDS[command], {})
    assert code in (0, 1), f"{command} exited {code}:\n{output}"
