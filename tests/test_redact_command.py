"""`git small redact` (spec §6.6): removes a planted secret; the gates accept exactly that change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.cli import Result, git, small
from support.repo import Repo

from small_git.commands.redact import RedactRequest
from small_git.commands.redact import run as redact_run
from small_git.errors import SmallError
from small_git.gates.redaction import is_exact_redaction, redaction_marker
from small_git.protocol.yamlsafe import load_yaml

SECRET = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
PROGRESS = ".small/progress.small.yml"


def run(root: Path, entry: int, field: str) -> int:
    return redact_run(RedactRequest(entry, field, str(root)))


LOG = f"""small_version: "1.0.0"
owner: agent
entries:
  # the first entry
  - task_id: t1
    timestamp: "2026-01-01T00:00:00.000000001Z"
    evidence: ran the tests
  - task_id: t1
    timestamp: "2026-01-01T00:00:00.000000002Z"
    evidence:
      type: command
      output: "token={SECRET}"   # pasted by mistake
    notes: |
      debugging with {SECRET}
      second line
  - task_id: t2
    timestamp: "2026-01-01T00:00:00.000000003Z"
    evidence: &shared {SECRET}
    notes: *shared
"""


def entries(repo: Path) -> list[Any]:
    return list(load_yaml((repo / PROGRESS).read_bytes(), PROGRESS).data["entries"])


@pytest.fixture
def repo(repo: Repo) -> Path:
    """main has one commit: a progress log with a leaked token."""
    path = repo.path
    (path / ".small").mkdir(parents=True)
    (path / ".gitignore").write_text(".small-cache/\n")
    (path / PROGRESS).write_text(LOG)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "progress with a leaked token")
    return path


def test_redact_replaces_only_that_value_and_appends_a_record(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = entries(repo)
    assert run(repo, 1, "evidence.output") == 0
    text = (repo / PROGRESS).read_text()
    marker = redaction_marker(f"token={SECRET}")
    assert text.startswith(LOG.replace(f'"token={SECRET}"', f'"{marker}"'))  # comments and layout kept
    new = entries(repo)
    assert new[1]["evidence"]["output"] == marker and new[:1] == old[:1] and new[2] == old[2]
    record = new[-1]
    assert record["task_id"] == "meta/redact"
    assert record["evidence"]["entry"] == 1 and record["evidence"]["field"] == "evidence.output"
    assert is_exact_redaction(old, new, "Redact\n\nSmall-Redact: token pasted into progress\n")
    out = capsys.readouterr()
    assert "Small-Redact:" in out.out and "rotate" in out.err


def test_a_block_scalar_is_redacted_in_place(repo: Path) -> None:
    old = entries(repo)
    run(repo, 1, "notes")
    text = (repo / PROGRESS).read_text()
    assert SECRET in text  # entry 1's evidence.output and entry 2 still hold it
    assert "debugging with" not in text and "  - task_id: t2\n" in text
    new = entries(repo)
    assert new[1]["notes"] == redaction_marker(old[1]["notes"])
    assert is_exact_redaction(old, new, "x\n\nSmall-Redact: token\n")


def test_an_aliased_value_is_redacted_without_touching_its_other_uses(repo: Path) -> None:
    old = entries(repo)
    run(repo, 2, "evidence")
    new = entries(repo)
    assert new[2]["evidence"] == redaction_marker(SECRET) and new[2]["notes"] == SECRET
    assert is_exact_redaction(old, new, "x\n\nSmall-Redact: token\n")
    assert load_yaml((repo / PROGRESS).read_bytes(), PROGRESS).data["small_version"] == "1.0.0"
    assert 'small_version: "1.0.0"' in (repo / PROGRESS).read_text()


@pytest.mark.parametrize(
    "entry,field,needle",
    [
        (9, "notes", "has 3 entries"),
        (0, "notes", "no field notes"),
        (0, "timestamp", "structural"),
        (0, "commit", "structural"),
        (1, "evidence", "not a string"),
        (0, "evidence..x", "field path"),
    ],
)
def test_bad_requests_are_usage_errors_that_change_nothing(repo: Path, entry: int, field: str, needle: str) -> None:
    before = (repo / PROGRESS).read_bytes()
    with pytest.raises(SmallError) as info:
        run(repo, entry, field)
    assert info.value.exit_code == 2 and needle in info.value.message
    assert (repo / PROGRESS).read_bytes() == before


def test_redacting_twice_is_refused(repo: Path) -> None:
    run(repo, 0, "evidence")
    with pytest.raises(SmallError, match="already redacted"):
        run(repo, 0, "evidence")


def test_without_a_workspace_it_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SmallError) as info:
        run(tmp_path, 0, "notes")
    assert info.value.exit_code == 2


# --- the gates ------------------------------------------------------------------------------------------


def audit(repo: Path, rev_range: str) -> Result:
    return small(repo, "audit", rev_range)


@pytest.fixture
def gated(repo: Path) -> Path:
    probe = audit(repo, "HEAD~0..HEAD")
    assert probe.returncode == 0, probe.stderr
    return repo


def test_the_audit_gate_accepts_the_redaction_commit(gated: Path) -> None:
    run(gated, 1, "evidence.output")
    git(
        gated,
        "commit",
        "-q",
        "-am",
        "Redact a leaked token",
        "-m",
        "Small-Redact: token pasted into progress",
    )
    result = audit(gated, "HEAD~1..HEAD")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_audit_gate_refuses_a_redaction_without_the_trailer(gated: Path) -> None:
    run(gated, 1, "evidence.output")
    git(gated, "commit", "-q", "-am", "Redact a leaked token")
    assert audit(gated, "HEAD~1..HEAD").returncode == 1


def test_the_audit_gate_refuses_any_other_edit_of_that_entry(gated: Path) -> None:
    run(gated, 1, "evidence.output")
    text = (gated / PROGRESS).read_text().replace("type: command", "type: shell")
    (gated / PROGRESS).write_text(text)
    git(gated, "commit", "-q", "-am", "Redact and tidy", "-m", "Small-Redact: token pasted into progress")
    result = audit(gated, "HEAD~1..HEAD")
    assert result.returncode == 1 and "progress" in (result.stdout + result.stderr)


def test_a_value_inside_an_evidence_list_is_redacted(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".small").mkdir(parents=True)
    (root / PROGRESS).write_text(
        'small_version: "1.0.0"\nowner: agent\nentries:\n'
        '  - task_id: t1\n    timestamp: "2026-01-01T00:00:00.1Z"\n'
        f"    evidence: [{{type: link, ref: 'https://ci.example/run?token={SECRET}'}},\n"
        "               {type: commit, ref: abc1234}]\n"
    )
    old = entries(root)
    run(root, 0, "evidence[0].ref")
    new = entries(root)
    assert new[0]["evidence"][0]["ref"] == redaction_marker(f"https://ci.example/run?token={SECRET}")
    assert new[0]["evidence"][1] == old[0]["evidence"][1]
    assert new[-1]["evidence"]["field"] == "evidence[0].ref"
    assert is_exact_redaction(old, new, "x\n\nSmall-Redact: token in a CI link\n")
