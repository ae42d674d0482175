"""The test support package itself: the in-process runner isolates each call, the environment is clean, and the
write guard sees what changed."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from support import cli
from support.cli import installed_small, run, small
from support.env import HUMAN, clean_env
from support.guard import WriteWatch, describe
from support.paths import PROJECT, VENV_BIN
from support.repo import init_workspace

import small_git.cli


def test_in_process_cli_gives_the_exit_code_and_both_streams(tmp_path: Path) -> None:
    code, out, err = small(tmp_path, "--version")
    assert code == 0 and out.startswith("small-git ") and err == ""
    missing = small(tmp_path, "check")
    assert missing.returncode == 2 and ".small" in missing.stderr and missing.stdout == ""
    assert small(tmp_path, "check", "--no-such-flag").returncode == 2


def test_in_process_cli_runs_in_its_working_directory_and_puts_everything_back(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(2000)  # below the CLI's own, so a call that kept its limit would show
    try:
        before = (dict(os.environ), os.getcwd(), sys.argv, sys.stdout, sys.stderr, sys.stdin, sys.getrecursionlimit())
        small(tmp_path / "proj", "init", check=True)
        assert (tmp_path / "proj" / ".small" / "plan.small.yml").is_file()  # no --dir: the working directory
        refused = small(tmp_path / "proj", "check", env={"SMALL_MAX_DEPTH": "x"})
        assert refused.returncode == 2 and "SMALL_MAX_DEPTH" in refused.stderr  # the call saw its environment
        assert small(tmp_path / "proj", "check").returncode == 0  # and the next one does not
        after = (dict(os.environ), os.getcwd(), sys.argv, sys.stdout, sys.stderr, sys.stdin, sys.getrecursionlimit())
    finally:
        sys.setrecursionlimit(limit)
    assert after == before


def test_in_process_cli_leaves_no_memoised_input_behind(tmp_path: Path) -> None:
    from small_git.protocol.secrets import is_sensitive_name

    root = init_workspace(tmp_path / "ws")
    assert small(root, "check", "--strict").returncode == 0  # the strict set looks at every key name
    assert is_sensitive_name.cache_info().currsize == 0


def test_in_process_cli_puts_small_gits_module_variables_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from small_git.protocol import yamlsafe as limits

    def main_that_changes_a_module_variable(argv: list[str]) -> None:
        limits.DEFAULT_MAX_DEPTH = 3  # a module-level setting, "for the rest of this process"
        raise SystemExit(0)

    before = limits.DEFAULT_MAX_DEPTH
    monkeypatch.setattr(small_git.cli, "main", main_that_changes_a_module_variable)
    assert small(tmp_path, "status").returncode == 0
    assert limits.DEFAULT_MAX_DEPTH == before != 3


def test_in_process_cli_reads_stdin_and_takes_bytes_on_stdout(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws")
    proposed = (root / ".small" / "intent.small.yml").read_text().replace("owner:", "# proposed\nowner:")
    drafted = small(root, "draft", "intent", "--from", "-", input=proposed)
    assert drafted.returncode == 0, drafted.stderr
    assert (root / ".small-drafts" / "intent.small.yml").read_text() == proposed
    ran = small(root, "apply", "--", sys.executable, "-c", "print('from the child')")  # pumped to stdout.buffer
    assert ran.returncode == 0 and "from the child" in ran.stdout


def test_in_process_cli_names_itself_as_the_program_it_stands_for(tmp_path: Path) -> None:
    assert "Usage: small check" in small(tmp_path, "check", "--help").stdout
    assert "Usage: git small check" in small(tmp_path, "check", "--help", program="git-small").stdout


def test_a_call_that_hangs_fails_the_test_instead_of_stalling_it(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws")
    with pytest.raises(AssertionError, match="did not finish within 0.5 s"):
        small(root, "apply", "--", "sleep", "3", timeout=0.5)


def test_a_call_that_ends_the_process_fails_the_test_instead_of_ending_the_run(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws")
    args = ("checkpoint", "--task", "task-1", "--status", "completed", "--evidence", "x", "--no-commit-evidence")
    with pytest.raises(AssertionError, match=r"called os._exit\(99\): run it with installed_small"):
        small(root, *args, env={"SMALL_TEST_FAILPOINT": "checkpoint-after-progress"})


def test_a_call_that_leaves_a_thread_behind_fails_the_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()

    def main_with_a_watchdog(argv: list[str]) -> None:
        threading.Thread(target=stop.wait, name="watchdog", daemon=True).start()  # as the server gate's failsafe
        raise SystemExit(0)

    monkeypatch.setattr(small_git.cli, "main", main_with_a_watchdog)
    monkeypatch.setattr(cli, "THREAD_GRACE", 0.2)
    try:
        with pytest.raises(AssertionError, match=r"left threads running \(watchdog\): run it with installed_small"):
            small(tmp_path, "hook", "pre-receive")
    finally:
        stop.set()


def test_installed_cli_is_a_separate_process_of_the_same_code(tmp_path: Path) -> None:
    import small_git

    code, out, err = installed_small(tmp_path, "--version", program="git-small")
    assert code == 0 and out == small(tmp_path, "--version").stdout, err
    where = installed_small(tmp_path, "-c", "import small_git; print(small_git.__file__)", program="python")
    assert where.stdout.strip() == small_git.__file__


def test_every_test_has_a_clean_environment_a_private_home_and_temporary_directory(
    isolated_environment: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.getbasetemp()
    assert Path(os.environ["HOME"]) == isolated_environment and isolated_environment.is_relative_to(base)
    assert Path(tempfile.gettempdir()).is_relative_to(base) and Path(os.environ["TMPDIR"]).is_relative_to(base)
    assert (os.environ["GIT_AUTHOR_NAME"], os.environ["GIT_AUTHOR_EMAIL"]) == HUMAN
    assert os.environ["PATH"].split(os.pathsep)[0] == str(VENV_BIN)


def test_clean_env_drops_what_could_change_a_result_and_keeps_coverage(tmp_path: Path) -> None:
    caller = {
        "GIT_DIR": "/elsewhere/.git",
        "GIT_INDEX_FILE": "/elsewhere/index",
        "CLAUDECODE": "1",
        "CODEX_SANDBOX": "seatbelt",
        "SMALL_ACTOR": "agent",
        "SMALL_MAX_DEPTH": "3",
        "GL_USERNAME": "someone",
        "PRE_COMMIT_HOME": "/elsewhere",
        "PYTHONPATH": "/elsewhere",
        "COVERAGE_PROCESS_CONFIG": "{}",
        "PATH": "/usr/bin",
    }
    env = clean_env(tmp_path, base=caller, EXTRA="1")
    for dropped in ("GIT_DIR", "GIT_INDEX_FILE", "CLAUDECODE", "CODEX_SANDBOX", "SMALL_ACTOR", "SMALL_MAX_DEPTH"):
        assert dropped not in env
    assert "GL_USERNAME" not in env and "PYTHONPATH" not in env
    assert env["COVERAGE_PROCESS_CONFIG"] == "{}" and env["EXTRA"] == "1"
    assert env["HOME"] == str(tmp_path) and env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["PRE_COMMIT_HOME"].startswith(str(tmp_path))
    assert env["PATH"] == f"{VENV_BIN}{os.pathsep}/usr/bin"


def test_the_write_guard_sees_files_created_and_removed(tmp_path: Path) -> None:
    checkout, home = tmp_path / "checkout", tmp_path / "home"
    (checkout / "docs").mkdir(parents=True)
    (checkout / "docs" / "a.md").write_text("a")
    (checkout / "gone.txt").write_text("x")
    (home / ".config").mkdir(parents=True)
    watch = WriteWatch(home, checkout)
    before = watch.snapshot()
    (checkout / "docs" / "a.md").write_text("changed")  # contents are not watched
    (checkout / "gone.txt").unlink()
    (checkout / ".hypothesis" / "examples").mkdir(parents=True)
    (home / ".gitconfig").write_text("[user]\n")
    (home / ".config" / "git").mkdir()
    for ignored in (".venv", "__pycache__", ".coverage.host.1.2"):
        (checkout / ignored).mkdir()
    assert describe(before, watch.snapshot()) == [
        f"created {checkout}/.hypothesis",
        f"created {checkout}/.hypothesis/examples",
        f"created {home}/.config/git",
        f"created {home}/.gitconfig",
        f"removed {checkout}/gone.txt",
    ]


_PROBES = """
import os
from pathlib import Path

import pytest
from conftest import REAL_HOME

CHECKOUT = Path(__file__).resolve().parents[1]
if os.environ.get("WRITE_WHILE_COLLECTING"):
    (CHECKOUT / "written-while-collecting").write_text("x")


def test_writes_into_the_checkout():
    (CHECKOUT / "stray.txt").write_text("x")


def test_writes_into_the_real_home():
    (REAL_HOME / ".stray-cache").mkdir()


def test_writes_into_its_temporary_directories(tmp_path):
    (tmp_path / "out.txt").write_text("x")
    (Path(os.environ["HOME"]) / ".gitconfig").write_text("[user]\\n")


@pytest.mark.writes_into(CHECKOUT / "golden")
def test_writes_where_it_says():
    (CHECKOUT / "golden").mkdir()
    (CHECKOUT / "golden" / "new.txt").write_text("x")
"""


def _guarded_checkout(tmp_path: Path) -> Path:
    """A checkout of its own with this suite's conftest and support package, and the probe tests above."""
    checkout = tmp_path / "checkout"
    shutil.copytree(PROJECT / "tests" / "support", checkout / "tests" / "support")
    shutil.copy(PROJECT / "tests" / "conftest.py", checkout / "tests" / "conftest.py")
    (checkout / "tests" / "test_probes.py").write_text(_PROBES)
    (checkout / "pytest.ini").write_text("[pytest]\n")
    return checkout


def _pytest(checkout: Path, *args: str, env: dict[str, str] | None = None) -> cli.Result:
    return run(checkout, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *args, "tests", env=env)


def test_the_write_guard_fails_a_test_that_writes_into_the_checkout_or_the_home(tmp_path: Path) -> None:
    checkout = _guarded_checkout(tmp_path)
    code, out, err = _pytest(checkout, "-p", "no:xdist")
    assert code == 1, out + err
    assert "4 passed, 2 errors" in out, out
    for name in ("test_writes_into_the_checkout", "test_writes_into_the_real_home"):
        assert f"ERROR at teardown of {name} ___" in out, out
    assert "wrote outside its temporary directories:\n" in out
    assert f"created {checkout}/stray.txt" in out
    assert f"created {Path(os.environ['HOME'])}/.stray-cache" in out
    assert "PASSED tests/test_probes.py::test_writes_where_it_says" in out
    assert not (checkout / ".hypothesis").exists()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [None, "1"], ids=["serial", "xdist"])
def test_the_write_guard_fails_a_run_that_writes_into_the_checkout_while_collecting(
    tmp_path: Path, workers: str | None
) -> None:
    checkout = _guarded_checkout(tmp_path)
    spread = ["-n", workers] if workers else ["-p", "no:xdist"]
    code, out, err = _pytest(checkout, *spread, "-k", "temporary", env={"WRITE_WHILE_COLLECTING": "1"})
    assert code == 1 and "1 passed" in out, out + err
    assert "written outside the temporary directories, outside any test" in out, out
    assert f"while collecting: created {checkout}/written-while-collecting" in out
