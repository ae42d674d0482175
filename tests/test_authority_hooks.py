"""Human authority through the installed hooks: real `git commit` and `git push` (spec §6.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import git, run
from support.repo import Repo, SignedRepo

INTENT = ".small/intent.small.yml"


@pytest.fixture
def repo(repo: Repo, tmp_path: Path) -> Path:
    """A workspace with the hooks installed and a bare remote `origin` holding main."""
    path = repo.path
    for args in (("init", "--intent", "Ship the parser"), ("install",)):
        repo.small(*args, check=True)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "workspace")
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(path, "remote", "add", "origin", str(tmp_path / "remote.git"))
    git(path, "push", "-q", "origin", "main")
    return path


def edit_intent(repo: Path, text: str) -> None:
    path = repo / INTENT
    path.write_text(path.read_text().replace("Ship the parser", text))
    git(repo, "add", INTENT)


def test_an_agent_marker_refuses_the_commit_and_a_human_makes_it(repo: Path) -> None:
    edit_intent(repo, "Ship the parser and the printer")
    refused = run(repo, "git", "commit", "-q", "-m", "widen intent", env={"SMALL_ACTOR": "agent"})
    assert refused.returncode != 0 and "human-file-agent-change" in refused.stderr
    assert git(repo, "rev-list", "--count", "HEAD") == "1"
    git(repo, "commit", "-q", "-m", "widen intent")
    assert git(repo, "rev-list", "--count", "HEAD") == "2"


def test_an_agent_co_author_is_refused_at_commit_msg_and_at_push(repo: Path) -> None:
    edit_intent(repo, "Ship it all")
    trailer = "Co-authored-by: Claude <noreply@anthropic.com>"
    refused = run(repo, "git", "commit", "-q", "-m", "widen intent", "-m", trailer)
    assert refused.returncode != 0 and "co-author" in refused.stderr
    git(repo, "commit", "-q", "--no-verify", "-m", "widen intent", "-m", trailer)  # skipping the local hooks
    pushed = run(repo, "git", "push", "origin", "main")
    assert pushed.returncode != 0 and "human-file-agent-change" in pushed.stderr


@pytest.mark.slow
def test_signed_level_refuses_unsigned_and_wrongly_signed_pushes(signed_repo: SignedRepo) -> None:
    repo, human, other = signed_repo
    edit_intent(repo, "Ship the parser, signed")
    git(repo, "commit", "-q", "-m", "intent, unsigned")  # pre-commit cannot judge a signature yet
    unsigned = run(repo, "git", "push", "origin", "main")
    assert unsigned.returncode != 0 and "human-file-unsigned" in unsigned.stderr
    git(repo, "config", "user.signingkey", str(other))
    git(repo, "commit", "-q", "--amend", "-S", "--no-edit")
    stranger = run(repo, "git", "push", "origin", "main")
    assert stranger.returncode != 0 and "not in the allowed signers" in stranger.stderr
    git(repo, "config", "user.signingkey", str(human))
    git(repo, "commit", "-q", "--amend", "-S", "--no-edit")
    pushed = run(repo, "git", "push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
