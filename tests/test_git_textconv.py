"""The textconv diff driver: the rendering itself, then `git diff` / `git log -p` through `git small install`."""

from __future__ import annotations

import pytest
from support.repo import Repo, seed
from support.workspace import FIRST_ENTRY, WORKSPACE_FILES, entry, progress_yaml

from small_git.report.textconv import render

PROGRESS = ".small/progress.small.yml"
PLAN = ".small/plan.small.yml"
E2 = entry("task-2", 1, commit="abc123def456")


def rendered(text: str, name: str) -> list[str]:
    return render(text.encode(), name).decode().splitlines()


def test_progress_renders_one_line_per_entry_numbered_as_check_numbers_them() -> None:
    lines = rendered(progress_yaml([FIRST_ENTRY, E2]), "/tmp/XyZ12_progress.small.yml")
    assert lines == [
        "# progress.small.yml (small_version 1.0.0, owner agent)",
        'entries[0] 2025-01-04T10:00:00.000000000Z task-1 completed evidence="Created the .small directory"',
        'entries[1] 2025-01-05T10:00:01.000000000Z task-2 in_progress commit=abc123def456 evidence="step 1"',
    ]


def test_every_field_shows_on_the_entry_line_escaped() -> None:
    log = (
        'small_version: "1.0.0"\nowner: "agent"\nentries:\n'
        "  - task_id: t\n"
        '    notes: "two\\nlines"\n'
        '    evidence: [{type: test, ref: "ci#1"}]\n'
        f"    replayId: {'a' * 64}\n"
    )
    assert rendered(log, "progress.small.yml")[1:] == [
        f"replayId {'a' * 64}",
        'entries[0] (no timestamp) t (no status) evidence=[{"type": "test", "ref": "ci#1"}] notes="two\\nlines"',
    ]


RUN_A, RUN_B = "a" * 64, "b" * 64


def test_the_replay_id_shows_once_where_a_run_starts() -> None:
    entries = [
        entry("task-1", 1, replayId=RUN_A),
        entry("task-1", 2, replayId=RUN_A),
        entry("meta/reset", 3, replayId=RUN_B),
        entry("task-2", 4),
        entry("task-2", 5, replayId="(not set)"),
    ]
    lines = [line.split(" 2025")[0] for line in rendered(progress_yaml(entries), "progress.small.yml")[1:]]
    assert lines == [
        f"replayId {RUN_A}",
        "entries[0]",
        "entries[1]",
        f"replayId {RUN_B}",
        "entries[2]",
        "replayId (not set)",
        "entries[3]",
        'replayId "(not set)"',  # a value that reads like the marker is quoted, so the two never look alike
        "entries[4]",
    ]


def test_plan_renders_tasks_with_status_and_dependencies() -> None:
    plan = WORKSPACE_FILES["plan"] + (
        '  - id: "task-3"\n    title: "Ship it"\n    status: "pending"\n'
        '    depends_on: ["task-1", "task-2"]\n    steps: ["tag", "upload"]\n'
    )
    assert rendered(plan, "plan.small.yml")[1:] == [
        "task-1 [completed] Set up project structure",
        "task-2 [in_progress] Implement the parser",
        "task-3 [pending] Ship it (depends on task-1, task-2)",
        "    steps: tag",
        "    steps: upload",
    ]


def test_human_owned_files_render_their_fields() -> None:
    assert rendered(WORKSPACE_FILES["intent"], "intent.small.yml")[1:] == [
        "intent: Ship the parser",
        "scope include: src/",
        "success criterion: The parser parses",
    ]
    assert rendered(WORKSPACE_FILES["constraints"], "constraints.small.yml")[1:] == [
        "constraint no-secrets (error): No secrets in .small artifacts"
    ]


def test_handoff_renders_resume_links_and_replay_id() -> None:
    lines = rendered(WORKSPACE_FILES["handoff"], "handoff.small.yml")
    assert "current task: task-2" in lines and "next step: Finish the parser" in lines
    assert any(line.startswith("replayId: 46311ca6") and line.endswith("(auto)") for line in lines)


@pytest.mark.parametrize("raw", [b"entries: [unclosed\n", b"\xff\xfe\xfd not utf-8", b"- just\n- a list\n", b""])
def test_unreadable_input_is_returned_unchanged(raw: bytes) -> None:
    assert render(raw, "progress.small.yml") == raw


# --- through git ----------------------------------------------------------------------------------------


@pytest.fixture
def repo(repo: Repo) -> Repo:
    return seed(repo)  # installs the diff driver


def hunks(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line.startswith("@@")]


def changed_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_git_diff_and_log_show_an_append_as_added_lines_only(repo: Repo) -> None:
    repo.append_progress(E2)
    diff = repo.git("diff").stdout
    assert changed_lines(diff) == [
        '+entries[1] 2025-01-05T10:00:01.000000000Z task-2 in_progress commit=abc123def456 evidence="step 1"'
    ]
    assert len(hunks(diff)) == 1
    repo.commit("append")
    log = repo.git("log", "-p", "-1").stdout
    assert "+entries[1] 2025-01-05T10:00:01.000000000Z task-2 in_progress" in log


def test_an_append_that_starts_a_run_adds_its_replay_id_line_and_nothing_else(repo: Repo) -> None:
    repo.write_progress([dict(FIRST_ENTRY, replayId=RUN_A)])
    repo.commit("bind the first entry to a run", "--no-verify")
    repo.append_progress(entry("task-2", 1, replayId=RUN_A))
    assert changed_lines(repo.git("diff").stdout) == [
        '+entries[1] 2025-01-05T10:00:01.000000000Z task-2 in_progress evidence="step 1"'
    ]
    repo.commit("same run", "--no-verify")
    repo.append_progress(entry("meta/reset", 2, replayId=RUN_B))
    assert changed_lines(repo.git("diff").stdout) == [
        f"+replayId {RUN_B}",
        '+entries[2] 2025-01-05T10:00:02.000000000Z meta/reset in_progress evidence="step 2"',
    ]


def test_git_diff_flags_a_rewritten_old_entry(repo: Repo) -> None:
    repo.write_progress([dict(FIRST_ENTRY, evidence="quietly rewritten")])
    assert changed_lines(repo.git("diff").stdout) == [
        '-entries[0] 2025-01-04T10:00:00.000000000Z task-1 completed evidence="Created the .small directory"',
        '+entries[0] 2025-01-04T10:00:00.000000000Z task-1 completed evidence="quietly rewritten"',
    ]


def test_entry_numbers_in_the_diff_are_the_ones_redact_takes(repo: Repo) -> None:
    repo.append_progress(entry("task-2", 1, notes="call me on 555-0100"))
    repo.commit("a personal datum reached the log", "--no-verify")
    proc = repo.small("redact", "--entry", "1", "--field", "notes")
    assert proc.returncode == 0, proc.stderr
    removed = [line for line in changed_lines(repo.git("diff").stdout) if line.startswith("-")]
    assert len(removed) == 1 and removed[0].startswith("-entries[1] ") and "555-0100" in removed[0]


def test_install_caches_the_rendering_per_blob(repo: Repo) -> None:
    assert repo.git("config", "diff.small.cachetextconv").stdout.strip() == "true"
    repo.append_progress(E2)
    repo.commit("append")
    repo.git("log", "-p")
    blob = repo.git("rev-parse", f"HEAD:{PROGRESS}").stdout.strip()
    cached = repo.git("notes", "--ref=textconv/small", "show", blob).stdout
    assert cached.splitlines()[2].startswith("entries[1] 2025-01-05T10:00:01")


def test_the_driver_entry_point_renders_like_the_command(repo: Repo) -> None:
    command = repo.git("config", "diff.small.textconv").stdout.strip()
    assert command.endswith(" -m small_git.commands.textconv")
    via_driver = repo.run("sh", "-c", f"{command} {PROGRESS}").stdout
    assert via_driver == repo.small("textconv", PROGRESS).stdout
    assert via_driver.splitlines()[1].startswith("entries[0] ")


def test_the_driver_entry_point_refuses_a_missing_file_without_a_traceback(repo: Repo) -> None:
    command = repo.git("config", "diff.small.textconv").stdout.strip()
    proc = repo.run("sh", "-c", f"{command} no-such-file.yml", check=False)
    assert proc.returncode == 2 and "cannot read no-such-file.yml" in proc.stderr and "Traceback" not in proc.stderr
    proc = repo.run("sh", "-c", command, check=False)
    assert proc.returncode == 2 and "usage:" in proc.stderr


# Modules the driver's process must not import: git starts it once per blob, and each of these is start-up
# time for a rendering that never uses them (the type checker's typing, dataclasses and its inspect, pathlib,
# the command line, the git layer and its subprocesses, PyYAML for a document the fast loader reads).
NOT_ON_THE_DRIVER_PATH = (
    "typing",
    "dataclasses",
    "inspect",
    "pathlib",
    "subprocess",
    "click",
    "yaml",
    "small_git.git",
    "small_git.cli",
    "small_git.store.reader",
    "small_git.protocol.state",
)


def test_the_driver_imports_only_what_the_rendering_runs(repo: Repo) -> None:
    command = repo.git("config", "diff.small.textconv").stdout.strip()
    interpreter, _, module = command.partition(" ")
    proc = repo.run("sh", "-c", f"{interpreter} -X importtime {module} {PROGRESS}")
    assert proc.stdout.splitlines()[1].startswith("entries[0] ")
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "small_git.report.textconv" in imported
    assert sorted(imported & set(NOT_ON_THE_DRIVER_PATH)) == []


def test_git_log_shows_a_plan_status_transition(repo: Repo) -> None:
    repo.write(PLAN, repo.read(PLAN).replace('status: "in_progress"', 'status: "completed"'))
    repo.append_progress(entry("task-2", 1, status="completed"))
    repo.commit("task-2 done")
    log = repo.git("log", "-p", "-1", "--", PLAN).stdout
    assert "-task-2 [in_progress] Implement the parser\n+task-2 [completed] Implement the parser" in log


def test_textconv_prints_garbage_raw_and_exits_0(repo: Repo) -> None:
    garbage = repo.write("garbage.small.yml", "{{{ not: [yaml\n\x01\n")
    proc = repo.small("textconv", str(garbage))
    assert proc.returncode == 0 and proc.stdout == "{{{ not: [yaml\n\x01\n" and proc.stderr == ""


def test_textconv_of_a_missing_file_is_a_usage_error(repo: Repo) -> None:
    proc = repo.small("textconv", "no-such-file.yml")
    assert proc.returncode == 2 and "cannot read no-such-file.yml" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["textconv", "merge-driver"])
def test_help_says_what_it_does_in_one_line_with_an_example(repo: Repo, command: str) -> None:
    proc = repo.small(command, "--help")
    assert proc.returncode == 0 and "Example:\n    git " in proc.stdout
    assert len(proc.stdout.split("\n\n")[1].strip().splitlines()) == 1
