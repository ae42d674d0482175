"""The server's policy comes from the server only (spec §6.3): its git config and the files it names, never
the pushed commits. Levels identity, signed (allowed signers on the server) and pusher (the account the forge
or web server names), and per-ref rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.repo import Repo, ssh_keys
from support.servers import (
    AGENT_ACCOUNT,
    HUMAN_ACCOUNT,
    INTENT,
    POLICY_LOOKING_FILES,
    Server,
    Stage,
    agent_commit,
    append,
    intent_text,
    push,
    refusal_blocks,
    remote_lines,
    seeded_server,
)


@pytest.fixture
def served(tmp_path: Path) -> tuple[Server, Stage]:
    server, client = seeded_server(tmp_path)
    return server, Stage(client, client.head(), server)


def human_intent_change(stage: Stage, what: str = "Ship the parser, then the printer") -> None:
    stage.fresh()
    stage.client.write(INTENT, intent_text(what))
    stage.client.commit("a human commit changes the intent")


def pusher_level(server: Server) -> None:
    server.config("small.humanLevel", "pusher")
    server.config("small.human", HUMAN_ACCOUNT)


@pytest.mark.parametrize("variable", ["GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "REMOTE_USER"])
def test_pusher_level_takes_the_account_each_forge_names(served: tuple[Server, Stage], variable: str) -> None:
    server, stage = served
    pusher_level(server)
    human_intent_change(stage)
    refused = push(stage.client, "origin", "HEAD:refs/heads/main", env={variable: AGENT_ACCOUNT})
    block = refusal_blocks(remote_lines(refused)).get("refs/heads/main", "")
    assert refused.returncode != 0 and "[human-file-pusher]" in block and repr(AGENT_ACCOUNT) in block
    accepted = push(stage.client, "origin", "HEAD:refs/heads/main", env={variable: HUMAN_ACCOUNT})
    assert accepted.returncode == 0, remote_lines(accepted)


def test_pusher_level_refuses_when_no_account_is_known(served: tuple[Server, Stage]) -> None:
    server, stage = served
    pusher_level(server)
    human_intent_change(stage)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "no pusher account is known" in remote_lines(proc)


def test_pusher_level_does_not_judge_what_leaves_human_files_alone(served: tuple[Server, Stage]) -> None:
    server, stage = served
    pusher_level(server)
    stage.fresh()
    append(stage.client, 2)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main", env={"GL_USERNAME": AGENT_ACCOUNT})
    assert proc.returncode == 0, remote_lines(proc)


def test_a_configured_pusher_variable(served: tuple[Server, Stage]) -> None:
    """A plain ssh server names the account itself, e.g. `environment="SMALL_PUSHER=alice"` in
    authorized_keys; the policy names that variable."""
    server, stage = served
    pusher_level(server)
    server.config("small.pusherVariable", "SMALL_PUSHER")
    human_intent_change(stage)
    assert push(stage.client, "origin", "HEAD:refs/heads/main", env={"SMALL_PUSHER": AGENT_ACCOUNT}).returncode != 0
    assert push(stage.client, "origin", "HEAD:refs/heads/main", env={"SMALL_PUSHER": HUMAN_ACCOUNT}).returncode == 0


def test_pushed_policy_looking_files_gain_nothing_at_pusher_level(served: tuple[Server, Stage]) -> None:
    """Files that look like policy (.gitconfig naming the agent a human, .small/config, allowed_signers,
    .mailmap, CODEOWNERS...) are content: the policy is the server's."""
    server, stage = served
    pusher_level(server)
    stage.fresh()
    for path, text in POLICY_LOOKING_FILES.items():
        stage.client.write(path, text)
    stage.client.commit("policy-looking files")
    # a human puts them on main first, so even HEAD's tree (what a bare repository reads .mailmap and
    # attributes from) has them
    assert push(stage.client, "origin", "HEAD:refs/heads/main", env={"GL_USERNAME": HUMAN_ACCOUNT}).returncode == 0
    stage.client.write(INTENT, intent_text("Ship whatever the agent likes"))
    agent_commit(stage.client, "widen the intent")
    proc = push(stage.client, "origin", "HEAD:refs/heads/main", env={"GL_USERNAME": AGENT_ACCOUNT})
    said = remote_lines(proc)
    assert proc.returncode != 0 and "[human-file-pusher]" in said and "[human-file-agent-change]" in said


def test_a_policy_file_the_repository_names_adds_to_its_config(served: tuple[Server, Stage], tmp_path: Path) -> None:
    server, stage = served
    policy = tmp_path / "server-policy.gitconfig"
    policy.write_text(f"[small]\n\thumanLevel = pusher\n\thuman = {HUMAN_ACCOUNT}\n\tprotectedRef = refs/heads/main\n")
    server.config("small.humanLevel", "identity")  # the file comes after the repository's own config: it wins
    server.config("small.policyFile", str(policy))
    human_intent_change(stage)
    refused = push(stage.client, "origin", "HEAD:refs/heads/main", env={"REMOTE_USER": AGENT_ACCOUNT})
    assert refused.returncode != 0 and "[human-file-pusher]" in remote_lines(refused)
    deleted = push(stage.client, "origin", ":refs/heads/main", env={"REMOTE_USER": HUMAN_ACCOUNT})
    assert deleted.returncode != 0 and "[protected-ref-deleted]" in remote_lines(deleted)
    policy.unlink()
    gone = push(stage.client, "origin", "HEAD:refs/heads/main", env={"REMOTE_USER": HUMAN_ACCOUNT})
    assert gone.returncode != 0 and "cannot be read" in remote_lines(gone)


def test_protected_refs_are_judged_even_where_the_policy_judges_nothing_else(served: tuple[Server, Stage]) -> None:
    server, stage = served
    server.config("small.judgeRef", "refs/heads/release/*")
    server.config("small.protectedRef", "refs/heads/main")
    stage.fresh()
    text = stage.client.read(".small/progress.small.yml").replace("Created the", "Forged the")
    stage.client.write(".small/progress.small.yml", text)
    stage.client.commit("rewrite")
    assert push(stage.client, "origin", "HEAD:refs/heads/topic").returncode == 0  # not judged
    proc = push(stage.client, "origin", "+HEAD:refs/heads/main")
    assert proc.returncode != 0 and "[progress-rewrite]" in remote_lines(proc)


# --- signed level: the allowed signers are the server's ----------------------------------------------------


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return ssh_keys(tmp_path / "keys", "human", "agent")


def signed_commit(client: Repo, key: Path, message: str) -> None:
    client.git("add", "-A")
    client.git("-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "commit", "-q", "-S", "-m", message)


def test_signed_level_checks_signatures_against_the_servers_allowed_signers(
    served: tuple[Server, Stage], keys: dict[str, Path], tmp_path: Path
) -> None:
    server, stage = served
    allowed = tmp_path / "server-allowed-signers"
    allowed.write_text(f"ada@example.com {keys['human'].with_suffix('.pub').read_text()}")
    server.config("small.humanLevel", "signed")
    server.config("small.allowedSignersFile", str(allowed))

    stage.fresh()
    # the agent ships its own allowed-signers file naming its key: the server never reads it
    stage.client.write("allowed_signers", f"ada@example.com {keys['agent'].with_suffix('.pub').read_text()}")
    stage.client.write(".gitconfig", "[small]\n\tallowedSignersFile = allowed_signers\n")
    stage.client.write(INTENT, intent_text("Signed by the agent's own key"))
    signed_commit(stage.client, keys["agent"], "intent, signed by a key the server does not allow")
    refused = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert refused.returncode != 0 and "[human-file-unsigned]" in remote_lines(refused)
    assert "not in the allowed signers" in remote_lines(refused)

    stage.fresh()
    stage.client.write(INTENT, intent_text("Signed by the human"))
    signed_commit(stage.client, keys["human"], "intent, signed by the human")
    accepted = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert accepted.returncode == 0, remote_lines(accepted)


def test_signed_level_refuses_an_agent_merge_that_reverts_a_human_change(
    served: tuple[Server, Stage], keys: dict[str, Path], tmp_path: Path
) -> None:
    server, stage = served
    allowed = tmp_path / "server-allowed-signers"
    allowed.write_text(f"ada@example.com {keys['human'].with_suffix('.pub').read_text()}")
    server.config("small.humanLevel", "signed")
    server.config("small.allowedSignersFile", str(allowed))
    stage.fresh()
    stage.client.write(INTENT, intent_text("Ship the parser, then the printer"))
    signed_commit(stage.client, keys["human"], "the human's signed intent change")
    assert push(stage.client, "origin", "HEAD:refs/heads/main").returncode == 0
    human = stage.client.head()
    stage.fresh()
    stage.client.write("src/agent.py", "print('agent')\n")
    stage.client.commit("code")
    stage.client.git("merge", "--no-edit", "-s", "ours", human)  # the old intent comes back, unsigned
    proc = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "[human-file-unsigned]" in remote_lines(proc)
