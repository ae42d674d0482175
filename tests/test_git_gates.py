"""The installed gates in scratch repositories: real git commit, merge, rebase, cherry-pick and push."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import Result
from support.repo import Repo, prebuilt_repo, seed
from support.workspace import FIRST_ENTRY, entry

PROGRESS = ".small/progress.small.yml"
E2, E3, E4 = entry("task-2", 1), entry("task-2", 2), entry("task-2", 3)


def edit_entry(repo: Repo) -> None:
    repo.write_progress([dict(FIRST_ENTRY, evidence="quietly rewritten"), E2])


def delete_entry(repo: Repo) -> None:
    repo.write_progress([E2, E3])


def reorder_entries(repo: Repo) -> None:
    repo.write_progress([E2, FIRST_ENTRY])


def retimestamp_entry(repo: Repo) -> None:
    repo.write_progress([dict(FIRST_ENTRY, timestamp="2025-01-04T09:59:59.000000000Z"), E2])


def delete_log(repo: Repo) -> None:
    (repo.path / PROGRESS).unlink()


VIOLATIONS: dict[str, tuple[Callable[[Repo], None], str]] = {
    "edit": (edit_entry, "progress-rewrite"),
    "delete-entry": (delete_entry, "progress-entry-removed"),
    "reorder": (reorder_entries, "progress-reorder"),
    "retimestamp": (retimestamp_entry, "progress-rewrite"),
    "delete-log": (delete_log, "progress-deleted"),
}


def commit_by_hand(repo: Repo) -> Result:
    repo.git("add", "-A", ".small")
    return repo.git("commit", "-m", "by hand", check=False)


def commit_all(repo: Repo) -> Result:
    return repo.git("commit", "-a", "-m", "commit -a", check=False)


def commit_path(repo: Repo) -> Result:
    # `git commit <path>` stages into a temporary index (GIT_INDEX_FILE): the gate must read that one.
    return repo.git("commit", "-m", "commit <path>", "--", PROGRESS, check=False)


def commit_amend(repo: Repo) -> Result:
    return repo.git("commit", "-a", "--amend", "-m", "amended", check=False)


MODES = {"by-hand": commit_by_hand, "commit-a": commit_all, "commit-path": commit_path, "amend": commit_amend}


def committed(folder: Path) -> Repo:
    # Without the merge driver: these tests judge merges and replays resolved by hand
    # (tests/test_git_merge_driver.py covers the driver).
    repo = seed(Repo.create(folder), install=False)
    repo.small("install", "--no-drivers", check=True)
    repo.append_progress(E2)
    repo.commit("append task-2 progress")
    return repo


def committed_and_pushed(folder: Path) -> Repo:
    repo = committed(folder)
    remote = Repo.create(folder, "remote.git", bare=True)
    repo.git("remote", "add", "origin", remote.path)
    repo.git("push", "-q", "origin", "main")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """The seeded workspace and one more entry, committed through the hooks (built once per run, copied)."""
    return prebuilt_repo(f"{__name__}.repo", committed, tmp_path)


def test_a_valid_append_is_accepted(repo: Repo) -> None:
    before = repo.head()
    repo.append_progress(E3)
    repo.git("add", PROGRESS)
    repo.git("commit", "-m", "append")
    assert repo.head() != before
    repo.append_progress(E4)
    repo.git("commit", "-a", "-m", "append again")
    assert repo.git("log", "--format=%s", "-1").stdout.strip() == "append again"


@pytest.mark.parametrize("violation", sorted(VIOLATIONS))
def test_rewriting_progress_is_refused_in_every_commit_mode(repo: Repo, violation: str) -> None:
    change, rule = VIOLATIONS[violation]
    for mode, commit in MODES.items():
        if mode == "amend":
            repo.write("src/app.py", "print('amend me')\n")
            repo.commit("code change")
        before = repo.head()
        change(repo)
        proc = commit(repo)
        assert proc.returncode != 0, f"{mode}: {violation} was accepted"
        stderr = proc.stderr
        assert f"[{rule}]" in stderr, f"{mode}: {stderr}"
        assert PROGRESS in stderr and "fix:" in stderr
        assert repo.head() == before
        repo.git("reset", "-q", "--hard", "HEAD")


def test_amend_may_change_the_entry_its_own_commit_added(repo: Repo) -> None:
    repo.append_progress(E3)
    repo.commit("append E3")
    parent = repo.git("rev-parse", "HEAD^").stdout.strip()
    repo.write_progress([FIRST_ENTRY, E2, dict(E3, evidence="better wording")])
    repo.git("commit", "-a", "--amend", "-m", "append E3, reworded")
    assert repo.git("rev-parse", "HEAD^").stdout.strip() == parent
    # the same edit as a new commit rewrites history and is refused
    repo.write_progress([FIRST_ENTRY, E2, dict(E3, evidence="reworded again")])
    assert repo.git("commit", "-a", "-m", "edit", check=False).returncode != 0


def test_commit_touching_no_workspace_reads_no_yaml(repo: Repo) -> None:
    repo.write(PROGRESS, "entries: [unclosed\n")
    repo.git("commit", "-q", "--no-verify", "-a", "-m", "broken log (bypassed)")
    repo.write("src/app.py", "print('code only')\n")
    repo.git("commit", "-a", "-m", "code only")  # the gate never parses the broken log
    proc = repo.small("hook", "pre-commit")
    assert proc.returncode == 0 and proc.stderr == ""


def test_first_commit_is_judged(tmp_path: Path) -> None:
    repo = Repo.create(tmp_path)
    repo.install()
    repo.write_workspace(entries=[FIRST_ENTRY, E3, E2])  # E2 is older than E3
    assert "progress-timestamp-order" in repo.commit("first", check=False).stderr
    repo.write_progress([FIRST_ENTRY, E2, E3])
    repo.commit("first")


def test_symlinked_canonical_file_is_refused(repo: Repo) -> None:
    repo.write("elsewhere/plan.small.yml", repo.read(".small/plan.small.yml"))
    (repo.path / ".small/plan.small.yml").unlink()
    os.symlink("../elsewhere/plan.small.yml", repo.path / ".small/plan.small.yml")
    proc = repo.commit("symlink", check=False)
    assert proc.returncode != 0 and "[canonical-symlink]" in proc.stderr


def test_moving_the_workspace_is_refused(repo: Repo) -> None:
    (repo.path / "sub").mkdir()
    repo.git("mv", ".small", "sub/.small")
    proc = repo.git("commit", "-m", "move", check=False)
    assert proc.returncode != 0 and "[workspace-moved]" in proc.stderr
    assert "git mv sub/.small .small" in proc.stderr


def test_nested_workspaces_are_judged_independently(repo: Repo) -> None:
    repo.write_workspace("examples/demo/")
    repo.write("examples/demo/.small/workspace.small.yml", 'small_version: "1.0.0"\nowner: "agent"\nkind: "examples"\n')
    repo.commit("add the example workspace")
    repo.write_progress([], "examples/demo/")
    proc = repo.commit("empty the example log", check=False)
    assert proc.returncode != 0 and "examples/demo/.small/progress.small.yml" in proc.stderr


# --- merges --------------------------------------------------------------------------------------------


def _branches_that_both_append(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.append_progress(E4)
    repo.commit("feature appends E4")
    repo.git("checkout", "-q", "main")
    repo.append_progress(E3)
    repo.commit("main appends E3")


def test_merge_that_interleaves_both_sides_is_accepted(repo: Repo) -> None:
    _branches_that_both_append(repo)
    proc = repo.git("merge", "--no-edit", "feature", check=False)
    assert proc.returncode != 0 and "CONFLICT" in proc.stdout  # both appended at the same place
    repo.write_progress([FIRST_ENTRY, E2, E3, E4])
    repo.git("add", PROGRESS)
    repo.git("commit", "--no-edit")
    assert len(repo.git("log", "-1", "--format=%P").stdout.split()) == 2


def test_merge_that_loses_an_entry_is_refused(repo: Repo) -> None:
    _branches_that_both_append(repo)
    repo.git("merge", "--no-edit", "feature", check=False)
    repo.write_progress([FIRST_ENTRY, E2, E3])  # feature's E4 is dropped
    repo.git("add", PROGRESS)
    proc = repo.git("commit", "--no-edit", check=False)
    assert proc.returncode != 0 and "[progress-merge-lost-entry]" in proc.stderr
    assert "parent 2" in proc.stderr and "task-2" in proc.stderr


def test_pre_merge_commit_refuses_a_clean_merge_that_changes_an_entry(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.write_progress([dict(FIRST_ENTRY, evidence="rewritten on a branch"), E2])
    repo.git("commit", "-q", "--no-verify", "-a", "-m", "rewrite (bypassed)")
    repo.git("checkout", "-q", "main")
    repo.write(
        ".small/plan.small.yml",
        repo.read(".small/plan.small.yml") + '  - id: "task-3"\n    title: "More"\n    status: "pending"\n',
    )
    repo.commit("main edits the plan")
    head = repo.head()
    proc = repo.git("merge", "--no-edit", "feature", check=False)
    assert proc.returncode != 0 and "small-git pre-merge-commit: refused" in proc.stderr
    assert "[progress-merge-lost-entry]" in proc.stderr
    assert repo.head() == head


# --- what pre-commit never sees: --no-verify, rebase, cherry-pick ------------------------------------------


@pytest.fixture
def pushed(tmp_path: Path) -> Repo:
    """`repo`, pushed to the bare tmp_path/remote.git as origin (built once per run, copied)."""
    return prebuilt_repo(f"{__name__}.pushed", committed_and_pushed, tmp_path)


def test_no_verify_rewrite_is_refused_at_push(pushed: Repo) -> None:
    edit_entry(pushed)
    pushed.git("commit", "-q", "--no-verify", "-a", "-m", "rewrite (bypassed)")
    proc = pushed.git("push", "origin", "main", check=False)
    assert proc.returncode != 0 and "small-git pre-push: refused" in proc.stderr
    assert "[progress-rewrite]" in proc.stderr
    assert pushed.git("rev-parse", "--short=12", "HEAD").stdout.strip() in proc.stderr
    audit = pushed.small("audit", "origin/main..HEAD")
    assert audit.returncode == 1 and "[progress-rewrite]" in audit.stderr


def test_cherry_pick_that_rewrites_is_refused_at_push(pushed: Repo) -> None:
    pushed.git("checkout", "-q", "-b", "side")
    edit_entry(pushed)
    pushed.git("commit", "-q", "--no-verify", "-a", "-m", "rewrite on side (bypassed)")
    pushed.git("checkout", "-q", "main")
    pushed.git("cherry-pick", "side")  # runs no pre-commit hook
    proc = pushed.git("push", "origin", "main", check=False)
    assert proc.returncode != 0 and "[progress-rewrite]" in proc.stderr


def test_rebase_that_breaks_the_order_is_refused_at_push(pushed: Repo) -> None:
    pushed.git("checkout", "-q", "-b", "feature")
    pushed.append_progress(E3)  # stamped 10:00:02
    pushed.commit("feature appends E3")
    pushed.git("checkout", "-q", "main")
    pushed.append_progress(E4)  # stamped 10:00:03
    pushed.commit("main appends E4")
    pushed.git("push", "-q", "origin", "main")
    pushed.git("checkout", "-q", "feature")
    assert pushed.git("rebase", "main", check=False).returncode != 0  # both appended: a conflict
    pushed.write_progress([FIRST_ENTRY, E2, E4, E3])  # E3 now follows the later E4
    pushed.git("add", PROGRESS)
    rebased = pushed.git("-c", "core.editor=true", "rebase", "--continue")  # rebase runs no pre-commit hook
    assert "git push will refuse" in rebased.stderr  # post-rewrite warns at once
    proc = pushed.git("push", "origin", "feature", check=False)
    assert proc.returncode != 0 and "[progress-timestamp-order]" in proc.stderr


def test_force_push_that_drops_pushed_entries_is_refused(pushed: Repo) -> None:
    pushed.append_progress(E3)
    pushed.commit("append E3")
    pushed.git("push", "-q", "origin", "main")
    pushed.git("reset", "-q", "--hard", "HEAD~1")
    pushed.write("src/app.py", "print('rewritten history')\n")
    pushed.commit("other work")
    proc = pushed.git("push", "--force", "origin", "main", check=False)
    assert proc.returncode != 0 and "[progress-force-push-lost-entry]" in proc.stderr


def test_push_of_valid_appends_is_accepted(pushed: Repo) -> None:
    pushed.append_progress(E3)
    pushed.commit("append E3")
    pushed.git("push", "-q", "origin", "main")
    pushed.git("push", "-q", "origin", "main:refs/heads/copy")  # a new branch on the remote


# --- human-owned files through the hooks -------------------------------------------------------------------


def test_agent_change_to_intent_is_refused_at_pre_commit(repo: Repo) -> None:
    repo.write(".small/intent.small.yml", repo.read(".small/intent.small.yml").replace("Ship", "Drop"))
    proc = repo.git("commit", "-a", "-m", "agent edit", check=False, env={"CLAUDECODE": "1"})
    assert proc.returncode != 0 and "[human-file-agent-change]" in proc.stderr
    repo.git("commit", "-a", "-m", "human edit")


def test_agent_co_author_trailer_is_refused_at_commit_msg(repo: Repo) -> None:
    repo.write(".small/intent.small.yml", repo.read(".small/intent.small.yml").replace("Ship", "Drop"))
    message = "edit\n\nCo-authored-by: Claude <noreply@anthropic.com>"
    proc = repo.git("commit", "-a", "-m", message, check=False)
    assert proc.returncode != 0 and "small-git commit-msg: refused" in proc.stderr


def test_redaction_needs_its_trailer(repo: Repo) -> None:
    from small_git.gates.redaction import redaction_marker, redaction_record

    secret = FIRST_ENTRY["evidence"]
    record = {"task_id": "meta/redact", "timestamp": "2025-01-05T11:00:00.000000000Z", "status": "completed"}
    body = repo.read(PROGRESS).replace(f'evidence: "{secret}"', f'evidence: "{redaction_marker(secret)}"')
    evidence = redaction_record(0, "evidence", secret)
    body += (
        f'  - task_id: "{record["task_id"]}"\n    timestamp: "{record["timestamp"]}"\n'
        f'    status: "completed"\n    evidence:\n'
        + "".join(f"      {k}: {v!r}\n".replace("'", '"') for k, v in evidence.items())
    )
    repo.write(PROGRESS, body)
    refused = repo.git("commit", "-a", "-m", "redact", check=False)
    assert refused.returncode != 0 and "commit-msg" in refused.stderr
    repo.git("commit", "-a", "-m", "redact a leaked value\n\nSmall-Redact: entry 1 evidence")


def test_small_folder_replaced_by_a_symlink_is_refused_once(repo: Repo) -> None:
    (repo.path / ".small").rename(repo.path / "store")
    os.symlink("store", repo.path / ".small")
    proc = repo.commit("symlink the workspace", check=False)
    assert proc.returncode != 0 and "(1 finding)" in proc.stderr
    assert ".small: [canonical-symlink]" in proc.stderr


def test_a_log_broken_earlier_is_not_blamed_on_the_next_commit(repo: Repo) -> None:
    repo.write(PROGRESS, repo.read(PROGRESS) + "  - [unclosed\n")
    assert "[progress-unreadable]" in repo.commit("break the log", check=False).stderr
    repo.git("commit", "-q", "--no-verify", "-m", "break the log (bypassed)")
    handoff = repo.read(".small/handoff.small.yml")
    repo.write(".small/handoff.small.yml", handoff.replace("under way", "paused"))
    repo.commit("touch the handoff")  # the unchanged broken log is not this commit's doing


def test_deleting_a_protected_ref_is_refused(pushed: Repo) -> None:
    pushed.git("push", "-q", "origin", "main:refs/heads/scratch")
    pushed.git("push", "-q", "origin", "--delete", "scratch")  # not protected
    pushed.git("config", "--add", "small.protectedRef", "refs/heads/main")
    proc = pushed.git("push", "origin", "--delete", "main", check=False)
    assert proc.returncode != 0 and "[protected-ref-deleted]" in proc.stderr


def test_merge_strategy_ours_that_drops_the_other_side_is_refused(repo: Repo) -> None:
    _branches_that_both_append(repo)
    head = repo.head()
    proc = repo.git("merge", "-s", "ours", "-m", "keep only ours", "feature", check=False)
    assert proc.returncode != 0 and "[progress-merge-lost-entry]" in proc.stderr
    assert repo.head() == head
