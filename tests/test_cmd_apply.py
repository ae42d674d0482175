"""`small apply`: run one command, record start and outcome, keep secrets out of `.small/`."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import pytest
from support.repo import Repo, plain_workspace, seeded_repo

from small_git.commands.apply import REDACTED, redact_line, summarise_output
from small_git.protocol.yamlsafe import load_yaml


def entries(repo: Repo) -> list[dict[str, object]]:
    data = load_yaml((repo.path / ".small/progress.small.yml").read_bytes(), "progress").data
    return list(data["entries"])


def plan_status(repo: Repo, task: str) -> object:
    data = load_yaml((repo.path / ".small/plan.small.yml").read_bytes(), "plan").data
    return next(t.get("status") for t in data["tasks"] if t["id"] == task)


def test_success_records_start_and_outcome_and_streams_output(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    before = (repo.path / ".small/progress.small.yml").read_bytes()
    argv = ["sh", "-c", "echo out-line; echo err-line >&2"]
    done = repo.small("apply", "--task", "task-2", "--", *argv)
    assert done.returncode == 0, done.stderr
    assert "out-line" in done.stdout and "err-line" in done.stderr
    after = (repo.path / ".small/progress.small.yml").read_bytes()
    assert after.startswith(before)  # appended, nothing rewritten
    start, outcome = entries(repo)[-2:]
    for entry in (start, outcome):
        assert entry["task_id"] == "task-2" and "status" not in entry
        assert entry["command"] == shlex.join(argv)
        assert entry["command_sha256"] == hashlib.sha256(shlex.join(argv).encode()).hexdigest()
    assert start["command_ref"] == outcome["command_ref"]
    log = repo.path / str(outcome["command_ref"])
    assert log.parent == repo.path / ".small-cache/logs"
    assert "out-line" in log.read_text() and "err-line" in log.read_text()
    assert str(outcome["evidence"]).startswith("exit 0 ")
    assert "out-line" in str(outcome["evidence"])
    assert repo.small("check", "--strict").returncode == 0


def test_exit_code_is_the_commands(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    done = repo.small("apply", "--task", "task-2", "--cmd", "echo failing; exit 7")
    assert done.returncode == 7
    outcome = entries(repo)[-1]
    assert str(outcome["evidence"]).startswith("exit 7 ") and outcome["notes"] == "apply: exit code 7"
    assert outcome["command"] == "echo failing; exit 7"
    assert outcome["command_sha256"] == hashlib.sha256(b"echo failing; exit 7").hexdigest()


def test_cmd_uses_plain_sh_in_the_workspace_root(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    elsewhere = Repo(tmp_path / "elsewhere")
    elsewhere.path.mkdir()
    done = elsewhere.small("apply", "--dir", str(repo.path), "--task", "task-2", "--cmd", 'echo "zero=$0"; pwd')
    assert done.returncode == 0, done.stderr
    assert "zero=sh" in done.stdout  # a login shell would say -sh
    assert done.stdout.splitlines()[-1] in (str(repo.path), str(repo.path.resolve()))


def test_timeout_stops_the_process_group_and_is_recorded(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    done = repo.small(
        "apply",
        "--task",
        "task-2",
        "--timeout",
        "0.5",
        "--",
        "sh",
        "-c",
        "sleep 120 & echo $! > bg.pid; echo started; wait",
    )
    assert done.returncode == 124
    outcome = entries(repo)[-1]
    assert "timed out" in str(outcome["evidence"]) and "started" in str(outcome["evidence"])
    pid = int((repo.path / "bg.pid").read_text())
    status = Path(f"/proc/{pid}/status")
    if status.exists():  # gone, or a zombie waiting to be reaped: not running either way
        assert "\nState:\tZ" in status.read_text()


def test_secrets_never_reach_progress_but_stay_in_the_local_log(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    secrets = ["AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "hunter2xyz"]
    script = (
        f"echo key {secrets[0]}; echo token: {secrets[1]}; echo password=hunter2xyz; "
        "echo '-----BEGIN RSA PRIVATE KEY-----'; echo MIIEowIBAAKCAQEA; "
        "echo '-----END RSA PRIVATE KEY-----'; "
        "echo see http://example.com/x and http://localhost:8000/ok"
    )
    done = repo.small("apply", "--task", "task-2", "--cmd", script)
    assert done.returncode == 0
    progress = (repo.path / ".small/progress.small.yml").read_text()
    for secret in secrets + ["MIIEowIBAAKCAQEA"]:
        assert secret not in progress
    assert REDACTED in progress
    assert "http://example.com" not in progress and "hxxp://example.com/x" in progress
    assert "http://localhost:8000/ok" in progress
    log = (repo.path / str(entries(repo)[-1]["command_ref"])).read_text()
    assert secrets[0] in log  # the full log is local scratch, never committed
    strict = repo.small("check", "--strict")
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_checkpoint_completes_or_blocks_the_task(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    failed = repo.small("apply", "--task", "task-2", "--checkpoint", "--cmd", "exit 3")
    assert failed.returncode == 3
    assert plan_status(repo, "task-2") == "blocked" and entries(repo)[-1]["status"] == "blocked"
    passed = repo.small("apply", "--task", "task-2", "--checkpoint", "--", "true")
    assert passed.returncode == 0
    assert plan_status(repo, "task-2") == "completed" and entries(repo)[-1]["status"] == "completed"
    assert "command_ref" in entries(repo)[-1]
    assert repo.small("check", "--strict").returncode == 0


def test_refusals_happen_before_anything_runs(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    count = len(entries(repo))
    final = repo.small("apply", "--task", "task-1", "--checkpoint", "--", "touch", "ran")
    assert final.returncode == 2 and "--reopen" in final.stderr
    unknown = repo.small("apply", "--task", "task-9", "--", "touch", "ran")
    assert unknown.returncode == 2 and "task-9" in unknown.stderr
    assert repo.small("apply", "--task", "task-2").returncode == 2  # no command
    assert repo.small("apply", "--task", "task-2", "--cmd", "true", "--", "true").returncode == 2
    assert repo.small("apply", "--task", "task-2", "--timeout", "0", "--", "true").returncode == 2
    dry = repo.small("apply", "--task", "task-2", "--dry-run", "--", "touch", "ran")
    assert dry.returncode == 0 and "Would run" in dry.stdout
    assert not (repo.path / "ran").exists()
    assert len(entries(repo)) == count
    nothing = repo.small("apply", "--dry-run")  # as the reference, whose own CI flow runs exactly this
    assert nothing.returncode == 0 and nothing.stdout.startswith("No command specified\n")
    assert len(entries(repo)) == count


def test_without_task_the_entry_is_meta_and_missing_commands_are_recorded(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    done = repo.small("apply", "--", "definitely-not-a-command-xyz")
    assert done.returncode == 127
    outcome = entries(repo)[-1]
    assert outcome["task_id"] == "meta/apply" and "not found" in str(outcome["evidence"])
    assert repo.small("check", "--strict").returncode == 0


def test_works_in_a_git_repository_and_leaves_no_tracked_noise(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    repo.write(".gitignore", ".small-cache/\n")
    repo.commit("ignore cache")
    assert repo.small("apply", "--task", "task-2", "--", "true").returncode == 0
    changed = repo.git("status", "--porcelain").stdout.split("\n")
    assert [line for line in changed if line.strip()] == [" M .small/progress.small.yml"]


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("export API_KEY=s3cr3tvalue", "s3cr3tvalue"),
        ("--password hunter2", "hunter2"),
        ("token=xyz123", "xyz123"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ],
)
def test_redact_line(line: str, hidden: str) -> None:
    assert hidden not in redact_line(line)
    assert REDACTED in redact_line(line)


def test_redact_line_keeps_ordinary_output() -> None:
    text = "collected 12 items; 12 passed in 0.31s (commit 3f2a9c1b7d4e, max_tokens docs)"
    assert redact_line(text) == text


def test_summary_is_bounded() -> None:
    output = b"".join(f"line {i} ".encode() + b"x" * 300 + b"\n" for i in range(500))
    summary, shown = summarise_output(output, 20, 2048)
    assert shown <= 20 and len(summary.encode()) <= 2048
    assert summary.splitlines()[-1].startswith("line 499")
    progress_bar = b"\x1b[32m10%\r50%\r100%\x1b[0m\n"
    assert summarise_output(progress_bar, 20, 2048) == ("100%", 1)


def test_log_names_never_read_as_secrets() -> None:
    from small_git.protocol.secrets import find_secrets
    from small_git.protocol.timestamps import format_ns

    start = 1_790_000_000_000_000_000
    for step in range(3000):
        stamp = format_ns(start + step * 7_919_000_013_577).replace("-", "").replace(":", "")
        ref = f".small-cache/logs/apply.{stamp}.log"
        assert find_secrets({"command_ref": ref, "evidence": f"exit 0 (full log: {ref})"}) == [], ref


def test_the_command_may_itself_record_progress(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    done = repo.small(
        "apply",
        "--task",
        "task-2",
        "--timeout",
        "120",
        "--",
        "git-small",
        "progress",
        "add",
        "--task",
        "task-2",
        "--status",
        "in_progress",
        "--evidence",
        "inner step",
    )
    assert done.returncode == 0, done.stderr  # no deadlock: the lock is not held while the command runs
    start, inner, outcome = entries(repo)[-3:]
    assert "started" in str(start["notes"]) and inner["evidence"] == "inner step"
    assert str(outcome["evidence"]).startswith("exit 0 ")


def test_redaction_keeps_the_shell_punctuation_around_a_secret() -> None:
    token = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789AB"
    line = f"sh -c 'echo hello; echo token={token}; exit 3'"
    assert redact_line(line) == "sh -c 'echo hello; echo token=[REDACTED]; exit 3'"
    assert redact_line("PASSWORD=hunter2 && ./run") == "PASSWORD=[REDACTED] && ./run"
