"""What the pusher reads: a block per finding (ref, commit, file:line, rule, fix), a summary line, GitLab's
GL-HOOK-ERR: prefix on every line of a refusal, and one line for a gate that cannot judge."""

from __future__ import annotations

from pathlib import Path

from support.servers import Server, Stage, append, push, remote_lines, rewrite_entry, seeded_server

from small_git.gates.refupdate import RefUpdate
from small_git.integration.server import messages
from small_git.integration.server.receive import ReceiveOutcome, RefVerdict
from small_git.protocol.findings import WARNING, Finding

REWRITE = Finding(
    "progress-rewrite",
    ".small/progress.small.yml",
    "commit 0123456789ab: changes entries[0] (fields: evidence)",
    line=4,
    hint="rewrite the unpushed commits so the log only grows",
    stage="git",
)
MAIN = RefUpdate("refs/heads/main", "a" * 40, "b" * 40)
TOPIC = RefUpdate("refs/heads/topic", None, "c" * 40)


def test_a_refusal_is_a_block_per_finding_and_a_summary() -> None:
    outcome = ReceiveOutcome([RefVerdict(MAIN, [REWRITE]), RefVerdict(TOPIC, [])])
    lines = messages.render(outcome, 0.4)
    assert lines[:4] == [
        "small-git: refs/heads/main: refused (1 finding)",
        "  .small/progress.small.yml:4 [progress-rewrite]",
        "    commit 0123456789ab: changes entries[0] (fields: evidence)",
        "    fix: rewrite the unpushed commits so the log only grows",
    ]
    assert lines[4] == "small-git: push refused: 1 finding in 1 of 2 ref updates; no ref was updated"
    assert lines[5].startswith("    what each rule means:")


def test_warnings_are_shown_but_do_not_refuse() -> None:
    warning = Finding("note", "x", "only a warning", severity=WARNING)
    outcome = ReceiveOutcome([RefVerdict(MAIN, [warning])])
    assert not outcome.refused and outcome.exit_code == 0
    assert messages.render(outcome, 1.25) == [
        "small-git: refs/heads/main: 1 warning",
        "  warning: x [note]",
        "    only a warning",
        "small-git: accepted (1 ref update judged in 1.2 s)",
    ]


def test_refs_left_unjudged_by_the_deadline_are_named() -> None:
    outcome = ReceiveOutcome([RefVerdict(MAIN, []), RefVerdict(TOPIC, [], timed_out=True)])
    lines = messages.render(outcome, 4.2)
    assert f"small-git: refs/heads/topic: not judged: {messages.TOO_SLOW}" in lines
    assert lines[-2] == (
        f"small-git: push refused: {messages.TOO_SLOW} (1 of 2 ref updates not judged); no ref was updated"
    )
    assert "raise small.timeout" in messages.TOO_SLOW and "push in smaller parts" in messages.TOO_SLOW


def test_gitlab_is_recognised_by_its_variables() -> None:
    assert messages.prefix_for({"GL_ID": "user-1", "GL_USERNAME": "alice"}) == "GL-HOOK-ERR: "
    assert messages.prefix_for({"GITEA_PUSHER_NAME": "alice", "REMOTE_USER": "alice"}) == ""
    assert messages.with_prefix(["a", "b"], "GL-HOOK-ERR: ") == ["GL-HOOK-ERR: a", "GL-HOOK-ERR: b"]


def served(tmp_path: Path) -> tuple[Server, Stage]:
    server, client = seeded_server(tmp_path)
    return server, Stage(client, client.head(), server)


def test_under_gitlab_every_line_of_a_refusal_carries_the_prefix_and_an_acceptance_none(tmp_path: Path) -> None:
    server, stage = served(tmp_path)
    gitlab = {"GL_ID": "user-1", "GL_USERNAME": "alice", "GL_PROTOCOL": "ssh", "GL_REPOSITORY": "project-1"}
    stage.fresh()
    append(stage.client, 2)
    accepted = remote_lines(push(stage.client, "origin", "HEAD:refs/heads/main", env=gitlab))
    assert "small-git: accepted" in accepted and "GL-HOOK-ERR" not in accepted
    rewrite_entry(stage.client)
    refused = remote_lines(push(stage.client, "origin", "HEAD:refs/heads/main", env=gitlab)).splitlines()
    assert refused and all(line.startswith("remote: GL-HOOK-ERR: ") for line in refused)
    server.config("small.timeout", "never")
    broken = remote_lines(push(stage.client, "origin", "HEAD:refs/heads/main", env=gitlab)).splitlines()
    assert broken[0].startswith("remote: GL-HOOK-ERR: small-git: the server's small.timeout 'never'")
