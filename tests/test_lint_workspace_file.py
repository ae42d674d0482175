"""`lint` never parses workspace.small.yml, as in the reference: it only reads its text for the small_version
quoting rule. `check` and `verify`, which judge the workspace file, still refuse one that does not parse."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import run_reference
from support.paths import needs_reference
from support.repo import Repo, plain_workspace

BROKEN = {
    "does-not-parse": b'small_version: "1.0.0"\nkind: [unclosed\n',
    "not-utf8": b'small_version: "1.0.0"\nkind: "repo-root\xff"\n',
    "unquoted-version-and-broken": b"small_version: 1.0.0\nkind: {\n",
}
# (command, exit code) for each broken file: lint passes (format-strict fails on the unquoted version only)
EXPECTED = {
    ("lint",): {"unquoted-version-and-broken": 0},
    ("lint", "--strict"): {"unquoted-version-and-broken": 0},
    ("lint", "--format-strict"): {"unquoted-version-and-broken": 1},
    ("validate",): {},
    ("check",): {"*": 2},
    ("verify",): {"*": 2},
}


def broken_workspace(tmp_path: Path, name: str) -> Repo:
    repo = plain_workspace(tmp_path)
    (repo.path / ".small/workspace.small.yml").write_bytes(BROKEN[name])
    return repo


def expected(command: tuple[str, ...], name: str) -> int:
    table = EXPECTED[command]
    return table.get(name, table.get("*", 0))


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("command", sorted(EXPECTED), ids=" ".join)
def test_only_the_commands_that_judge_the_workspace_file_parse_it(
    tmp_path: Path, name: str, command: tuple[str, ...]
) -> None:
    repo = broken_workspace(tmp_path, name)
    result = repo.small(*command)
    assert result.returncode == expected(command, name), result.stdout + result.stderr
    if result.returncode == 2:
        assert "workspace.small.yml" in result.stderr


def test_lint_still_warns_about_the_workspace_files_unquoted_version(tmp_path: Path) -> None:
    repo = broken_workspace(tmp_path, "unquoted-version-and-broken")
    result = repo.small("lint")
    assert "workspace.small.yml:1: [version-format]" in result.stderr


@needs_reference
@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("command", sorted(c for c in EXPECTED if c[0] in ("lint", "validate")), ids=" ".join)
def test_lint_agrees_with_the_reference(tmp_path: Path, name: str, command: tuple[str, ...]) -> None:
    repo = broken_workspace(tmp_path, name)
    ours, theirs = repo.small(*command), run_reference(repo.path, *command)
    assert (ours.returncode == 0) == (theirs.returncode == 0), ours.stderr + "\n--- reference:\n" + theirs.stderr


@pytest.mark.parametrize("command", [("lint",), ("lint", "--format-strict"), ("check",), ("verify",)], ids=" ".join)
def test_a_workspace_file_that_cannot_be_read_fails_lint_too(tmp_path: Path, command: tuple[str, ...]) -> None:
    repo = plain_workspace(tmp_path)
    target = repo.path / ".small/workspace.small.yml"
    target.unlink()
    target.mkdir()
    result = repo.small(*command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "workspace.small.yml" in result.stderr
    assert repo.small("validate").returncode == 0
