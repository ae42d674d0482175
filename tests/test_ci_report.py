"""The CI report (small_git/integration/ci_report.py) over real `git small audit --json` documents: GitHub
annotations at the line, the job summary and step outputs, GitLab's code-quality report, and an audit that
wrote nothing readable. The templates that run it are tested end to end in tests/test_ci_templates.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.repo import Repo, seeded_repo
from support.workspace import FIRST_ENTRY, entry

from small_git.integration import ci_report

PROGRESS = ".small/progress.small.yml"


def audit_document(repo: Repo, rev_range: str, into: Path) -> Path:
    proc = repo.small("audit", rev_range, "--json")
    into.write_text(proc.stdout, encoding="utf-8")
    assert json.loads(proc.stdout)["exit_code"] == proc.returncode
    return into


@pytest.fixture
def rewritten(tmp_path: Path) -> tuple[Repo, Path]:
    """A repository whose last commit rewrote the first progress entry (past the hooks), and its audit."""
    repo = seeded_repo(tmp_path)
    repo.write_progress([dict(FIRST_ENTRY, evidence="quietly rewritten"), entry("task-2", 1)])
    repo.commit("rewrite", "--no-verify")
    return repo, audit_document(repo, "HEAD~1..HEAD", tmp_path / "audit.json")


def test_github_annotates_the_line_and_writes_summary_and_outputs(
    rewritten: tuple[Repo, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, document = rewritten
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    code = ci_report.main(
        ["github", str(document), "--workdir", str(repo.path), "--summary", str(summary), "--output", str(output)]
    )
    assert code == 1
    annotations = capsys.readouterr().out.splitlines()
    assert annotations and all(line.startswith("::error ") for line in annotations)
    first = annotations[0]
    assert first.startswith(f"::error file={PROGRESS},line=")
    assert "title=small-git audit%3A progress-rewrite::" in first
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### small-git audit: failed\n") and "| rule | where | what | fix |" in text
    assert "| progress-rewrite | `.small/progress.small.yml:" in text
    assert output.read_text(encoding="utf-8") == f"exit-code=1\nfindings={len(annotations)}\n"


def test_a_finding_outside_the_checkout_names_its_file_in_the_message(
    rewritten: tuple[Repo, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, document = rewritten
    assert ci_report.main(["github", str(document), "--workdir", str(tmp_path / "elsewhere")]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("::error title=small-git audit%3A progress-rewrite::.small/progress.small.yml: ")


def test_gitlab_writes_a_code_quality_report_at_the_line(
    rewritten: tuple[Repo, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, document = rewritten
    report = tmp_path / "gl-code-quality-report.json"
    assert ci_report.main(["gitlab", str(document), "--codequality", str(report)]) == 1
    issues: list[dict[str, Any]] = json.loads(report.read_text(encoding="utf-8"))
    assert issues and issues[0]["check_name"] == "progress-rewrite" and issues[0]["severity"] == "blocker"
    assert issues[0]["location"]["path"] == PROGRESS and issues[0]["location"]["lines"]["begin"] >= 1
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert capsys.readouterr().out.startswith(f"{PROGRESS}:")


def test_a_passing_audit_passes_with_a_summary_and_no_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = seeded_repo(tmp_path)
    repo.append_progress(entry("task-2", 1))
    repo.commit("append")
    document = audit_document(repo, "HEAD~1..HEAD", tmp_path / "audit.json")
    summary = tmp_path / "summary.md"
    assert ci_report.main(["github", str(document), "--summary", str(summary)]) == 0
    assert capsys.readouterr().out == ""
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### small-git audit: passed\n") and "1 commit judged" in text and "| rule |" not in text
    report = tmp_path / "gl.json"
    assert ci_report.main(["gitlab", str(document), "--codequality", str(report)]) == 0
    assert json.loads(report.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]"], ids=["empty", "not JSON", "not an object"])
def test_an_unreadable_audit_fails_the_job(content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = tmp_path / "audit.json"
    document.write_text(content, encoding="utf-8")
    summary = tmp_path / "summary.md"
    assert ci_report.main(["github", str(document), "--summary", str(summary)]) == 3
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("::error title=small-git audit::the audit")
    assert summary.read_text(encoding="utf-8").startswith("### small-git audit: could not judge\n")


def test_a_missing_audit_file_fails_the_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ci_report.main(["gitlab", str(tmp_path / "absent.json"), "--codequality", str(tmp_path / "q.json")]) == 3


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert ci_report.main(["bitbucket", "audit.json"]) == 2
    assert "python -m small_git.integration.ci_report github" in capsys.readouterr().err
