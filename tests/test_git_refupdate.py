"""Ref updates judged as a whole (spec §6.1): real pushes through the installed pre-push gate, and
`git small audit OLD..NEW` in a fresh `git clone --no-local` of the remote, which is what CI sees.

Each adversarial update is refused at both; each legitimate one is accepted at both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import Result
from support.repo import Repo, configure_signing, prebuilt_repo, seeded_repo
from support.workspace import FIRST_ENTRY, entry

from small_git.gates.context import AuditContext
from small_git.gates.refupdate import RefUpdate, judge_ref_update, ref_update

PROGRESS = ".small/progress.small.yml"
INTENT = ".small/intent.small.yml"
E2, E3, E4, E5 = (entry("task-2", second) for second in (1, 2, 3, 4))
AGENT = {
    "GIT_AUTHOR_NAME": "Claude",
    "GIT_AUTHOR_EMAIL": "noreply@anthropic.com",
    "GIT_COMMITTER_NAME": "Claude",
    "GIT_COMMITTER_EMAIL": "noreply@anthropic.com",
}


class Team:
    """A bare remote holding main, and a clone with the gates installed that pushes to it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.me = prebuilt_repo(f"{__name__}.team", self.build, tmp_path, name="me")
        self.remote = Repo(tmp_path / "remote.git")
        self.clones = 0

    @staticmethod
    def build(folder: Path) -> None:
        remote = Repo.create(folder, "remote.git", bare=True)
        # CI fetches an old tip by its id after a force push made it unreachable
        remote.git("config", "uploadpack.allowAnySHA1InWant", "true")
        me = seeded_repo(folder, name="me")
        me.git("remote", "add", "origin", remote.path)
        me.git("push", "-q", "origin", "main")

    def remote_tip(self, ref: str = "main") -> str:
        return self.remote.git("rev-parse", ref).stdout.strip()

    def push(self, *args: str) -> Result:
        return self.me.git("push", "origin", *args, check=False)

    def push_bypassing(self, *args: str) -> None:
        """What an agent that skips the local gate does; the remote (and CI) still see it."""
        self.me.git("push", "-q", "--no-verify", "origin", *args)

    def fresh_clone(self) -> Repo:
        self.clones += 1
        clone = Repo(self.tmp / f"ci{self.clones}")
        self.me.run("git", "clone", "-q", "--no-local", self.remote.path, clone.path)
        return clone

    def audit(self, old: str, new: str, *extra: str) -> Result:
        return self.fresh_clone().small("audit", f"{old}..{new}", *extra)


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """Built once per run and copied."""
    return Team(tmp_path)


def refused(proc: Result, rule: str) -> None:
    assert proc.returncode != 0, proc.stderr
    assert f"[{rule}]" in proc.stderr, proc.stderr


# --- refused ------------------------------------------------------------------------------------------------


def test_a_force_push_replacing_an_entry_is_refused(team: Team) -> None:
    me = team.me
    me.append_progress(E2)
    me.commit("append E2")
    team.push("main")
    old = team.remote_tip()
    me.git("reset", "-q", "--hard", "HEAD~1")
    me.append_progress(dict(E2, evidence="a different story"))  # a valid append to its own parent
    me.commit("append another E2")
    refused(team.push("--force", "main"), "progress-force-push-lost-entry")
    team.push_bypassing("--force", "main")
    audit = team.audit(old, team.remote_tip())
    assert audit.returncode == 2 and f"git fetch origin {old}" in audit.stderr  # unreachable: not cloned
    clone = team.fresh_clone()
    clone.git("fetch", "-q", "origin", old)  # fetching must not turn the failure into a pass
    refused(clone.small("audit", f"{old}..{team.remote_tip()}"), "progress-force-push-lost-entry")


def test_a_rewind_is_refused(team: Team) -> None:
    me = team.me
    for new in (E2, E3):
        me.append_progress(new)
        me.commit("append")
    team.push("main")
    old = team.remote_tip()
    proc = team.push("--force", "HEAD~2:main")
    refused(proc, "progress-force-push-lost-entry")
    assert "task-2" in proc.stderr
    team.push_bypassing("--force", "HEAD~2:main")
    clone = team.fresh_clone()
    clone.git("fetch", "-q", "origin", old)
    audit = clone.small("audit", f"{old}..{team.remote_tip()}")
    refused(audit, "progress-force-push-lost-entry")
    assert "0 commits" in audit.stderr and "not a fast-forward" in audit.stderr


def test_a_force_push_over_an_unfetched_remote_tip_is_refused(team: Team) -> None:
    colleague = Repo(team.tmp / "colleague")
    team.me.run("git", "clone", "-q", team.remote.path, colleague.path)
    colleague.install()
    colleague.append_progress(E2)
    colleague.commit("colleague appends E2")
    colleague.git("push", "-q", "origin", "main")
    theirs = team.remote_tip()
    me = team.me  # has not fetched: the remote tip is unknown here
    me.write("src/app.py", "print('mine')\n")
    me.commit("code")
    proc = team.push("--force", "main")
    refused(proc, "missing-history")
    assert "git fetch origin" in proc.stderr
    me.git("fetch", "-q", "origin")  # fetched: now judged, and still refused
    refused(team.push("--force", "main"), "progress-force-push-lost-entry")
    team.push_bypassing("--force", "main")
    audit = team.audit(theirs, team.remote_tip())
    assert audit.returncode == 2 and "missing-history" in audit.stderr


def test_a_new_branch_at_an_old_commit_citing_commits_outside_its_history_is_refused(team: Team) -> None:
    me = team.me
    me.git("checkout", "-q", "-b", "feature")
    me.write("src/feature.py", "print('feature')\n")
    me.commit("feature work")
    feature = me.head()
    me.git("checkout", "-q", "main")
    me.append_progress(dict(E2, commit=feature[:12]))  # cites the feature before it is merged
    me.commit("record the feature")
    cites_outside = me.head()
    me.git("merge", "-q", "--no-edit", "feature")  # now the citation is in main's history
    assert team.push("main").returncode == 0
    refused(team.push(f"{cites_outside}:refs/heads/old-state"), "evidence-commit-not-ancestor")
    team.push_bypassing(f"{cites_outside}:refs/heads/old-state")
    audit = team.audit("0" * 40, cites_outside)  # CI's all-zero "before" of a new branch
    refused(audit, "evidence-commit-not-ancestor")


def _human_changes_intent_on_main(team: Team, *sign: str) -> str:
    """main gets a human's intent change; `agent` forked before it. Returns the remote's agent tip."""
    me = team.me
    me.git("checkout", "-q", "-b", "agent")
    me.write("src/agent.py", "print('agent')\n")
    me.commit("agent work", env=AGENT)
    team.push("agent")
    me.git("checkout", "-q", "main")
    me.write(INTENT, me.read(INTENT).replace("Ship the parser", "Ship the parser and the printer"))
    me.commit("human widens the intent", *sign)
    assert team.push("main").returncode == 0
    me.git("checkout", "-q", "agent")
    return team.remote_tip("agent")


def test_an_agent_merge_that_reverts_a_human_change_is_refused(team: Team) -> None:
    old = _human_changes_intent_on_main(team)
    me = team.me
    merge = ["merge", "-q", "-s", "ours", "-m", "merge main, keeping our intent", "main"]
    refused(me.git(*merge, check=False, env=AGENT), "human-file-agent-change")  # pre-merge-commit
    me.git("merge", "--abort")
    me.git(*merge, "--no-verify", env=AGENT)
    assert "printer" not in me.read(INTENT)
    refused(team.push("agent"), "human-file-agent-change")
    team.push_bypassing("agent")
    refused(team.audit(old, team.remote_tip("agent")), "human-file-agent-change")


def test_at_signed_level_an_unsigned_merge_that_reverts_a_human_change_is_refused(team: Team) -> None:
    me = team.me
    signing = configure_signing(me, team.tmp / "keys")
    me.git("config", "user.signingkey", str(signing.human_key))
    old = _human_changes_intent_on_main(team, "-S")  # the human's change is signed: it passes
    # a human-looking identity, so only the missing signature gives it away
    me.git("merge", "-q", "-s", "ours", "-m", "merge main, keeping our intent", "main")
    refused(team.push("agent"), "human-file-unsigned")
    team.push_bypassing("agent")
    clone = team.fresh_clone()
    allowed = team.tmp / "keys" / "allowed_signers"  # where configure_signing put them
    for key, value in (("small.humanLevel", "signed"), ("small.allowedSignersFile", str(allowed))):
        clone.git("config", key, value)
    refused(clone.small("audit", f"{old}..{team.remote_tip('agent')}"), "human-file-unsigned")


# --- accepted -----------------------------------------------------------------------------------------------


def accepted_everywhere(team: Team, old: str, ref: str = "main") -> None:
    proc = team.push(ref)
    assert proc.returncode == 0, proc.stderr
    audit = team.audit(old, team.remote_tip(ref))
    assert audit.returncode == 0, audit.stderr
    assert "audit passed" in audit.stdout


def test_a_merge_of_two_appending_branches_is_accepted(team: Team) -> None:
    me, old = team.me, team.remote_tip()
    me.git("checkout", "-q", "-b", "side")
    me.append_progress(E3)
    me.commit("side appends E3")
    me.git("checkout", "-q", "main")
    me.append_progress(E2)
    me.commit("main appends E2")
    me.git("merge", "-q", "--no-edit", "side")  # the merge driver interleaves the entries
    accepted_everywhere(team, old)


def test_a_rebase_of_unpushed_code_commits_is_accepted(team: Team) -> None:
    me = team.me
    me.append_progress(E2)
    me.commit("append E2")
    team.push("main")
    old = team.remote_tip()
    for name in ("a", "b"):
        me.write(f"src/{name}.py", f"print('{name}')\n")
        me.commit(f"code {name}")
    me.git("-c", "sequence.editor=sed -i 1s/^pick/reword/", "-c", "core.editor=true", "rebase", "-q", "-i", old)
    accepted_everywhere(team, old)


def test_a_revert_of_a_code_commit_is_accepted(team: Team) -> None:
    me, old = team.me, team.remote_tip()
    me.write("src/app.py", "print('oops')\n")
    me.commit("a mistake")
    me.git("revert", "--no-edit", "HEAD")
    accepted_everywhere(team, old)


def test_a_squash_merge_is_accepted(team: Team) -> None:
    me, old = team.me, team.remote_tip()
    me.git("checkout", "-q", "-b", "side")
    for new in (E2, E3):
        me.append_progress(new)
        me.commit("side appends")
    me.git("checkout", "-q", "main")
    me.git("merge", "-q", "--squash", "side")
    me.git("commit", "-q", "-m", "squash side")
    accepted_everywhere(team, old)


def test_an_agent_merging_main_into_its_branch_is_accepted(team: Team) -> None:
    old = _human_changes_intent_on_main(team)
    team.me.git("merge", "-q", "--no-edit", "main", env=AGENT)  # takes the human's change as it is
    accepted_everywhere(team, old, "agent")


# --- the primitive and audit's inputs -------------------------------------------------------------------------


def test_deleting_a_protected_ref_is_refused_by_the_primitive(team: Team) -> None:
    tip = team.me.head()
    context = AuditContext(team.me.path, stage="pre-receive")
    update = RefUpdate("refs/heads/main", tip, None)
    assert judge_ref_update(team.me.path, update, context, lambda ref: ref == "refs/heads/main").exit_code == 1
    other = RefUpdate("refs/heads/scratch", tip, None)
    assert judge_ref_update(team.me.path, other, context, lambda ref: ref == "refs/heads/main").exit_code == 0


def test_all_zero_ids_are_no_object() -> None:
    assert ref_update("refs/heads/x", "0" * 40, "ab" * 20) == RefUpdate("refs/heads/x", None, "ab" * 20)
    assert ref_update("refs/heads/x", "ab" * 32, "0" * 64).new is None


def test_audit_takes_old_new_ref_and_the_ci_events(team: Team, tmp_path: Path) -> None:
    me = team.me
    old = me.head()
    me.append_progress(E2)
    me.commit("append")
    new = me.head()
    explicit = me.small("audit", "--old", old, "--new", new, "--ref", "refs/heads/main", "--json")
    document = json.loads(explicit.stdout)
    assert explicit.returncode == 0 and document["commits"] == 1 and document["forced"] is False
    assert document["ref"] == "refs/heads/main"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"before": new, "after": old, "forced": True, "ref": "refs/heads/main"}))
    rewound = me.small("audit", "--from-ci", "github", "--json", env={"GITHUB_EVENT_PATH": str(event)})
    document = json.loads(rewound.stdout)
    assert rewound.returncode == 1 and document["forced"] is True and document["reported_forced"] is True
    gitlab = me.small(
        "audit",
        "--from-ci",
        "gitlab",
        env={"CI_COMMIT_BEFORE_SHA": "0" * 40, "CI_COMMIT_SHA": new, "CI_COMMIT_REF_NAME": "main"},
    )
    assert gitlab.returncode == 0 and "2 commits checked" in gitlab.stdout
    both = me.small("audit", f"{old}..{new}", "--old", old)
    assert both.returncode == 2


def test_entries_compare_across_a_force_push_with_other_entries_between(team: Team) -> None:
    me = team.me
    me.append_progress(E3)
    me.commit("append E3")
    team.push("main")
    old = team.remote_tip()
    me.git("reset", "-q", "--hard", "HEAD~1")
    me.write_progress([FIRST_ENTRY, E2, E3, E4])  # E2 before E3: the old entries keep their order
    me.commit("append E2, E3 and E4")
    assert team.push("--force", "main").returncode == 0
    audit = team.fresh_clone()
    audit.git("fetch", "-q", "origin", old)
    assert audit.small("audit", f"{old}..{team.remote_tip()}").returncode == 0
