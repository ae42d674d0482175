"""Property tests: mutate an artifact (or two) of a valid workspace at random; the checker must always answer
with exit 0, 1 or 2, name a `.small/` file when it fails, print no traceback, and change nothing on disk.

Most examples drive `small_git.cli.main` in-process for speed; a few go through the installed CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import installed_small, small
from support.workspace import BASE_FILES, snapshot
from support.workspace import write_base_workspace as write_workspace

pytestmark = pytest.mark.slow  # each test takes seconds: they start first

MEMORY_LIMIT = 1 << 30  # address space of the installed CLI's process
TIMEOUT = 60

NAMES = sorted(BASE_FILES)
# 100 examples of each property (10 through the installed CLI) keep this module near 15 s of CPU under
# coverage; SMALL_HOSTILE_EXAMPLES scales the search up for a long run (docs/development.md).
EXAMPLES = int(os.environ.get("SMALL_HOSTILE_EXAMPLES", "100"))
IN_PROCESS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
THROUGH_CLI = settings(
    max_examples=max(4, EXAMPLES // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COMMANDS = [
    ["check"],
    ["check", "--strict"],
    ["validate"],
    ["lint", "--strict"],
    ["lint", "--format-strict"],
    ["verify"],
    ["check", "--json"],
    ["verify", "--ci"],
    ["validate", "--json"],
]
NAMES_A_FILE = re.compile(r"\.small/[a-z]+\.small\.yml")

KEY_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z_]+):(.*)$")
TYPED_VALUES = [
    "123",
    "-1",
    "1.5",
    "true",
    "false",
    "null",
    "~",
    "[]",
    "{}",
    "[1, 2]",
    "{a: b}",
    '""',
    "''",
    "yes",
    "2025-13-45T99:99:99Z",
    '"2025-01-04T10:00:00Z"',
    "0x1F",
    ".nan",
    "!!str 5",
    "'  '",
    "[[[]]]",
    "{id: task-1}",
    '"task-1"',
    '"completed"',
    '"https://x"',
    "http://insecure.example",
]
FRAGMENTS = [
    "- x",
    "a: b",
    "? [x]\n: 1",
    "&a x",
    "*a",
    "!custom 1",
    "---",
    "...",
    "{",
    "]",
    "'unterminated",
    '"\\u0000"',
    "\t- tab",
    "key: &k [*k]",
    "<<: *nope",
    "<<: {owner: human}",
    "%YAML 1.2",
    "tasks: []",
    "entries:\n  - task_id: task-9\n    timestamp: 2025-01-01T00:00:00Z",
    "# comment",
    "small_version: 1.0",
    "owner: robot",
    "status: done",
    "- id: task-1",
    "|",
    ">-",
    "  ",
    "",
]


def run_in_process(args: list[str], root: Path) -> tuple[int, str, str]:
    return small(root, *args, "--dir", str(root), timeout=TIMEOUT)


def assert_sane(args: list[str], code: int, stdout: str, stderr: str) -> None:
    assert code in (0, 1, 2), (code, stdout[-2000:], stderr[-2000:])
    for stream in (stdout, stderr):
        assert "Traceback" not in stream
        assert "internal error" not in stream
    if "--json" in args:
        document = json.loads(stdout)  # one document, also on failure
        assert document["exit_code"] == code
        report = stdout
    else:
        report = stderr
    if code != 0:
        assert any(NAMES_A_FILE.search(line) for line in report.splitlines()), report[-2000:]


def check_mutation(name: str, mutated: bytes, args: list[str], *more: tuple[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "ws"
        small = write_workspace(root)
        for file_name, content in ((name, mutated), *more):
            (small / file_name).write_bytes(content)
        before = snapshot(root)
        code, stdout, stderr = run_in_process(args, root)
        assert snapshot(root) == before
        assert_sane(args, code, stdout, stderr)


# --- mutations: each returns (file name, new bytes) ------------------------------------------------------


def base(name: str) -> str:
    return BASE_FILES[name]


@st.composite
def a_key_line(draw: st.DrawFn) -> tuple[str, list[str], int]:
    """One base file's lines, and the index of a line holding a mapping key."""
    name = draw(st.sampled_from(NAMES))
    lines = base(name).splitlines()
    keyed = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
    return name, lines, draw(st.sampled_from(keyed))


@st.composite
def change_a_type(draw: st.DrawFn) -> tuple[str, bytes]:
    name, lines, index = draw(a_key_line())
    match = KEY_LINE.match(lines[index])
    assert match is not None
    # the new value replaces the key's whole block, so that the file stays valid YAML with a new shape
    value = draw(st.sampled_from(TYPED_VALUES))
    lines[index : block_end(lines, index)] = [f"{match.group(1)}{match.group(2)}: {value}"]
    return name, ("\n".join(lines) + "\n").encode()


PLAUSIBLE_WORDS = ["task-1", "task-2", "completed", "pending", "2025-01-04T10:00:00.000000000Z", "1.0.0"]
PLAUSIBLE_KEYS = ["id", "task_id", "status", "evidence", "timestamp", "url", "value", "x"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.sampled_from(PLAUSIBLE_WORDS),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(PLAUSIBLE_KEYS) | st.text(), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def change_to_any_value(draw: st.DrawFn) -> tuple[str, bytes]:
    """A key's whole value becomes arbitrary JSON (which is YAML): deep type confusion, odd strings."""
    name, lines, index = draw(a_key_line())
    match = KEY_LINE.match(lines[index])
    assert match is not None
    value = json.dumps(draw(JSON_VALUES))
    lines[index : block_end(lines, index)] = [f"{match.group(1)}{match.group(2)}: {value}"]
    return name, ("\n".join(lines) + "\n").encode()


@st.composite
def change_an_item(draw: st.DrawFn) -> tuple[str, bytes]:
    """A list item (a task, an entry, a step, a link) becomes a value of another type."""
    name = draw(st.sampled_from(NAMES))
    lines = base(name).splitlines()
    items = [i for i, line in enumerate(lines) if line.lstrip().startswith("- ")]
    if not items:
        return name, base(name).encode()
    index = draw(st.sampled_from(items))
    dash = lines[index][: lines[index].index("- ") + 2]
    lines[index : block_end(lines, index)] = [dash + draw(st.sampled_from(TYPED_VALUES))]
    return name, ("\n".join(lines) + "\n").encode()


def block_end(lines: list[str], index: int) -> int:
    """The line after the block that starts at `index` (its key line plus more-indented lines)."""
    indent = len(lines[index]) - len(lines[index].lstrip(" -"))
    end = index + 1
    while end < len(lines) and len(lines[end]) - len(lines[end].lstrip(" -")) > indent:
        end += 1
    return end


@st.composite
def delete_a_key(draw: st.DrawFn) -> tuple[str, bytes]:
    name, lines, index = draw(a_key_line())
    del lines[index : block_end(lines, index)]
    return name, ("\n".join(lines) + "\n").encode()


@st.composite
def duplicate_a_key(draw: st.DrawFn) -> tuple[str, bytes]:
    name, lines, index = draw(a_key_line())
    block = lines[index : block_end(lines, index)]
    if block[0].lstrip().startswith("- "):  # repeat the key inside the same item, not a new item
        block = [block[0].replace("- ", "  ", 1), *block[1:]]
    at = block_end(lines, index)
    lines[at:at] = block
    return name, ("\n".join(lines) + "\n").encode()


@st.composite
def splice_fragments(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(NAMES))
    lines = base(name).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        fragment = draw(
            st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=":-[]{}&*!|>'\"#%@ \tabc0\n", max_size=20))
        )
        indent = " " * draw(st.sampled_from([0, 2, 4, 6]))
        lines.insert(draw(st.integers(0, len(lines))), indent + fragment)
    return name, ("\n".join(lines) + "\n").encode()


@st.composite
def flip_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(NAMES))
    data = bytearray(base(name).encode())
    for _ in range(draw(st.integers(1, 4))):
        offset = draw(st.integers(0, len(data) - 1))
        data[offset] ^= draw(st.integers(1, 255))
    return name, bytes(data)


@st.composite
def truncate(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(NAMES))
    data = base(name).encode()
    return name, data[: draw(st.integers(0, len(data) - 1))]


@st.composite
def insert_unicode(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(NAMES))
    text = base(name)
    offset = draw(st.integers(0, len(text)))
    noise = draw(st.text(min_size=1, max_size=12))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "utf-32"]))
    mutated = text[:offset] + noise + text[offset:]
    return name, mutated.encode(encoding, errors="surrogatepass")


MUTATIONS: dict[str, Callable[[], st.SearchStrategy[tuple[str, bytes]]]] = {
    "changed type": change_a_type,
    "any value": change_to_any_value,
    "changed list item": change_an_item,
    "deleted key": delete_a_key,
    "duplicated key": duplicate_a_key,
    "spliced YAML fragment": splice_fragments,
    "flipped bytes": flip_bytes,
    "truncated": truncate,
    "inserted unicode": insert_unicode,
}
ANY_MUTATION = st.one_of(*(make() for make in MUTATIONS.values()))


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@IN_PROCESS
@given(data=st.data())
def test_mutation_is_judged_sanely(kind: str, data: st.DataObject) -> None:
    mutation = data.draw(MUTATIONS[kind](), label=kind)
    check_mutation(*mutation, data.draw(st.sampled_from(COMMANDS), label="command"))


@IN_PROCESS
@given(duplicate_a_key(), st.sampled_from(COMMANDS))
def test_duplicated_key(mutation: tuple[str, bytes], args: list[str]) -> None:
    name, mutated = mutation
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "ws"
        (write_workspace(root) / name).write_bytes(mutated)
        code, stdout, stderr = run_in_process(args, root)
    assert_sane(args, code, stdout, stderr)
    if name != "workspace.small.yml" or args[0] not in ("validate", "lint"):
        assert code == 2, stderr  # a duplicate key is unreadable input
        assert "duplicate key" in (stdout + stderr)


@IN_PROCESS
@given(change_to_any_value(), change_to_any_value(), st.sampled_from(COMMANDS))
def test_two_files_changed(first: tuple[str, bytes], second: tuple[str, bytes], args: list[str]) -> None:
    check_mutation(*first, args, second)  # cross-file rules see two odd shapes at once


@THROUGH_CLI
@given(ANY_MUTATION, st.sampled_from(COMMANDS))
def test_mutations_through_the_installed_cli(mutation: tuple[str, bytes], args: list[str]) -> None:
    name, mutated = mutation
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp)
        root = home / "ws"
        (write_workspace(root) / name).write_bytes(mutated)
        before = snapshot(root)
        result = installed_small(root, *args, "--dir", str(root), timeout=TIMEOUT, memory_limit=MEMORY_LIMIT)
        assert snapshot(root) == before
        shutil.rmtree(root)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    assert_sane(args, result.returncode, result.stdout, result.stderr)
