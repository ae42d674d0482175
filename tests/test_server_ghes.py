"""GitHub Enterprise Server: scripts/ghes-environment.sh writes the hook environment's build and the hook script
to upload. No appliance runs here: the script's dry run is checked, and its hook script is run by a plain bare
repository the way GitHub Enterprise Server runs it (GITHUB_USER_LOGIN names the pusher), pointed at this
installation instead of the environment's /opt/small-git."""

from __future__ import annotations

import tarfile
from pathlib import Path

from support.cli import Result, run
from support.paths import PROJECT, VENV_BIN
from support.servers import AGENT_ACCOUNT, HUMAN_ACCOUNT, INTENT, Stage, intent_text, push, remote_lines, seeded_server

SCRIPT = PROJECT / "scripts/ghes-environment.sh"


def build(tmp_path: Path, *args: str) -> Result:
    return run(tmp_path, "bash", SCRIPT, *args)


def test_the_policy_is_required(tmp_path: Path) -> None:
    proc = build(tmp_path, "--dry-run")
    assert proc.returncode == 2 and "--policy FILE is required" in proc.stderr


def test_the_dry_run_writes_the_environment_build_and_the_hook(tmp_path: Path) -> None:
    policy = tmp_path / "policy.gitconfig"
    policy.write_text(f"[small]\n\thumanLevel = pusher\n\thuman = {HUMAN_ACCOUNT}\n")
    proc = build(tmp_path, "--policy", str(policy), "--out", str(tmp_path / "out"), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    context = tmp_path / "out/context"
    dockerfile = (context / "Dockerfile").read_text()
    assert "git" in dockerfile and "/opt/small-git/bin/pip install" in dockerfile
    assert "COPY policy.gitconfig /etc/small-git/policy.gitconfig" in dockerfile
    assert (context / "policy.gitconfig").read_text() == policy.read_text()
    names = tarfile.open(context / "small-git.tar").getnames()
    assert "small-git/pyproject.toml" in names and "small-git/hooks/pre-receive.sh" in names
    hook = (tmp_path / "out/small-git-pre-receive.sh").read_text()
    assert "hook pre-receive --policy /etc/small-git/policy.gitconfig" in hook


def test_the_hook_script_judges_with_the_baked_policy_and_githubs_pusher(tmp_path: Path) -> None:
    policy = tmp_path / "policy.gitconfig"
    policy.write_text(f"[small]\n\thumanLevel = pusher\n\thuman = {HUMAN_ACCOUNT}\n\ttimeout = 300\n")
    assert build(tmp_path, "--policy", str(policy), "--out", str(tmp_path / "out"), "--dry-run").returncode == 0
    server, client = seeded_server(tmp_path, install=False)
    hook = (tmp_path / "out/small-git-pre-receive.sh").read_text()
    hook = hook.replace("/opt/small-git/bin/git-small", str(VENV_BIN / "git-small"))
    hook = hook.replace("/etc/small-git/policy.gitconfig", str(policy))
    target = server.path / "hooks/pre-receive"
    target.write_text(hook)
    target.chmod(0o755)
    stage = Stage(client, client.head(), server)
    stage.fresh()
    client.write(INTENT, intent_text("Ship the parser, then the printer"))
    client.commit("an intent change")
    refused = push(client, "origin", "HEAD:refs/heads/main", env={"GITHUB_USER_LOGIN": AGENT_ACCOUNT})
    assert refused.returncode != 0 and "[human-file-pusher]" in remote_lines(refused)
    accepted = push(client, "origin", "HEAD:refs/heads/main", env={"GITHUB_USER_LOGIN": HUMAN_ACCOUNT})
    assert accepted.returncode == 0, remote_lines(accepted)
