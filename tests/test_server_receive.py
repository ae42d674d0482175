"""The pre-receive gate over file://: every ref update of a push judged inside git's quarantine, refusals the
pusher can read, and nothing written when the push is refused. (Each adversarial and legitimate update of the
engine issue is pushed over every transport in tests/test_server_transports.py.)"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from support.cli import Result, installed_small
from support.paths import VENV_BIN
from support.servers import (
    Server,
    Stage,
    append,
    prepare_server,
    push,
    refusal_blocks,
    remote_lines,
    rewrite_entry,
    seeded_server,
)


@pytest.fixture
def served(tmp_path: Path) -> tuple[Server, Stage]:
    server, client = seeded_server(tmp_path)
    prepare_server(server)
    return server, Stage(client, client.head(), server)


def test_one_refused_update_refuses_the_whole_push(served: tuple[Server, Stage]) -> None:
    server, stage = served
    stage.fresh()
    good = append(stage.client, 2)
    stage.client.git("branch", "good", good)
    rewrite_entry(stage.client)
    proc = push(stage.client, "origin", "good:refs/heads/good", "HEAD:refs/heads/bad")
    said = remote_lines(proc)
    assert proc.returncode != 0
    assert set(refusal_blocks(said)) == {"refs/heads/bad"}
    assert "in 1 of 2 ref updates" in said
    assert server.ref("refs/heads/good") is None and server.ref("refs/heads/bad") is None


def file_digests(root: Path) -> dict[str, str]:
    """Every file below `root` and its content (the log is the server's own and may grow)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "small-git" not in path.relative_to(root).parts:
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_a_refused_push_leaves_the_repository_as_it_was(served: tuple[Server, Stage]) -> None:
    """Inside the quarantine the gate only reads: no ref, note, object or cache entry is left behind."""
    server, stage = served
    stage.fresh()
    append(stage.client, 2)
    rewrite_entry(stage.client)
    stage.client.git("notes", "add", "-m", "a note", "HEAD")
    before = file_digests(server.path)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main", "refs/notes/commits:refs/notes/commits")
    assert proc.returncode != 0 and "[progress-rewrite]" in remote_lines(proc)
    assert file_digests(server.path) == before  # objects, refs, notes, config, caches: all as they were


def test_sha256_repositories_are_judged(tmp_path: Path) -> None:
    server, client = seeded_server(tmp_path, object_format="sha256")
    assert len(server.git("rev-parse", "refs/heads/main")) == 64
    stage = Stage(client, client.head(), server)
    append(client, 2)
    accepted = push(client, "origin", "HEAD:refs/heads/main")
    assert accepted.returncode == 0, remote_lines(accepted)
    rewrite_entry(client)
    refused = push(client, "origin", "HEAD:refs/heads/main")
    assert refused.returncode != 0 and "[progress-rewrite]" in remote_lines(refused)
    stage.fresh()
    deleted = push(client, "origin", "HEAD:refs/heads/topic")
    assert deleted.returncode == 0 and push(client, "origin", ":refs/heads/topic").returncode == 0


def test_refs_the_policy_does_not_judge_are_accepted_but_not_trusted(served: tuple[Server, Stage]) -> None:
    """small.judgeRef limits what is judged; what an unjudged ref holds is judged again when a judged ref
    moves onto it."""
    server, stage = served
    server.config("small.judgeRef", "refs/heads/*")
    stage.fresh()
    rewrite_entry(stage.client)
    scratch = push(stage.client, "origin", "HEAD:refs/scratch/anything")
    assert scratch.returncode == 0, remote_lines(scratch)
    onto_main = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert onto_main.returncode != 0 and "[progress-rewrite]" in remote_lines(onto_main)


def run_gate(server: Server, stdin: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """The hook as git runs it: in the git dir, the push's lines on stdin."""
    # its own process: the gate's failsafe ends the process from a timer thread when the gate overruns
    return installed_small(server.path, "hook", "pre-receive", *args, program="git-small", input=stdin, env=env)


@pytest.mark.parametrize(
    "stdin",
    [
        "not a ref update\n",
        "0123 4567 refs/heads/main\n",
        f"{'0' * 40} {'a' * 64} refs/heads/main\n",  # mixed hash lengths
        f"{'0' * 40} {'a' * 40}\n",
    ],
)
def test_input_the_gate_cannot_read_refuses_the_push(served: tuple[Server, Stage], stdin: str) -> None:
    server, _ = served
    proc = run_gate(server, stdin)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("small-git: line 1 of the pre-receive input") and "refused" in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_an_internal_error_refuses_with_one_line_and_logs_the_details(
    served: tuple[Server, Stage], tmp_path: Path
) -> None:
    server, stage = served
    broken = tmp_path / "broken-site"
    broken.mkdir()
    (broken / "sitecustomize.py").write_text(
        "import small_git.integration.server.receive as receive\n"
        "def explode(*args, **kwargs):\n"
        "    raise RuntimeError('a defect in the gate')\n"
        "receive.judge_update = explode\n"
    )
    stage.fresh()
    append(stage.client, 2)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main", env={"PYTHONPATH": str(broken)})
    said = remote_lines(proc).splitlines()
    assert proc.returncode != 0
    assert said == [
        "remote: small-git: internal error (RuntimeError), so the push is refused; "
        "the server's small-git log has the details"
    ]
    log = (server.path / "small-git/pre-receive.log").read_text()
    assert "RuntimeError: a defect in the gate" in log and "Traceback" in log
    assert server.ref("refs/heads/main") == stage.seed


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("small.timeout", "soon", "is not a number of seconds"),
        ("small.humanLevel", "strict", "unknown level"),
        ("small.policyFile", "/nonexistent/policy", "cannot be read"),
    ],
)
def test_a_policy_the_gate_cannot_read_refuses_every_push(
    served: tuple[Server, Stage], key: str, value: str, words: str
) -> None:
    server, stage = served
    server.config(key, value)
    stage.fresh()
    append(stage.client, 2)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main")
    said = remote_lines(proc)
    assert proc.returncode != 0 and words in said and "the push is refused" in said
    assert server.ref("refs/heads/main") == stage.seed


def test_a_deadline_refuses_instead_of_being_killed(served: tuple[Server, Stage]) -> None:
    server, stage = served
    server.config("small.timeout", "0.01")
    stage.fresh()
    append(stage.client, 2)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main")
    said = remote_lines(proc)
    assert proc.returncode != 0
    assert "too much to judge in time: push in smaller parts, or raise small.timeout" in said
    assert server.ref("refs/heads/main") == stage.seed


@pytest.mark.slow
def test_the_watchdog_refuses_when_judging_overruns_the_deadline(served: tuple[Server, Stage], tmp_path: Path) -> None:
    """A judgement stuck past the deadline (here: one that sleeps for a minute) is cut short by the gate's own
    watchdog, which refuses the push with the reason."""
    server, stage = served
    server.config("small.timeout", "6")  # room for a slow start on a busy machine: the judgement itself hangs
    slow = tmp_path / "slow-site"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import time\n"
        "import small_git.integration.server.receive as receive\n"
        "def stuck(*args, **kwargs):\n"
        "    time.sleep(60)\n"
        "receive.judge_update = stuck\n"
    )
    stage.fresh()
    append(stage.client, 2)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main", env={"PYTHONPATH": str(slow)})
    said = remote_lines(proc)
    assert proc.returncode != 0
    assert "push refused after" in said and "too much to judge in time" in said
    assert "not judged within the deadline" in (server.path / "small-git/pre-receive.log").read_text()


def test_the_log_records_each_push(served: tuple[Server, Stage]) -> None:
    server, stage = served
    stage.fresh()
    append(stage.client, 2)
    assert push(stage.client, "origin", "HEAD:refs/heads/main", env={"GL_USERNAME": "alice"}).returncode == 0
    log = (server.path / "small-git/pre-receive.log").read_text().splitlines()
    assert " accepted pusher=alice seconds=" in log[-1] and log[-1].endswith(" refs=refs/heads/main")
    server.config("small.log", "off")
    append(stage.client, 3)
    assert push(stage.client, "origin", "HEAD:refs/heads/main").returncode == 0
    assert len((server.path / "small-git/pre-receive.log").read_text().splitlines()) == len(log)


def test_policy_files_come_after_inherited_git_config_variables(served: tuple[Server, Stage]) -> None:
    """The hook inherits its environment (under file:// the pusher's, elsewhere the server's); the variables
    the gate sets to include its policy files come after any inherited ones, so the files have the last word,
    and a protected ref is judged whatever judgeRef says."""
    server, stage = served
    policy = server.path.parent / "policy.gitconfig"
    policy.write_text("[small]\n\tprotectedRef = refs/heads/keep\n")
    server.config("small.policyFile", str(policy))
    stage.fresh()
    assert push(stage.client, "origin", "HEAD:refs/heads/keep").returncode == 0
    inherited = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "small.judgeRef", "GIT_CONFIG_VALUE_0": "refs/x/*"}
    proc = push(stage.client, "origin", ":refs/heads/keep", env=inherited)
    assert proc.returncode != 0 and "[protected-ref-deleted]" in remote_lines(proc)


def test_a_hook_left_without_small_git_refuses(served: tuple[Server, Stage]) -> None:
    server, stage = served
    hook = server.path / "hooks/pre-receive"
    hook.write_text(hook.read_text().replace(str(VENV_BIN / "git-small"), "/nonexistent/git-small", 1))
    stage.fresh()
    append(stage.client, 2)
    proc = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert proc.returncode != 0 and "is gone, so the gate cannot run" in remote_lines(proc)


def test_a_client_that_skips_its_own_hooks_still_meets_the_gate(tmp_path: Path) -> None:
    """The point of a server gate: local hooks are advice (an agent skips them with --no-verify)."""
    server, client = seeded_server(tmp_path)
    client.small("install", "--no-drivers", check=True)
    client.write(".small/progress.small.yml", client.read(".small/progress.small.yml").replace("Created", "Forged"))
    refused_locally = client.git("commit", "-q", "-a", "-m", "rewrite", check=False)
    assert refused_locally.returncode != 0  # the local gate says no...
    client.git("commit", "-q", "--no-verify", "-a", "-m", "bypass pre-commit")  # ...and is skipped
    proc = client.git("push", "--no-verify", "origin", "main", check=False)
    assert proc.returncode != 0 and "[progress-rewrite]" in remote_lines(proc)
    assert os.access(server.path / "hooks/pre-receive", os.X_OK)


def _facts(server: Server) -> set[str]:
    folder = server.path / "small-git" / "facts"
    return {p.parent.name + p.stem for p in folder.rglob("*.json")} if folder.exists() else set()


def test_an_accepted_push_keeps_what_was_learnt_of_its_logs_and_a_refused_one_nothing(
    served: tuple[Server, Stage],
) -> None:
    """The next push onto a long log starts from the facts of its tip instead of reading the log in full."""
    server, stage = served
    stage.fresh()
    append(stage.client, 2)
    rewrite_entry(stage.client)
    refused = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert refused.returncode != 0 and _facts(server) == set()

    stage.fresh()
    append(stage.client, 2)
    accepted = push(stage.client, "origin", "HEAD:refs/heads/main")
    assert accepted.returncode == 0, remote_lines(accepted)
    tip_log = stage.client.git("rev-parse", "HEAD:.small/progress.small.yml").stdout.strip()
    assert tip_log in _facts(server)
