"""The pre-receive gate over every transport: file://, the git protocol (`git daemon --enable=receive-pack`)
and smart HTTP (`git http-backend` behind lighttpd, Basic auth for a human and an agent account, so
REMOTE_USER is the pusher). Each adversarial update of the engine issue is refused with a readable `remote:`
message and each legitimate one accepted; at the pusher level an agent account's intent change is refused and
a human's accepted; deleting the protected main is refused (it is one of the adversarial updates)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.servers import (
    ACCEPTED,
    AGENT_ACCOUNT,
    HUMAN_ACCOUNT,
    INTENT,
    POLICY_LOOKING_FILES,
    REFUSED,
    Scenario,
    Server,
    Stage,
    agent_commit,
    git_daemon,
    intent_text,
    prepare_server,
    push,
    refusal_blocks,
    remote_lines,
    require_web_server,
    seeded_server,
    web_server,
    with_account,
)

pytestmark = pytest.mark.slow  # each test takes seconds: they start first

TRANSPORTS = ("file", "git", "http")


@contextlib.contextmanager
def reach(transport: str, server: Server, account: str = HUMAN_ACCOUNT) -> Iterator[str]:
    """The server's URL over `transport` (as `account` where the transport authenticates)."""
    base = server.path.parent
    if transport == "file":
        yield f"file://{server.path}"
    elif transport == "git":
        # git daemon authenticates nobody; a server that knows its pushers sets a variable the policy
        # names (as an ssh forced command would), so each account gets a daemon of its own
        with git_daemon(base, {"SMALL_PUSHER": account}) as url:
            yield f"{url}/{server.path.name}"
    else:
        with web_server(base) as url:
            yield f"{with_account(url, account)}/{server.path.name}"


def concrete(stage: Stage, refspecs: list[str]) -> list[str]:
    """Refspecs with their local side resolved now, so one push can carry what many scenarios built."""
    out = []
    for spec in refspecs:
        force, body = ("+", spec[1:]) if spec.startswith("+") else ("", spec)
        local, _, remote = body.partition(":")
        if local:
            local = stage.client.git("rev-parse", local).stdout.strip()
        out.append(f"{force}{local}:{remote}")
    return out


def build_all(stage: Stage, scenarios: tuple[Scenario, ...]) -> list[str]:
    refspecs: list[str] = []
    for scenario in scenarios:
        refspecs += concrete(stage, scenario.build(stage, scenario.ref))
    return refspecs


def served(tmp_path: Path, transport: str) -> tuple[Server, Stage]:
    if transport == "http":
        require_web_server()
    server, client = seeded_server(tmp_path)
    prepare_server(server)
    server.config("small.pusherVariable", "SMALL_PUSHER")
    return server, Stage(client, client.head(), server)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_adversarial_update_is_refused(tmp_path: Path, transport: str) -> None:
    server, stage = served(tmp_path, transport)
    with reach(transport, server) as url:
        stage.client.git("remote", "set-url", "origin", url)
        refspecs = build_all(stage, REFUSED)
        before = {s.ref: server.ref(s.ref) for s in REFUSED}
        proc = push(stage.client, "origin", *refspecs)
    said = remote_lines(proc)
    assert proc.returncode != 0, said
    blocks = refusal_blocks(said)
    for scenario in REFUSED:
        block = blocks.get(scenario.ref, "")
        assert all(f"[{rule}]" in block for rule in scenario.rules), f"{scenario.name}:\n{said}"
        assert "fix:" in block
    assert f"in {len(REFUSED)} of {len(REFUSED)} ref updates; no ref was updated" in said
    assert {s.ref: server.ref(s.ref) for s in REFUSED} == before


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_legitimate_update_is_accepted(tmp_path: Path, transport: str) -> None:
    server, stage = served(tmp_path, transport)
    with reach(transport, server) as url:
        stage.client.git("remote", "set-url", "origin", url)
        refspecs = build_all(stage, ACCEPTED)
        proc = push(stage.client, "origin", *refspecs)
    assert proc.returncode == 0, remote_lines(proc)
    assert "small-git: accepted" in remote_lines(proc)
    for spec in refspecs:
        local, _, ref = spec.lstrip("+").partition(":")
        assert server.ref(ref) == (local or None), spec


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_at_pusher_level_only_a_human_account_changes_the_intent(tmp_path: Path, transport: str) -> None:
    server, stage = served(tmp_path, transport)
    server.config("small.humanLevel", "pusher")
    server.config("small.human", HUMAN_ACCOUNT)
    stage.fresh()
    stage.client.write(INTENT, intent_text("Ship the parser, then the printer"))
    stage.client.commit("an intent change, by a human-looking commit")
    change = stage.client.head()
    # the agent account also pushes policy-looking files, which change nothing
    for path, text in POLICY_LOOKING_FILES.items():
        stage.client.write(path, text)
    agent_commit(stage.client, "tune the project's policy")
    env = {"GL_USERNAME": AGENT_ACCOUNT} if transport == "file" else None
    with reach(transport, server, AGENT_ACCOUNT) as url:
        refused = push(stage.client, url, "HEAD:refs/heads/main", env=env)
    block = refusal_blocks(remote_lines(refused)).get("refs/heads/main", "")
    assert refused.returncode != 0 and "[human-file-pusher]" in block and repr(AGENT_ACCOUNT) in block
    assert server.ref("refs/heads/main") == stage.seed

    env = {"GL_USERNAME": HUMAN_ACCOUNT} if transport == "file" else None
    with reach(transport, server, HUMAN_ACCOUNT) as url:
        accepted = push(stage.client, url, f"{change}:refs/heads/main", env=env)
    assert accepted.returncode == 0, remote_lines(accepted)
    assert server.ref("refs/heads/main") == change
