"""Manual pages: generated from the command line at build time, installed in share/man/man1 of the
environment, found by `man git-small` and by `git small --help` (git's `git help small`) in a fresh
environment where only the package was installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest

from small_git.cli import cli
from small_git.cli.manpages import pages, roff

MAN_DIR = "small_git-0.1.0.data/data/share/man/man1/"


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding small-git and nothing else (no dependencies, no pip)."""
    env = tmp_path_factory.mktemp("fresh") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return env


def man_env(fresh: Path, home: Path) -> dict[str, str]:
    """Only the fresh environment's scripts and the system's on PATH; no MANPATH, so man derives it from PATH."""
    return {
        "HOME": str(home),
        "PATH": f"{fresh / 'bin'}:/usr/bin:/bin",
        "MANPAGER": "cat",
        "PAGER": "cat",
        "GIT_PAGER": "cat",
        "MANWIDTH": "100",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed here (Debian: apt-get install man-db)")


def test_the_wheel_installs_the_pages_in_share_man_man1(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for page in ("git-small.1", "small.1", "git-small-log.1", "git-small-review.1", "git-small-progress-add.1"):
        assert MAN_DIR + page in names


def test_man_git_small_shows_the_page_in_a_fresh_environment(fresh: Path, tmp_path: Path) -> None:
    need("man")
    assert (fresh / "share" / "man" / "man1" / "git-small.1").is_file()
    proc = subprocess.run(["man", "git-small"], env=man_env(fresh, tmp_path), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "git-small - SMALL Protocol state" in proc.stdout
    for section in ("SYNOPSIS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT"):
        assert section in proc.stdout
    assert "   review" in proc.stdout and "git small log [OPTIONS] [RANGE]" in proc.stdout
    one = subprocess.run(["man", "git-small-review"], env=man_env(fresh, tmp_path), capture_output=True, text=True)
    assert one.returncode == 0 and "GITHUB_STEP_SUMMARY" in one.stdout


def test_git_small_help_opens_the_page(fresh: Path, tmp_path: Path) -> None:
    need("man")
    proc = subprocess.run(["git", "small", "--help"], env=man_env(fresh, tmp_path), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "GIT-SMALL(1)" in proc.stdout and "git small COMMAND [OPTIONS]" in proc.stdout


def test_man_small_is_the_same_page(fresh: Path, tmp_path: Path) -> None:
    need("man")
    env = man_env(fresh, tmp_path)
    small = subprocess.run(["man", "small"], env=env, capture_output=True, text=True)
    assert small.returncode == 0 and "GIT-SMALL(1)" in small.stdout


def test_every_command_is_in_the_page_with_its_help() -> None:
    text = pages(cli, "0.1.0")["git-small.1"]
    ctx = click.Context(cli, info_name="git small")
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        if command.hidden:
            continue
        assert f".SS {roff(name)}\n" in text
        first = (command.help or "").strip().splitlines()[0]
        assert roff(first) in text


def test_the_pages_are_well_formed_roff(tmp_path: Path) -> None:
    need("groff")
    for name, text in pages(cli, "0.1.0").items():
        if name == "small.1":
            continue
        page = tmp_path / name
        page.write_text(text, encoding="utf-8")
        proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True, text=True)
        problems = [line for line in proc.stderr.splitlines() if "cannot adjust line" not in line]
        assert proc.returncode == 0 and not problems, (name, problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (".TH injected", "\\&.TH injected"),
        ("'quote start", "\\&'quote start"),
        ("back\\slash", "back\\eslash"),
        ("--dir", "\\-\\-dir"),
        ("one\n.SH two", "one\n\\&.SH two"),
    ],
)
def test_roff_escapes_what_would_be_markup(text: str, expected: str) -> None:
    assert roff(text) == expected
