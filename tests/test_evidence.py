"""Commits as evidence (spec §6.4): HEAD as evidence, `checkpoint --commit`, and the tip-level check."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import git
from support.repo import Repo

from small_git.errors import SmallError
from small_git.gates.tipcheck import RULE_AMBIGUOUS, RULE_NOT_ANCESTOR, RULE_UNKNOWN, tip_findings
from small_git.git.evidence import commit_small, head_commit_evidence
from small_git.protocol.state import State

HEADER = 'small_version: "1.0.0"\nowner: agent\nentries:\n'


def commit_file(repo: Path, name: str, text: str) -> str:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"add {name}")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(repo: Repo) -> Path:
    """main has one commit: an empty progress log."""
    repo.write(".gitignore", ".small-cache/\nbuild/\n")
    repo.write(".small/progress.small.yml", HEADER.replace("entries:\n", "entries: []\n"))
    repo.commit("start")
    return repo.path


def citing(*commits: str) -> str:
    return "".join(
        f'  - task_id: t{i}\n    timestamp: "2026-01-01T00:00:0{i}.000000000Z"\n    commit: "{c}"\n'
        for i, c in enumerate(commits)
    )


def progress(*commits: str, extra: str = "") -> State:
    return State.from_bytes({"progress": (HEADER + citing(*commits) + extra).encode()})


# --- HEAD as evidence -----------------------------------------------------------------------------------


def test_outside_git_or_before_the_first_commit_there_is_no_evidence(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert head_commit_evidence(plain) == (None, [])
    git(plain, "init", "-q")
    assert head_commit_evidence(plain) == (None, [])


def test_head_is_recorded_with_12_hex_digits(repo: Path) -> None:
    head = commit_file(repo, "src/app.py", "print(1)\n")
    assert head_commit_evidence(repo) == (head[:12], [])
    nested = repo / "examples" / "demo"
    nested.mkdir(parents=True)
    assert head_commit_evidence(nested)[0] == head[:12]


def test_uncommitted_code_gives_a_warning_that_names_it(repo: Path) -> None:
    commit_file(repo, "src/app.py", "print(1)\n")
    (repo / "src/app.py").write_text("print(2)\n")
    (repo / "src/new.py").write_text("x = 1\n")
    sha, warnings = head_commit_evidence(repo)
    assert sha is not None and len(warnings) == 1
    assert "src/app.py" in warnings[0] and "src/new.py" in warnings[0] and sha in warnings[0]


def test_workspace_state_and_ignored_files_are_not_uncommitted_code(repo: Path) -> None:
    commit_file(repo, "src/app.py", "print(1)\n")
    (repo / ".small/progress.small.yml").write_text(HEADER + "  - task_id: t\n")
    (repo / ".small-drafts").mkdir()
    (repo / ".small-drafts/intent.small.yml").write_text("draft\n")
    (repo / "build").mkdir()
    (repo / "build/out.bin").write_text("artifact\n")
    assert head_commit_evidence(repo)[1] == []


# --- checkpoint --commit --------------------------------------------------------------------------------


def test_commit_small_commits_only_the_workspace_with_trailers(repo: Path) -> None:
    (repo / ".small/progress.small.yml").write_text(HEADER + "  - task_id: t1\n    evidence: done\n")
    (repo / ".small/plan.small.yml").write_text("new file\n")
    (repo / "code.py").write_text("staged but not part of the checkpoint\n")
    git(repo, "add", "code.py")
    sha = commit_small(repo, "t1", "completed")
    assert sha == git(repo, "rev-parse", "HEAD")
    assert git(repo, "show", "--name-only", "--format=", sha).splitlines() == [
        ".small/plan.small.yml",
        ".small/progress.small.yml",
    ]
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)", sha)
    assert trailers.splitlines() == ["Small-Task: t1", "Small-Status: completed"]
    assert git(repo, "diff", "--cached", "--name-only") == "code.py"


def test_commit_small_with_nothing_to_commit_is_an_error(repo: Path) -> None:
    with pytest.raises(SmallError) as info:
        commit_small(repo, "t1", "completed")
    assert "nothing to commit" in info.value.message and info.value.exit_code == 2


def test_commit_small_outside_git_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "ws/.small").mkdir(parents=True)
    with pytest.raises(SmallError, match="git work tree"):
        commit_small(tmp_path / "ws", "t1", "completed")


def test_commit_small_reports_a_refusing_hook(repo: Path) -> None:
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by the gate' >&2\nexit 1\n")
    hook.chmod(0o755)
    (repo / ".small/progress.small.yml").write_text(HEADER + "  - task_id: t1\n    evidence: done\n")
    with pytest.raises(SmallError, match="refused by the gate"):
        commit_small(repo, "t1", "completed")


# --- tip-level check ------------------------------------------------------------------------------------


def test_cited_ancestors_pass_in_any_abbreviation(repo: Path) -> None:
    first = commit_file(repo, "a.txt", "a\n")
    second = commit_file(repo, "b.txt", "b\n")
    assert tip_findings(repo, second, progress(first[:12], second[:7], second)) == []


def test_a_commit_that_does_not_exist_is_refused(repo: Path) -> None:
    tip = commit_file(repo, "a.txt", "a\n")
    findings = tip_findings(repo, tip, progress(tip[:12], "0123456789ab"))
    assert [f.rule for f in findings] == [RULE_UNKNOWN]
    assert findings[0].file == ".small/progress.small.yml" and findings[0].line == 9
    assert "0123456789ab" in findings[0].message


def test_a_commit_that_is_not_an_ancestor_is_refused(repo: Path) -> None:
    base = commit_file(repo, "a.txt", "a\n")
    git(repo, "checkout", "-q", "-b", "side")
    side = commit_file(repo, "side.txt", "s\n")
    git(repo, "checkout", "-q", "main")
    tip = commit_file(repo, "b.txt", "b\n")
    findings = tip_findings(repo, tip, progress(base[:12], side[:12]))
    assert [f.rule for f in findings] == [RULE_NOT_ANCESTOR] and side[:12] in findings[0].message
    git(repo, "merge", "-q", "--no-edit", "side")
    assert tip_findings(repo, git(repo, "rev-parse", "HEAD"), progress(base[:12], side[:12])) == []


def test_a_ref_name_is_not_a_citation(repo: Path) -> None:
    tip = commit_file(repo, "a.txt", "a\n")
    assert [f.rule for f in tip_findings(repo, tip, progress("main"))] == [RULE_UNKNOWN]


def test_an_abbreviation_several_commits_share_is_ambiguous(repo: Path) -> None:
    # 1,500 commits in one fast-import: 4-digit prefixes collide many times over.
    stream = "".join(
        f"commit refs/heads/many\ncommitter H <h@e.org> {1_700_000_000 + i} +0000\ndata 5\nc{i:04d}"
        + ("\nfrom refs/heads/main^0" if i == 0 else "")
        + "\n\n"
        for i in range(1500)
    )
    git(repo, "fast-import", "--quiet", input=stream)
    shas = git(repo, "rev-list", "many").split()
    prefixes = [sha[:4] for sha in shas]
    prefix = next(p for p in prefixes if prefixes.count(p) > 1)
    tip = git(repo, "rev-parse", "many")
    findings = tip_findings(repo, tip, progress(prefix, shas[0][:12]))
    assert [f.rule for f in findings] == [RULE_AMBIGUOUS]


def test_a_rewritten_commit_passes_through_a_later_reconcile_entry(repo: Path) -> None:
    gone = "0123456789ab"
    tip = commit_file(repo, "a.txt", "a\n")
    mapping = (
        f'  - task_id: meta/reconcile-commits\n    timestamp: "2026-01-01T00:00:09.000000000Z"\n'
        f'    commit: "{tip[:12]}"\n    evidence:\n      type: commit-rewrite\n      from: "{gone}"\n'
        f'      to: "{tip[:12]}"\n'
    )
    assert tip_findings(repo, tip, progress(gone, extra=mapping)) == []
    earlier_mapping = State.from_bytes({"progress": (HEADER + mapping + citing(gone)).encode()})
    assert [f.rule for f in tip_findings(repo, tip, earlier_mapping)] == [RULE_UNKNOWN]


def test_a_shallow_clone_that_cannot_see_the_cited_commit_is_exit_2(repo: Path, tmp_path: Path) -> None:
    old = commit_file(repo, "a.txt", "a\n")
    commit_file(repo, "b.txt", "b\n")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    with pytest.raises(SmallError) as info:
        tip_findings(clone, "HEAD", progress(old[:12]))
    assert info.value.exit_code == 2 and "unshallow" in (info.value.hint or "")


def test_no_progress_or_no_citations_is_nothing_to_check(repo: Path) -> None:
    assert tip_findings(repo, "HEAD", State.from_bytes({})) == []
    assert tip_findings(repo, "HEAD", State.from_bytes({"progress": (HEADER + "  - task_id: t\n").encode()})) == []


def test_commit_small_in_a_nested_workspace_commits_only_that_workspace(repo: Path) -> None:
    nested = repo / "examples" / "demo"
    (nested / ".small").mkdir(parents=True)
    (nested / ".small/progress.small.yml").write_text(HEADER + "  - task_id: t1\n    evidence: done\n")
    (repo / ".small/progress.small.yml").write_text(HEADER + "  - task_id: root-change\n")
    sha = commit_small(nested, "t1", "in_progress")
    assert git(repo, "show", "--name-only", "--format=", sha) == "examples/demo/.small/progress.small.yml"
    assert git(repo, "status", "--porcelain") == "M .small/progress.small.yml"


def test_sha256_repositories_are_cited_and_checked_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "sha256"
    path.mkdir()
    git(path, "init", "-q", "--object-format=sha256", "-b", "main")
    head = commit_file(path, "a.txt", "a\n")
    assert len(head) == 64
    assert head_commit_evidence(path) == (head[:12], [])
    assert tip_findings(path, head, progress(head[:12])) == []
    assert [f.rule for f in tip_findings(path, head, progress("0" * 12))] == [RULE_UNKNOWN]
