"""The gates cannot be fooled (issue 7 item 4), each class with real git: type changes, `--amend` spoofing,
cited names that are refs, secrets in what a commit adds; and what small-git itself produces passes its own
gates (a squash of the driver's interleaving, merges across a redaction)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import Result
from support.repo import Repo, prebuilt_repo, seeded_repo
from support.workspace import FIRST_ENTRY, entry, entry_yaml, progress_yaml

from small_git.gates.redaction import TRAILER
from small_git.integration.merge_driver import merge_progress
from small_git.protocol.yamlsafe import load_yaml

PROGRESS = ".small/progress.small.yml"
PLAN = ".small/plan.small.yml"
E2, E3, E4, E5 = (entry("task-2", second) for second in (1, 2, 3, 4))
TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def refused(proc: Result, rule: str) -> None:
    assert proc.returncode != 0, proc.stderr
    assert f"[{rule}]" in proc.stderr, proc.stderr


def accepted(proc: Result) -> None:
    assert proc.returncode == 0, proc.stderr


def typed_log(value: str) -> str:
    """A log whose second entry's evidence object holds `exit_code: <value>` written as YAML."""
    return progress_yaml([FIRST_ENTRY]) + (
        '  - task_id: "task-2"\n    timestamp: "2025-01-05T10:00:01.000000000Z"\n    status: "in_progress"\n'
        f'    evidence:\n      type: "command"\n      exit_code: {value}\n'
    )


def pushed(folder: Path) -> Repo:
    repo = seeded_repo(folder)
    remote = Repo.create(folder, "remote.git", bare=True)
    repo.git("remote", "add", "origin", remote.path)
    repo.write(PROGRESS, typed_log("0"))
    repo.commit("an entry with an exit code")
    repo.git("push", "-q", "origin", "main")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A seeded repository with an entry holding an exit code, pushed to tmp_path/remote.git (built once per
    run, copied)."""
    return prebuilt_repo(f"{__name__}.repo", pushed, tmp_path)


# --- entries compare by value and type ------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [("0", "false"), ("1", "true"), ("1", "1.0"), ("0", "0.0")])
def test_changing_an_old_values_type_is_refused_everywhere(tmp_path: Path, before: str, after: str) -> None:
    repo = seeded_repo(tmp_path)
    repo.write(PROGRESS, typed_log(before))
    repo.commit("an entry with an exit code")
    old = repo.head()
    repo.write(PROGRESS, typed_log(after))
    refused(repo.commit("same value, another type", check=False), "progress-rewrite")  # pre-commit
    repo.commit("same value, another type (bypassed)", "--no-verify")
    refused(repo.small("audit", f"{old}..HEAD"), "progress-rewrite")  # pre-push and CI judge the same way


def test_a_merge_that_changes_a_value_type_is_refused(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.append_progress(E3)
    repo.commit("side appends")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-commit", "--no-ff", "side")
    repo.write(PROGRESS, typed_log("false") + entry_yaml(E3))
    repo.git("add", PROGRESS)
    refused(repo.git("commit", "--no-edit", check=False), "progress-merge-lost-entry")


def test_a_force_push_that_changes_a_value_type_is_refused(repo: Repo) -> None:
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.write(PROGRESS, typed_log("false"))
    repo.commit("the same entry, another type")
    refused(repo.git("push", "--force", "origin", "main", check=False), "progress-force-push-lost-entry")


def test_the_merge_driver_does_not_take_a_type_change_for_the_same_entry() -> None:
    base = typed_log("0").encode()
    ours = (typed_log("false") + entry_yaml(E3)).encode()
    theirs = (typed_log("0") + entry_yaml(E4)).encode()
    result = merge_progress(base, ours, theirs)
    assert result.conflict is not None and "ours changes entries[1]" in result.conflict
    both = merge_progress(
        base, (typed_log("1") + entry_yaml(E3)).encode(), (typed_log("true") + entry_yaml(E3)).encode()
    )
    assert both.conflict is not None  # 1 and true are two entries, not one kept once


# --- --amend as git reads it ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_message_saying_amend_does_not_make_a_commit_an_amend(repo: Repo) -> None:
    repo.append_progress(E3)
    repo.commit("append E3")
    repo.write(PROGRESS, typed_log("0") + entry_yaml(dict(E3, evidence="reworded")))
    for spoof in (["-m", "tidy", "-m", "--amend"], ["-m", "--amend"], ["--message", "--amend"], ["-am", "--amend"]):
        refused(repo.git("commit", "-a", *spoof, check=False), "progress-rewrite")
    for real in (["--amend", "-m", "reword"], ["--am", "-m", "reword"], ["-m", "x", "--amend", "--no-edit"]):
        accepted(repo.git("commit", "-a", *real, check=False))
        repo.write(PROGRESS, typed_log("0") + entry_yaml(dict(E3, evidence=f"reworded {len(real)}")))
    accepted(repo.git("-c", "core.editor=true", "commit", "-a", "--amend", check=False))


# --- a cited commit is an object name ------------------------------------------------------------------------


def test_a_cited_commit_resolves_as_an_object_name_only(repo: Repo) -> None:
    fake = "abcdef123456"
    assert repo.git("rev-parse", "-q", "--verify", f"{fake}^{{commit}}", check=False).returncode != 0
    repo.git("tag", fake, "HEAD")  # a tag named like a commit id, pointing at a real ancestor
    repo.append_progress(dict(E3, commit=fake))
    repo.commit("cite a commit that does not exist")
    audit = repo.small("audit", "origin/main..HEAD")
    refused(audit, "evidence-commit-unknown")
    refused(repo.git("push", "origin", "main", check=False), "evidence-commit-unknown")


# --- secrets and insecure links in what a commit adds ------------------------------------------------------------


def test_a_secret_in_a_new_entry_is_refused_with_the_redaction_hint(repo: Repo) -> None:
    repo.append_progress(dict(E3, notes=f"token {TOKEN}"))
    proc = repo.commit("leak a token", check=False)
    refused(proc, "secret")
    assert "entries[2].notes" in proc.stderr and "git small redact --entry 2 --field notes" in proc.stderr
    repo.commit("leak a token (bypassed)", "--no-verify")
    refused(repo.git("push", "origin", "main", check=False), "secret")
    refused(repo.small("audit", "origin/main..HEAD"), "secret")


def test_an_insecure_link_added_to_the_plan_is_refused(repo: Repo) -> None:
    repo.write(PLAN, repo.read(PLAN) + '  - id: "task-3"\n    title: "Read http://example.com/spec"\n')
    refused(repo.commit("plan with an http link", check=False), "insecure-link")


def test_content_already_there_is_not_blamed_on_the_next_commit(repo: Repo) -> None:
    repo.append_progress(dict(E3, notes=f"token {TOKEN}"))
    repo.commit("leak a token (bypassed)", "--no-verify")
    repo.append_progress(E4)
    accepted(repo.commit("an honest append", check=False))
    repo.write(PLAN, repo.read(PLAN).replace("Implement the parser", "Implement the parser well"))
    accepted(repo.commit("an honest plan edit", check=False))


# --- what small-git produces passes its own gates -------------------------------------------------------------


def test_a_squash_of_the_drivers_interleaving_passes(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.append_progress(E3)  # 10:00:02
    repo.commit("side appends E3")
    repo.git("checkout", "-q", "main")
    repo.append_progress(E4)  # 10:00:03, later than the side's entry
    repo.commit("main appends E4")
    repo.git("merge", "-q", "--squash", "side")
    accepted(repo.git("commit", "-q", "-m", "squash side", check=False))
    entries = load_yaml(repo.read(PROGRESS).encode(), "p").data["entries"]
    assert [e["evidence"] for e in entries[-2:]][0] == E4["evidence"]  # the side's entry comes after ours
    assert "original timestamp 2025-01-05T10:00:02" in entries[-1]["notes"]
    accepted(repo.git("push", "origin", "main", check=False))


def _leak_and_redact_on_main(repo: Repo) -> None:
    """The seeded log's first entry leaks; `side` forks before main redacts it."""
    repo.append_progress(dict(E3, notes=f"token {TOKEN}"))
    repo.commit("leak (bypassed)", "--no-verify")
    repo.git("push", "-q", "--no-verify", "origin", "main")  # the leak reached the remote
    repo.git("checkout", "-q", "-b", "side")
    repo.append_progress(E4)
    repo.commit("side appends E4")
    repo.git("checkout", "-q", "main")
    redacted = repo.small("redact", "--entry", "2", "--field", "notes")
    assert redacted.returncode == 0, redacted.stderr
    repo.git("add", PROGRESS)
    accepted(repo.git("commit", "-q", "-m", "redact the token", "-m", f"{TRAILER}: a leaked token", check=False))


@pytest.mark.slow
def test_a_redaction_survives_a_merge_of_a_branch_that_forked_before_it(repo: Repo) -> None:
    _leak_and_redact_on_main(repo)
    repo.git("checkout", "-q", "-b", "side-takes-main", "side")
    accepted(repo.git("merge", "-q", "--no-edit", "main", check=False))  # the forked branch takes main
    assert TOKEN not in repo.read(PROGRESS)
    accepted(repo.small("audit", "origin/main..HEAD"))
    repo.git("checkout", "-q", "main")
    accepted(repo.git("merge", "-q", "--no-edit", "side", check=False))  # main takes the forked branch
    assert TOKEN not in repo.read(PROGRESS)
    accepted(repo.small("audit", "origin/main..HEAD"))
    accepted(repo.git("push", "origin", "main", "side-takes-main", check=False))


def test_a_redaction_without_its_trailer_says_to_add_it(repo: Repo) -> None:
    repo.append_progress(dict(E3, notes=f"token {TOKEN}"))
    repo.commit("leak (bypassed)", "--no-verify")
    assert repo.small("redact", "--entry", "2", "--field", "notes").returncode == 0
    repo.git("add", PROGRESS)
    proc = repo.git("commit", "-m", "redact", check=False)
    refused(proc, "redaction-trailer-missing")
    assert f"{TRAILER}:" in proc.stderr


def test_gate_messages_number_entries_as_check_does(repo: Repo) -> None:
    repo.write(PROGRESS, typed_log("7"))
    proc = repo.commit("rewrite", check=False)
    refused(proc, "progress-rewrite")
    assert "entries[1]" in proc.stderr and "entry 2" not in proc.stderr


def test_refusals_point_at_a_help_topic_that_exists(repo: Repo) -> None:
    repo.write(PROGRESS, typed_log("7"))
    proc = repo.commit("rewrite", check=False)
    assert "see: git small help gates" in proc.stderr and "docs/git-gates.md" not in proc.stderr
    shown = repo.small("help", "gates")
    assert shown.returncode == 0 and "entries[N]" in shown.stdout and "git small help recovering" in shown.stdout
    for topic in ("recovering", "redaction", "authority"):
        assert repo.small("help", topic).returncode == 0
    assert repo.small("help", "nonsense").returncode == 2


def test_arguments_git_passes_a_hook_are_never_read_as_help(tmp_path: Path) -> None:
    """What follows the hook's name is git's (a remote's name or URL, a message file). Read as `--help`, it
    would print a help page and exit 0 in place of the gate."""
    repo = seeded_repo(tmp_path)
    log = repo.read(PROGRESS).replace(FIRST_ENTRY["task_id"], "task-rewritten", 1)
    repo.write(PROGRESS, log)
    repo.git("add", PROGRESS)
    proc = repo.installed_small("hook", "pre-commit", "--help")
    refused(proc, "progress-rewrite")
    assert "Usage:" not in proc.stdout + proc.stderr
    assert repo.installed_small("hook", "--help").returncode == 0
