"""Human authority over intent and constraints (spec §6.3), judged on real git commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import git
from support.env import HUMAN
from support.repo import Repo, SignedRepo

from small_git.errors import SmallError
from small_git.gates.authority import (
    RULE_AGENT,
    RULE_POLICY,
    RULE_PUSHER,
    RULE_UNSIGNED,
    CommitMeta,
    authority_findings,
    load_policy,
)

INTENT = [".small/intent.small.yml"]


@pytest.fixture
def repo(repo: Repo) -> Path:
    """The repository with a committed intent."""
    repo.write(".small/intent.small.yml", 'small_version: "1.0.0"\nowner: human\nintent: first\n')
    repo.commit("start")
    return repo.path


def change_intent(repo: Path, text: str, *extra: str, env: dict[str, str] | None = None) -> str:
    (repo / ".small/intent.small.yml").write_text(f'small_version: "1.0.0"\nowner: human\nintent: {text}\n')
    git(repo, "add", ".", env=env)
    git(repo, "commit", "-q", "-m", f"intent: {text}", *extra, env=env)
    return git(repo, "rev-parse", "HEAD")


def meta_of(repo: Path, sha: str) -> CommitMeta:
    fields = git(repo, "log", "-1", "--format=%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%B", sha).split("\0")
    return CommitMeta(
        sha=fields[0],
        parents=fields[1].split(),
        author_name=fields[2],
        author_email=fields[3],
        committer_name=fields[4],
        committer_email=fields[5],
        message=fields[6],
    )


def pending(name: str = HUMAN[0], email: str = HUMAN[1], message: str = "edit intent") -> CommitMeta:
    return CommitMeta(None, [], name, email, name, email, message)


def rules(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.rule for f in findings]


# --- identity level -------------------------------------------------------------------------------------


def test_a_human_change_is_accepted(repo: Path) -> None:
    assert authority_findings(INTENT, pending(), env={"PATH": "/bin"}, repo=repo, stage="pre-commit") == []
    sha = change_intent(repo, "by a human")
    assert authority_findings(INTENT, meta_of(repo, sha), env=None, repo=repo, stage="audit") == []


@pytest.mark.parametrize(
    "env",
    [
        {"SMALL_ACTOR": "agent"},
        {"CLAUDECODE": "1"},
        {"CODEX_SANDBOX": "seatbelt"},
        {"GEMINI_CLI": "1"},
        {"CURSOR_AGENT": "1"},
        {"CLINE_ACTIVE": "true"},
        {"OPENCODE": "1"},
        {"AI_AGENT": "yes"},
    ],
)
def test_an_agent_environment_marker_refuses_the_change_in_local_hooks(repo: Path, env: dict[str, str]) -> None:
    findings = authority_findings(INTENT, pending(), env=env, repo=repo, stage="pre-commit")
    assert rules(findings) == [RULE_AGENT]
    assert next(iter(env)) in findings[0].message and findings[0].file == INTENT[0]
    assert "draft" in (findings[0].hint or "")
    # the pusher's environment says nothing about who made a commit
    assert authority_findings(INTENT, pending(), env=env, repo=repo, stage="pre-push") == []


def test_markers_that_are_set_but_not_agent_values_do_not_count(repo: Path) -> None:
    env = {"SMALL_ACTOR": "human", "CLAUDECODE": ""}
    assert authority_findings(INTENT, pending(), env=env, repo=repo, stage="pre-commit") == []


@pytest.mark.parametrize(
    "name,email",
    [
        ("Jane Doe (aider)", "jane@example.org"),
        ("Claude", "noreply@anthropic.com"),
        ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
        ("Cursor Agent", "cursoragent@cursor.com"),
    ],
)
def test_an_agent_author_identity_is_refused_on_a_real_commit(repo: Path, name: str, email: str) -> None:
    sha = change_intent(repo, "by an agent", env={"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email})
    findings = authority_findings(INTENT, meta_of(repo, sha), env=None, repo=repo, stage="audit")
    assert rules(findings) == [RULE_AGENT]
    assert email in findings[0].message and sha[:12] in findings[0].message


def test_an_agent_committer_is_refused(repo: Path) -> None:
    sha = change_intent(repo, "x", env={"GIT_COMMITTER_NAME": "Claude", "GIT_COMMITTER_EMAIL": "noreply@anthropic.com"})
    assert rules(authority_findings(INTENT, meta_of(repo, sha), env=None, repo=repo, stage="audit")) == [RULE_AGENT]


def test_an_agent_co_author_trailer_is_refused(repo: Path) -> None:
    sha = change_intent(repo, "pairing", "-m", "Co-authored-by: Claude <noreply@anthropic.com>")
    findings = authority_findings(INTENT, meta_of(repo, sha), env=None, repo=repo, stage="audit")
    assert rules(findings) == [RULE_AGENT] and "co-author" in findings[0].message
    human_pair = change_intent(repo, "pairing 2", "-m", "Co-authored-by: Ada <ada@example.org>")
    assert authority_findings(INTENT, meta_of(repo, human_pair), env=None, repo=repo, stage="audit") == []


def test_configured_markers_and_identities_extend_the_built_in_ones(repo: Path) -> None:
    git(repo, "config", "--add", "small.agentMarker", "MY_AGENT_*")
    git(repo, "config", "--add", "small.agentMarker", "ROLE=robot")
    git(repo, "config", "--add", "small.agentIdentity", r"<ci-agent@corp\.example>")
    policy = load_policy(repo)
    for env in ({"MY_AGENT_SESSION": "42"}, {"ROLE": "Robot"}):
        assert rules(authority_findings(INTENT, pending(), env=env, repo=repo, stage="commit-msg")) == [RULE_AGENT]
    assert authority_findings(INTENT, pending(), env={"ROLE": "human"}, repo=repo, stage="pre-commit") == []
    agent = pending("Build", "ci-agent@corp.example")
    assert rules(authority_findings(INTENT, agent, env={}, repo=repo, stage="pre-commit", policy=policy)) == [
        RULE_AGENT
    ]


def test_no_human_owned_file_changed_means_nothing_to_judge(repo: Path) -> None:
    assert (
        authority_findings(
            [],
            pending("Claude", "noreply@anthropic.com"),
            env={"CLAUDECODE": "1"},
            repo=repo,
            stage="pre-commit",
        )
        == []
    )


def test_a_bad_policy_value_is_a_usage_error(repo: Path) -> None:
    git(repo, "config", "small.humanLevel", "paranoid")
    with pytest.raises(SmallError) as info:
        load_policy(repo)
    assert info.value.exit_code == 2 and "paranoid" in info.value.message
    git(repo, "config", "small.humanLevel", "identity")
    git(repo, "config", "small.agentIdentity", "(unclosed")
    with pytest.raises(SmallError):
        load_policy(repo)


# --- signed level ---------------------------------------------------------------------------------------


def test_signed_level_refuses_unsigned_and_wrongly_signed_changes_at_push(
    signed_repo: SignedRepo,
) -> None:
    repo, _, other = signed_repo
    unsigned = change_intent(repo, "unsigned")
    findings = authority_findings(INTENT, meta_of(repo, unsigned), env=None, repo=repo, stage="pre-push")
    assert rules(findings) == [RULE_UNSIGNED] and "no signature" in findings[0].message
    git(repo, "config", "user.signingkey", str(other))
    wrong = change_intent(repo, "signed by a stranger", "-S")
    findings = authority_findings(INTENT, meta_of(repo, wrong), env=None, repo=repo, stage="pre-push")
    assert rules(findings) == [RULE_UNSIGNED] and "not in the allowed signers" in findings[0].message


def test_signed_level_accepts_a_commit_signed_by_an_allowed_key(signed_repo: SignedRepo) -> None:
    repo, human, _ = signed_repo
    git(repo, "config", "user.signingkey", str(human))
    good = change_intent(repo, "signed by the human", "-S")
    for stage in ("pre-push", "pre-receive", "audit"):
        assert authority_findings(INTENT, meta_of(repo, good), env=None, repo=repo, stage=stage) == []


def test_signed_level_is_not_judged_before_the_commit_exists(signed_repo: SignedRepo) -> None:
    repo, _, _ = signed_repo
    assert authority_findings(INTENT, pending(), env={}, repo=repo, stage="pre-commit") == []


def test_signed_level_without_an_allowed_signers_file_says_how_to_configure_it(repo: Path) -> None:
    git(repo, "config", "small.humanLevel", "signed")
    sha = change_intent(repo, "x")
    findings = authority_findings(INTENT, meta_of(repo, sha), env=None, repo=repo, stage="audit")
    assert rules(findings) == [RULE_POLICY] and "small.allowedSignersFile" in (findings[0].hint or "")


def test_a_good_signature_does_not_excuse_an_agent_identity(signed_repo: SignedRepo) -> None:
    repo, human, _ = signed_repo
    git(repo, "config", "user.signingkey", str(human))
    sha = change_intent(repo, "x", "-S", "-m", "Co-authored-by: Claude <noreply@anthropic.com>")
    assert rules(authority_findings(INTENT, meta_of(repo, sha), env=None, repo=repo, stage="audit")) == [RULE_AGENT]


# --- pusher level (server) ------------------------------------------------------------------------------


def test_pusher_level_checks_the_pushing_account_at_pre_receive(repo: Path) -> None:
    git(repo, "config", "small.humanLevel", "pusher")
    git(repo, "config", "--add", "small.human", "alice")
    sha = change_intent(repo, "x")
    meta = meta_of(repo, sha)
    assert authority_findings(INTENT, meta, env={"GL_USERNAME": "alice"}, repo=repo, stage="pre-receive") == []
    refused = authority_findings(INTENT, meta, env={"GITEA_PUSHER_NAME": "agent-bot"}, repo=repo, stage="pre-receive")
    assert rules(refused) == [RULE_PUSHER] and "agent-bot" in refused[0].message
    assert rules(authority_findings(INTENT, meta, env={}, repo=repo, stage="pre-receive")) == [RULE_PUSHER]
