"""Lineage after history rewrites (spec §6.4): a real rebase and amend, a real post-rewrite hook."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from support.cli import git
from support.repo import Repo

from small_git.gates.tipcheck import RULE_NOT_ANCESTOR, RULE_UNKNOWN, tip_findings
from small_git.integration.reconcile import parse_rewrite_lines, reconcile_entries
from small_git.protocol.state import State
from small_git.protocol.yamlsafe import load_yaml
from small_git.store.progress_log import append_entries
from small_git.store.reader import read_state

PROGRESS = ".small/progress.small.yml"
HOOK = """#!/bin/sh
exec {python} -c 'import sys; from pathlib import Path
from small_git.integration.reconcile import parse_rewrite_lines, reconcile_after_rewrite
reconcile_after_rewrite(Path.cwd(), parse_rewrite_lines(sys.stdin.read()))'
"""


def commit_file(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"change {name}")
    return git(repo, "rev-parse", "HEAD")


def entries(repo: Path) -> list[dict]:  # type: ignore[type-arg]
    data = read_state(repo).data("progress")
    assert isinstance(data, dict)
    return list(data["entries"])


@pytest.fixture
def repo(repo: Repo) -> Path:
    """main has a base commit; branch `work` has a code commit and a .small commit citing it."""
    path = repo.path
    (path / ".gitignore").write_text(".small-cache/\n")
    (path / ".small").mkdir()
    (path / PROGRESS).write_text('small_version: "1.0.0"\nowner: agent\nentries:\n')
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "start")
    hook = path / ".git/hooks/post-rewrite"
    hook.write_text(HOOK.format(python=shlex.quote(sys.executable)))
    hook.chmod(0o755)
    git(path, "checkout", "-q", "-b", "work")
    code = commit_file(path, "app.py", "print('v1')\n")
    append_entries(path, [{"task_id": "t1", "status": "completed", "evidence": "app prints", "commit": code[:12]}])
    git(path, "commit", "-q", "-am", "progress: t1 done")
    git(path, "checkout", "-q", "main")
    commit_file(path, "README", "upstream moved on\n")
    git(path, "checkout", "-q", "work")
    return path


def test_a_rebase_is_reconciled_by_appending_and_the_tip_check_passes_again(repo: Path) -> None:
    cited = entries(repo)[0]["commit"]
    before = (repo / PROGRESS).read_bytes()
    assert tip_findings(repo, "HEAD", read_state(repo)) == []
    git(repo, "rebase", "-q", "main")
    new_code = git(repo, "rev-parse", "HEAD~1")
    assert not new_code.startswith(cited)
    # without the hook's entry, the rebased branch cites a commit outside its history
    committed = State.from_bytes({"progress": before})
    assert [f.rule for f in tip_findings(repo, "HEAD", committed)] == [RULE_NOT_ANCESTOR]
    after = (repo / PROGRESS).read_bytes()
    assert after.startswith(before) and after != before  # appended, nothing rewritten
    mapping = entries(repo)[-1]
    assert mapping["task_id"] == "meta/reconcile-commits"
    assert mapping["commit"] == new_code[:12]
    assert mapping["evidence"] == {"type": "commit-rewrite", "from": cited, "to": new_code[:12]}
    git(repo, "commit", "-q", "-am", "reconcile rewritten commits")
    assert tip_findings(repo, "HEAD", read_state(repo)) == []


def test_reconciled_lineage_survives_a_second_rewrite_and_a_fresh_clone(repo: Path, tmp_path: Path) -> None:
    git(repo, "rebase", "-q", "main")
    git(repo, "commit", "-q", "-am", "reconcile")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "README", "upstream moved again\n")
    git(repo, "checkout", "-q", "work")
    git(repo, "rebase", "-q", "main")  # rewrites the code commit a second time, and the reconcile commit
    log = entries(repo)
    assert [e["task_id"] for e in log] == ["t1", "meta/reconcile-commits", "meta/reconcile-commits"]
    assert log[2]["evidence"]["from"] == log[1]["commit"]
    git(repo, "commit", "-q", "-am", "reconcile again")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "work", f"file://{repo}", str(clone))
    state = read_state(clone)
    # the clone does not even have the original commits: the chain of mappings is what makes them resolve
    assert tip_findings(clone, "HEAD", state) == []
    raw = state.files["progress"].raw
    assert raw is not None and raw.count(b"meta/reconcile-commits") == 2
    unmapped = State.from_bytes({"progress": raw[: raw.rindex(b"- task_id", 0, raw.index(b"meta/reconcile-commits"))]})
    assert [f.rule for f in tip_findings(clone, "HEAD", unmapped)] == [RULE_UNKNOWN]


def test_an_amend_of_a_cited_commit_is_reconciled(repo: Path) -> None:
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # back to the code commit; cite it from the work tree only
    code = git(repo, "rev-parse", "HEAD")
    append_entries(repo, [{"task_id": "t1", "status": "completed", "evidence": "ok", "commit": code[:12]}])
    git(repo, "commit", "-q", "--amend", "-m", "change app.py (reworded)", "--", "app.py")
    amended = git(repo, "rev-parse", "HEAD")
    assert entries(repo)[-1]["evidence"] == {"type": "commit-rewrite", "from": code[:12], "to": amended[:12]}


def test_rewrites_of_uncited_commits_append_nothing(repo: Path) -> None:
    before = (repo / PROGRESS).read_bytes()
    git(repo, "commit", "-q", "--amend", "-m", "reworded progress commit")
    assert (repo / PROGRESS).read_bytes() == before


def test_reconcile_entries_is_idempotent_and_skips_what_is_already_mapped() -> None:
    log = [{"task_id": "t1", "commit": "aaaaaaaaaaaa"}, {"task_id": "t2", "commit": "bbbbbbbbbbbb"}]
    rewrites = [("a" * 40, "c" * 40), ("d" * 40, "e" * 40)]
    added = reconcile_entries(log, rewrites)
    assert [(e["evidence"]["from"], e["evidence"]["to"]) for e in added] == [("aaaaaaaaaaaa", "cccccccccccc")]
    assert reconcile_entries(log + added, rewrites) == []
    assert parse_rewrite_lines(f"{'a' * 40} {'c' * 40}\n{'d' * 40} {'e' * 40} extra\n\n") == rewrites


def test_reconcile_entries_stay_within_the_reference_schema(repo: Path) -> None:
    git(repo, "rebase", "-q", "main")
    text = (repo / PROGRESS).read_bytes()
    entry = load_yaml(text, PROGRESS).data["entries"][-1]
    assert set(entry) <= {"task_id", "timestamp", "commit", "evidence", "notes", "replayId"}
    assert len(entry["commit"]) == 12 and all(len(str(v)) < 32 for v in entry["evidence"].values())
