"""Patterns that mean ASCII say so (issue: a timestamp written with full-width or Arabic-Indic digits was
accepted by `check`, `progress add` and every gate, because Python's `\\d` and `int()` take any Unicode digit).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from support.paths import PROJECT
from support.repo import plain_workspace, seeded_repo
from support.workspace import FIRST_ENTRY, entry

from small_git.gates.redaction import parse_field_path
from small_git.protocol.timestamps import TimestampError, parse_ns

FULL_WIDTH = "２０２５-01-05T10:00:00.000000000Z"
ARABIC_INDIC = "٢٠٢٩-01-05T10:00:00.000000000Z"
NON_ASCII_STAMPS = [
    FULL_WIDTH,
    ARABIC_INDIC,
    "2025-01-05T1٠:00:00.000000000Z",  # one Arabic-Indic digit in the hour
    "2025-01-05T10:00:00.٠٠٠Z",  # in the fraction
    "2025-01-05T10:00:00.000+０２:00",  # in the offset
    "२०२५-०१-०५T10:00:00.0Z",  # Devanagari
]


@pytest.mark.parametrize("stamp", NON_ASCII_STAMPS)
def test_a_timestamp_needs_ascii_digits(stamp: str) -> None:
    with pytest.raises(TimestampError):
        parse_ns(stamp)


def test_the_same_timestamp_in_ascii_digits_is_fine() -> None:
    assert parse_ns("2025-01-05T10:00:00.000000000Z") == parse_ns("2025-01-05T11:00:00.000+01:00")


@pytest.mark.parametrize("stamp", [FULL_WIDTH, ARABIC_INDIC])
def test_check_refuses_a_non_ascii_timestamp(tmp_path: Path, stamp: str) -> None:
    repo = plain_workspace(tmp_path)
    repo.write_progress([FIRST_ENTRY, dict(entry("task-2", 1), timestamp=stamp)])
    result = repo.small("check", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert [f["rule"] for f in document["findings"]] == ["timestamp"]
    assert document["findings"][0]["pointer"] == "/entries/1/timestamp"


@pytest.mark.parametrize("flag", ["--at", "--after"])
def test_progress_add_refuses_a_non_ascii_timestamp(tmp_path: Path, flag: str) -> None:
    repo = plain_workspace(tmp_path)
    before = repo.read(".small/progress.small.yml")
    result = repo.small(
        "progress", "add", "--task", "task-2", "--status", "in_progress", flag, FULL_WIDTH, "--no-commit-evidence"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "invalid timestamp" in result.stderr
    assert repo.read(".small/progress.small.yml") == before


def test_pre_commit_refuses_an_entry_with_a_non_ascii_timestamp(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path)
    repo.append_progress(dict(entry("task-2", 1), timestamp=ARABIC_INDIC))
    result = repo.commit("an entry from another tool", check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "timestamp" in result.stderr


def test_a_limit_written_in_other_digits_is_a_usage_error(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    result = repo.small("check", env={"SMALL_MAX_FILE_BYTES": "６４００００００"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "SMALL_MAX_FILE_BYTES" in result.stderr and "positive whole number" in result.stderr


def test_an_entry_size_limit_in_other_digits_is_not_read_as_a_number(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    result = repo.small(
        *("progress", "add", "--task", "task-2", "--status", "in_progress", "--no-commit-evidence"),
        *("--evidence", "ran the parser tests " * 10),
        env={"SMALL_MAX_ENTRY_BYTES": "１００"},  # read as 100 it would refuse this 200-byte entry
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_task_id_with_other_digits_does_not_number_the_next_task(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    plan = repo.read(".small/plan.small.yml") + '  - id: "task-٩"\n    title: "Nine in Arabic-Indic digits"\n'
    repo.write(".small/plan.small.yml", plan)
    result = repo.small("plan", "--add", "Next task")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "task-3" in result.stdout, result.stdout  # task-1 and task-2 exist; "task-٩" is not task-9


def test_a_redaction_field_index_needs_ascii_digits() -> None:
    assert parse_field_path("evidence[1].ref") == ["evidence", 1, "ref"]
    with pytest.raises(ValueError, match="cannot read the field path"):
        parse_field_path("evidence[١].ref")


def test_the_merge_drivers_marker_size_needs_ascii_digits(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    for name in ("base", "ours", "theirs"):
        repo.write(name, repo.read(".small/progress.small.yml"))
    result = repo.small("merge-driver", "base", "ours", "theirs", "７", ".small/progress.small.yml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "conflict marker size must be a number" in result.stderr


def test_a_harness_marker_versioned_in_other_digits_is_no_marker(tmp_path: Path) -> None:
    """The reference's Go `\\d` is ASCII: it finds no block here, so neither does small-git."""
    repo = plain_workspace(tmp_path)
    repo.write("AGENTS.md", "intro\n\n<!-- BEGIN SMALL HARNESS v١.٠ -->\nstuff\n<!-- END SMALL HARNESS v١.٠ -->\n")
    result = repo.small("agents", "check", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["hasBlock"] is False


# --- keeping it so: a scan of the code's patterns -----------------------------------------------------------

PACKAGE = PROJECT / "small_git"
SCHEMAS = PROJECT / "schemas"
_RE_FUNCTIONS = frozenset({"compile", "match", "search", "fullmatch", "sub", "subn", "findall", "finditer", "split"})
# \d \w \b and their negations take Unicode digits and letters in Python's str patterns
_UNICODE_CLASSES = frozenset("dDwWbB")
# str methods that accept any Unicode digit ("٣".isdigit() is True, and int("٣") == 3)
_UNICODE_DIGIT_METHODS = frozenset({"isdigit", "isdecimal", "isnumeric", "isalnum"})


def unicode_classes(pattern: str) -> list[str]:
    """The Unicode-aware escapes in a regular expression (`\\\\d` is an escaped backslash and a `d`)."""
    found, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            if pattern[i + 1] in _UNICODE_CLASSES:
                found.append(pattern[i : i + 2])
            i += 2
            continue
        i += 1
    return found


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # rf"..." patterns: judge their literal parts
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _says_ascii(call: ast.Call, pattern: str) -> bool:
    if pattern.startswith("(?a") or "(?a" in pattern:
        return True
    flags = [*call.args[1:], *(k.value for k in call.keywords if k.arg == "flags")]
    return any(isinstance(n, ast.Attribute) and n.attr in ("ASCII", "A") for flag in flags for n in ast.walk(flag))


def _guarded_by_isascii(tree: ast.AST) -> set[int]:
    """The digit tests written `x.isascii() and x.isdigit()`: ASCII by the guard."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.BoolOp) or not isinstance(node.op, ast.And):
            continue
        calls = [v for v in node.values if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)]
        ascii_of = {
            ast.dump(c.func.value) for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr == "isascii"
        }
        for call in calls:
            if isinstance(call.func, ast.Attribute) and ast.dump(call.func.value) in ascii_of:
                guarded.add(id(call))
    return guarded


def scan(source: str, name: str) -> list[str]:
    """Every place in `source` where a pattern or a digit test that means ASCII would take other digits."""
    problems = []
    tree = ast.parse(source, name)
    guarded = _guarded_by_isascii(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        if func.attr in _UNICODE_DIGIT_METHODS and not node.args and id(node) not in guarded:
            problems.append(
                f"{name}:{node.lineno}: .{func.attr}() takes any Unicode digit; match [0-9]+ (or guard with isascii())"
            )
        is_re = isinstance(func.value, ast.Name) and func.value.id == "re" and func.attr in _RE_FUNCTIONS
        pattern = _literal(node.args[0]) if is_re and node.args else None
        if pattern is not None and unicode_classes(pattern) and not _says_ascii(node, pattern):
            classes = ", ".join(sorted(set(unicode_classes(pattern))))
            problems.append(f"{name}:{node.lineno}: {classes} take Unicode digits/letters; write [0-9] / [A-Za-z0-9_]")
    return problems


def test_the_scan_finds_unicode_digit_classes_and_tests() -> None:
    sample = (
        "import re\n"
        "A = re.compile(r'^task-(\\d+)$')\n"
        "B = re.compile(rf'{x}\\w+')\n"
        "C = re.compile(r'\\d+', re.ASCII)\n"
        "D = re.compile(r'(?a)\\d+')\n"
        "E = re.compile(r'\\\\d [0-9]+')\n"
        "bare = text.isdigit()\n"
        "fine = text.isascii()\n"
        "guarded = text.isascii() and text.isdigit()\n"
        "unguarded = other.isascii() and text.isdigit()\n"
    )
    found = [p.split(": ", 1)[0] for p in scan(sample, "sample.py")]
    assert found == ["sample.py:2", "sample.py:3", "sample.py:7", "sample.py:10"]


def test_no_pattern_in_the_code_takes_non_ascii_digits() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        problems += scan(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    assert not problems, "\n".join(problems)


def test_no_schema_pattern_takes_non_ascii_digits() -> None:
    problems = []
    for path in sorted(SCHEMAS.glob("*.json")):
        stack: list[object] = [json.loads(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                pattern = node.get("pattern")
                if isinstance(pattern, str) and unicode_classes(pattern):
                    problems.append(f"{path.name}: {pattern}")
                stack += node.values()
            elif isinstance(node, list):
                stack += node
    assert not problems, problems


def test_a_commit_date_in_other_digits_is_not_read_as_a_date() -> None:
    from small_git.gates.history import parse_commit

    header = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    crafted = parse_commit("0" * 40, f"{header}author Ada <a@x.org> ١٧٠٠٠٠٠٠٠٠ +0000\n\nmsg\n".encode())
    assert crafted.author_date == ""  # shown as an odd identity, as git fsck would call it
    plain = parse_commit("0" * 40, f"{header}author Ada <a@x.org> 1700000000 +0000\n\nmsg\n".encode())
    assert plain.author_date.startswith("2023-11-14")
