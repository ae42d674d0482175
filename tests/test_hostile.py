"""Hostile workspaces: each attack must end in a clear exit 1 or 2, never a hang, a traceback, an internal error
(exit 3), unbounded memory, or a changed file. Every attack meets every check command in-process; the attacks
on memory and time also meet the installed CLI in a process with a bounded address space."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.cli import Result, installed_small, small
from support.workspace import BASE_FILES, snapshot
from support.workspace import write_base_workspace as write_workspace

MEMORY_LIMIT = 1 << 30  # address space of the installed CLI's process: an expanding alias bomb would hit it
TIMEOUT = 60  # a hang (FIFO, quadratic parse) is a test failure, not a stalled run

COMMANDS = [["check"], ["check", "--strict"], ["validate"], ["lint", "--strict"], ["verify"], ["check", "--json"]]


def run_small(args: list[str], root: Path, env: dict[str, str] | None = None) -> Result:
    """A check command on the workspace at `root`, in-process (a hang fails after TIMEOUT seconds)."""
    return small(root, *args, "--dir", str(root), env=env, timeout=TIMEOUT)


def run_installed(args: list[str], root: Path, env: dict[str, str] | None = None) -> Result:
    """The same through the installed CLI, in a process whose address space is bounded."""
    return installed_small(root, *args, "--dir", str(root), env=env, timeout=TIMEOUT, memory_limit=MEMORY_LIMIT)


# --- the attacks: each changes one thing in a valid workspace -------------------------------------------


def billion_laughs() -> str:
    lines = ['small_version: "1.0.0"', "l0: &l0 [" + ", ".join(['"lol"'] * 9) + "]"]
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Attack:
    name: str
    apply: Callable[[Path], None]  # given the .small folder
    names: str  # what the error output must name
    exit_codes: frozenset[int] = frozenset({1, 2})
    with_position: bool = False  # the message must carry file:line:column


def replace(name: str, content: bytes) -> Callable[[Path], None]:
    def apply(small: Path) -> None:
        (small / name).write_bytes(content)

    return apply


def oversize(small: Path) -> None:
    with open(small / "progress.small.yml", "r+b") as handle:  # sparse: no 64 MiB of writes
        handle.truncate(64 * 1024 * 1024 + 1)


def small_as_file(small: Path) -> None:
    for child in small.iterdir():
        child.unlink()
    small.rmdir()
    small.write_text("not a directory\n")


def small_as_symlink(small: Path) -> None:
    elsewhere = small.parent.parent / "elsewhere"
    small.rename(elsewhere)
    small.symlink_to(elsewhere, target_is_directory=True)


def canonical_dir(small: Path) -> None:
    (small / "plan.small.yml").unlink()
    (small / "plan.small.yml").mkdir()
    (small / "plan.small.yml" / "inner.yml").write_text("a: 1\n")


def symlink_outside(small: Path) -> None:
    outside = small.parent.parent / "outside.yml"
    outside.write_text(BASE_FILES["plan.small.yml"])
    (small / "plan.small.yml").unlink()
    (small / "plan.small.yml").symlink_to(outside)


def symlink_to_dev_zero(small: Path) -> None:
    (small / "progress.small.yml").unlink()
    (small / "progress.small.yml").symlink_to("/dev/zero")


def fifo(small: Path) -> None:
    (small / "plan.small.yml").unlink()
    os.mkfifo(small / "plan.small.yml")


def symlink_to_inner_fifo(small: Path) -> None:
    os.mkfifo(small / "pipe")
    (small / "plan.small.yml").unlink()
    (small / "plan.small.yml").symlink_to("pipe")


def symlink_loop(small: Path) -> None:
    (small / "intent.small.yml").unlink()
    (small / "intent.small.yml").symlink_to("intent.small.yml")


def handoff_with(line: str) -> bytes:
    kept = [x for x in BASE_FILES["handoff.small.yml"].splitlines() if not x.startswith("summary:")]
    return ("\n".join(kept) + "\n" + line + "\n").encode()


def appended(name: str, tail: str) -> bytes:
    return (BASE_FILES[name] + tail).encode()


FIVE_MB = 5 * 1024 * 1024
INTENT, PLAN, PROGRESS, HANDOFF = (f".small/{k}.small.yml" for k in ("intent", "plan", "progress", "handoff"))
UNREADABLE = frozenset({2})
DEEP_BLOCK = "".join("  " * i + "k:\n" for i in range(1500)).encode()
BAD_UTF8 = BASE_FILES["progress.small.yml"].encode().replace(b"Created", b"Cr\xc3\x28eated")
HUGE_INTEGER = BASE_FILES["intent.small.yml"].encode().replace(b'"1.0.0"', b"9" * 5000)
# legal depth (under the 1,000-level limit) must not exhaust Python's recursion limit in the checker
NEARLY_TOO_DEEP = "summary: " + "[" * 998 + '"sk-abcdefghijklmnopqrstuvwxyz0123456789"' + "]" * 998

ATTACKS = [
    Attack("alias-bomb", replace("intent.small.yml", billion_laughs().encode()), INTENT, UNREADABLE, True),
    Attack("over-size-limit", oversize, PROGRESS, UNREADABLE),
    Attack("deep-nesting", replace("plan.small.yml", b"tasks: " + b"[" * 10_000 + b"\n"), PLAN, UNREADABLE, True),
    Attack("deep-block-nesting", replace("plan.small.yml", DEEP_BLOCK), PLAN, UNREADABLE, True),
    Attack(
        "nul-bytes",
        replace("intent.small.yml", b'small_version: "1.0.0"\nowner: "hu\x00man"\n'),
        INTENT,
        UNREADABLE,
        True,
    ),
    Attack("invalid-utf8", replace("progress.small.yml", BAD_UTF8), PROGRESS, UNREADABLE, True),
    Attack(
        "control-character",
        replace("handoff.small.yml", handoff_with('summary: "bell \x07 here"')),
        HANDOFF,
        UNREADABLE,
        True,
    ),
    Attack("small-is-a-file", small_as_file, ".small"),
    Attack("small-is-a-symlink", small_as_symlink, ".small"),
    Attack("canonical-file-is-a-directory", canonical_dir, PLAN),
    Attack("symlink-outside-workspace", symlink_outside, PLAN),
    Attack("symlink-to-dev-zero", symlink_to_dev_zero, PROGRESS),
    Attack("symlink-loop", symlink_loop, INTENT),
    Attack("fifo", fifo, PLAN),
    Attack("symlink-to-a-fifo-inside", symlink_to_inner_fifo, PLAN),
    Attack("empty-file", replace("plan.small.yml", b""), PLAN),
    Attack("only-document-marker", replace("intent.small.yml", b"---\n"), INTENT),
    Attack("five-mb-single-line", replace("plan.small.yml", b"x" * FIVE_MB), PLAN),
    Attack(
        "five-mb-unterminated-string",
        replace("handoff.small.yml", handoff_with('summary: "' + "a" * FIVE_MB)),
        HANDOFF,
        UNREADABLE,
        True,
    ),
    Attack("huge-integer", replace("intent.small.yml", HUGE_INTEGER), INTENT, UNREADABLE, True),
    Attack(
        "nesting-just-under-the-limit",
        replace("handoff.small.yml", handoff_with(NEARLY_TOO_DEEP)),
        HANDOFF,
        frozenset({1}),
    ),
    Attack(
        "second-document",
        replace("intent.small.yml", appended("intent.small.yml", "---\nx: 1\n")),
        INTENT,
        UNREADABLE,
        True,
    ),
    Attack(
        "duplicate-key",
        replace("plan.small.yml", appended("plan.small.yml", 'owner: "human"\n')),
        PLAN,
        UNREADABLE,
        True,
    ),
]


def test_the_untouched_workspace_is_valid(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_workspace(root)
    for args in COMMANDS:
        result = run_small(args, root)
        assert result.returncode == 0, (args, result.stderr)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack(attack: Attack, args: list[str], tmp_path: Path) -> None:
    root = tmp_path / "ws"
    attack.apply(write_workspace(root))
    before = snapshot(tmp_path)
    result = run_small(args, root)
    assert snapshot(tmp_path) == before, "the command changed a file"
    assert_refused_clearly(attack, args, result)


# What a process boundary alone can show: memory stays bounded (the child's address space is capped), and a
# read that would block forever ends (the child is killed at the timeout).
ON_MEMORY_AND_TIME = ("alias-bomb", "over-size-limit", "deep-nesting", "five-mb-unterminated-string", "huge-integer")
ON_BLOCKING_READS = ("symlink-to-dev-zero", "fifo", "symlink-to-a-fifo-inside")


@pytest.mark.parametrize(
    "attack", [a for a in ATTACKS if a.name in ON_MEMORY_AND_TIME + ON_BLOCKING_READS], ids=lambda a: a.name
)
def test_attack_through_the_installed_cli(attack: Attack, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    attack.apply(write_workspace(root))
    before = snapshot(tmp_path)
    args = ["check", "--strict", "--json"]
    result = run_installed(args, root)
    assert snapshot(tmp_path) == before, "the command changed a file"
    assert_refused_clearly(attack, args, result)


def assert_refused_clearly(attack: Attack, args: list[str], result: Result) -> None:
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    assert result.returncode in attack.exit_codes, (result.returncode, result.stderr[-2000:])
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream
        assert "MemoryError" not in stream
        assert "internal error" not in stream
    assert len(result.stdout) + len(result.stderr) < FIVE_MB // 2, "the input was echoed back"
    if "--json" in args:
        document = json.loads(result.stdout)  # exactly one JSON document: trailing data would not parse
        assert document["exit_code"] == result.returncode
        report = result.stdout
    else:
        report = result.stderr
    assert attack.names in report
    if attack.with_position:
        assert re.search(re.escape(attack.names) + r":\d+:\d+", report), report[-2000:]


# --- the limits' environment variables are input too ----------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SMALL_MAX_FILE_BYTES", "abc"),
        ("SMALL_MAX_FILE_BYTES", "-1"),
        ("SMALL_MAX_FILE_BYTES", "0"),
        ("SMALL_MAX_FILE_BYTES", "9" * 30),
        ("SMALL_MAX_FILE_BYTES", "9" * 5000),
        ("SMALL_MAX_FILE_BYTES", "1e3"),
        ("SMALL_MAX_DEPTH", "100000"),
        ("SMALL_MAX_DEPTH", "x"),
        ("SMALL_MAX_ALIAS_NODES", "-5"),
    ],
)
def test_bad_limit_variable_is_a_usage_error(variable: str, value: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_workspace(root)
    result = run_small(["check"], root, env={variable: value})
    assert result.returncode == 2, result.stderr[-2000:]
    assert variable in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_huge_size_limit_does_not_allocate_it(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_workspace(root)
    result = run_installed(["check"], root, env={"SMALL_MAX_FILE_BYTES": str(10**12)})
    assert result.returncode == 0, result.stderr[-2000:]  # under a 1 GiB address-space limit


def test_the_size_limit_is_configurable(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_workspace(root)
    result = run_small(["check"], root, env={"SMALL_MAX_FILE_BYTES": "300"})
    assert result.returncode == 2
    assert ".small/intent.small.yml: is 361 bytes, over the 300-byte limit" in result.stderr
