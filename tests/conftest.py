"""Every test runs in a clean, self-contained environment and writes only inside its temporary directories.

- `isolated_environment` (every test): the environment of tests/support/env.py, with a private HOME and TMPDIR
  (`session_environment` gives fixtures of wider scope the same, with a HOME of the session's).
- `no_writes_outside_tmp` (every test): fails a test that created or removed anything in this checkout or in
  the real home directory. A test that must write into the checkout says where with
  `@pytest.mark.writes_into(path)`. What is written while the tests are collected or after the last one (a
  plugin, a session fixture's teardown) fails the run, named in its summary.
- `repo`: an empty git repository (branch main). A module that starts elsewhere extends it under the same
  name; `signed_repo` builds on whichever `repo` the module has.
- `prebuilt`: folders built once per run and copied into the tests that start from them (`seeded_repo()`, a
  module's costly repository fixture), shared by the xdist workers; `scripted` and `wheel` are built there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import configuration as hypothesis_configuration
from hypothesis import settings
from support.cli import run
from support.env import clean_env
from support.guard import Snapshot, WriteWatch, describe
from support.history import Scripted, build
from support.paths import PROJECT
from support.prebuilt import Prebuilt
from support.repo import Repo, SignedRepo, configure_signing

REAL_HOME = Path(os.environ.get("HOME") or Path.home())  # read before any test gives itself a private one
_watch = WriteWatch(REAL_HOME)
_last: list[Snapshot] = []  # what existed after the last test (or collection)
_outside_tests: list[str] = []  # what was written outside every test (collection, session teardown, workers)

# A failing example is printed with the blob that replays it: the example database lives in a temporary
# directory (set below), not in the checkout.
settings.register_profile("small-git", print_blob=True)
settings.load_profile("small-git")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "writes_into(path): the test may write under `path` in the checkout (golden files)"
    )
    config.addinivalue_line("markers", "slow: the test takes seconds; it starts before the others")
    # hypothesis keeps its example database and a cache of constants under ./.hypothesis unless told
    # otherwise, and its pytest plugin fills that cache while the tests are collected: a directory of this run's.
    # The xdist workers share their controller's, where it has computed hypothesis's table of the characters
    # UTF-8 can encode once: each worker took 3 s to compute it under coverage.
    shared = os.environ.get(HYPOTHESIS_HOME)
    if shared and hasattr(config, "workerinput"):
        hypothesis_configuration.set_hypothesis_home_dir(Path(shared))
    else:
        hypothesis_home = Path(tempfile.mkdtemp(prefix="small-git-hypothesis-"))
        hypothesis_configuration.set_hypothesis_home_dir(hypothesis_home)
        config.add_cleanup(lambda: shutil.rmtree(hypothesis_home, ignore_errors=True))
        if config.getoption("numprocesses", None):  # the controller: workers start after this
            os.environ[HYPOTHESIS_HOME] = str(hypothesis_home)  # tests never see it (support/env.py)
            _fill_hypothesis_unicode_cache()
    _last[:] = [_watch.snapshot()]


HYPOTHESIS_HOME = "SMALL_TEST_HYPOTHESIS_HOME"


def _fill_hypothesis_unicode_cache() -> None:
    """What st.text() needs first, written into hypothesis's home: the characters UTF-8 encodes. Only a cache,
    kept in a private module of hypothesis: where that moves, each worker computes its own again."""
    with contextlib.suppress(Exception):
        from hypothesis.internal import charmap

        charmap.intervals_from_codec("utf-8")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: pytest-xdist hands tests out in this order, so none of them is left to run alone at
    the end while the other workers have nothing to do. A test that builds a costly fixture once per run (the
    scripted history, the wheel) is marked slow too, so that one worker builds it early, long before the
    other workers reach the tests that wait for it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: otherwise in file order


def pytest_collection_finish(session: pytest.Session) -> None:
    _check_outside_tests("while collecting")


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.pluginmanager.has_plugin("dsession"):  # xdist's controller runs no test: its workers watch
        _check_outside_tests("after the last test")
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its controller reports (pytest_testnodedown)
        workeroutput["writes_outside_tests"] = list(_outside_tests)
    elif _outside_tests and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    _outside_tests.extend(getattr(node, "workeroutput", {}).get("writes_outside_tests", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _outside_tests:
        terminalreporter.section("written outside the temporary directories, outside any test", red=True)
        for line in _outside_tests:
            terminalreporter.write_line(line)


def _check_outside_tests(when: str) -> None:
    after = _watch.snapshot()
    _outside_tests.extend(f"{when}: {change}" for change in describe(_last[0], after))
    _last[:] = [after]


@pytest.fixture(scope="session", autouse=True)
def session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same environment, with a HOME of the session's, for what runs before any test does (fixtures of
    module or session scope); each test then gets its own HOME and TMPDIR (isolated_environment)."""
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, tmp_path_factory)
        yield


@pytest.fixture(autouse=True)
def no_writes_outside_tmp(request: pytest.FixtureRequest) -> Iterator[None]:
    before = _last[0]
    yield
    after = _watch.snapshot()
    _last[:] = [after]
    allowed = [Path(p) for marker in request.node.iter_markers("writes_into") for p in marker.args]
    changes = [
        change
        for change in describe(before, after)
        if not any(Path(change.split(" ", 1)[1]).is_relative_to(path) for path in allowed)
    ]
    if changes:
        pytest.fail("wrote outside its temporary directories:\n  " + "\n  ".join(changes), pytrace=False)


@pytest.fixture(autouse=True)
def isolated_environment(
    no_writes_outside_tmp: None, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The test's environment (and its private HOME, returned), also for code the test runs in-process."""
    return _isolate(monkeypatch, tmp_path_factory)


def _isolate(patch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")  # not inside tmp_path: tests may list what they create there
    temp = tmp_path_factory.mktemp("tmp")
    env = clean_env(home, TMPDIR=str(temp))
    for key in list(os.environ):
        if key not in env:
            patch.delenv(key)
    for key, value in env.items():
        patch.setenv(key, value)
    patch.setattr(tempfile, "tempdir", str(temp))
    return home


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """An empty git repository at tmp_path/repo, on branch main."""
    return Repo.create(tmp_path)


@pytest.fixture
def signed_repo(repo: Repo | Path, tmp_path: Path) -> SignedRepo:
    """This module's `repo` at authority level signed, with an allowed SSH key and one that is not."""
    return configure_signing(repo, tmp_path / "keys")


@pytest.fixture(scope="session", autouse=True)
def prebuilt(
    session_environment: None, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prebuilt]:
    """Folders built once per run, shared by every xdist worker of the run (tests/support/prebuilt.py), each
    built in the session's environment."""
    base = tmp_path_factory.getbasetemp()
    run = base.parent if hasattr(request.config, "workerinput") else base  # an xdist worker's is the run's
    with Prebuilt(run / "prebuilt", os.environ).activated() as prebuilt:
        yield prebuilt


@pytest.fixture(scope="session")
def scripted(prebuilt: Prebuilt, tmp_path_factory: pytest.TempPathFactory) -> Scripted:
    """The scripted history of tests/support/history.py, built once per run and copied once per session (per
    xdist worker) for the log and review tests, which only read it."""
    folder = tmp_path_factory.mktemp("history")
    return Scripted.found(folder, prebuilt.copy("scripted-history", lambda into: build(into).record(), folder))


@pytest.fixture(scope="session")
def wheel(prebuilt: Prebuilt) -> Path:
    """small-git's wheel, built from this checkout once per run (offline: the installed hatchling); tests only
    read it."""
    pytest.importorskip("hatchling", reason="hatchling builds the wheel offline; scripts/setup.sh installs it")

    def build_wheel(out: Path) -> str:
        pip = (sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation")
        run(out, *pip, "--wheel-dir", out, PROJECT, check=True)
        (built,) = out.glob("small_git-*.whl")
        return built.name

    folder, name = prebuilt.folder("wheel", build_wheel)
    return Path(folder, name)
