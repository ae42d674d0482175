"""The loader's fast path gives exactly the full loader's result, or gives up.

Documents are generated in the shapes the tools write (small-git's emitter, the reference's yaml.v3 layout,
hand-written variants: indentation, quoting styles, escapes, comments, blank lines), then mutated into near
misses (a character inserted or removed, a line re-indented or repeated, an indicator or a tab put in).
For each, the fast path either returns None or the same values with the same types, the same line of every
key and item and the same reference-CLI timestamps as the full loader; and where the full loader refuses the
text, the fast path gives up. SMALL_FAST_EXAMPLES sets the number of examples (300 by default; the
documented long run: SMALL_FAST_EXAMPLES=10000 .venv/bin/pytest tests/test_yaml_fast.py).
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from small_git.protocol import yaml_events
from small_git.protocol.emitter import emit_document
from small_git.protocol.yaml_fast import load_fast
from small_git.protocol.yamlsafe import DEFAULT_LIMITS, Document, YamlError, load_yaml

EXAMPLES = int(os.environ.get("SMALL_FAST_EXAMPLES", "300"))
SOURCE = ".small/progress.small.yml"


def canon(value: Any) -> Any:
    """Values compared with their types: 1, 1.0 and True are three different things."""
    if isinstance(value, dict):
        return ("map", tuple((k, canon(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("seq", tuple(canon(v) for v in value))
    return (type(value).__name__, repr(value))


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def assert_agrees(text: str) -> bool:
    """True when the fast path took the text (and agreed)."""
    fast = load_fast(text, DEFAULT_LIMITS.max_depth)
    try:
        full = yaml_events.build(text, SOURCE, DEFAULT_LIMITS)
    except YamlError as error:
        assert fast is None, f"the fast path accepted what the full loader refuses: {error.message}\n{text}"
        return False
    if fast is None:
        return False
    data, lines, times = fast
    doc = Document(data, SOURCE, lines, text, times)
    assert canon(data) == canon(full.data), text
    assert times == full.reference_times, text
    for path in paths(full.data):
        assert doc.line_of(path) == full.line_of(path), (path, text)
    return True


# --- documents in the tools' shapes ------------------------------------------------------------------------

KEYS = st.sampled_from(["task_id", "timestamp", "status", "evidence", "notes", "replayId", "commit", "a", "_x", "k.v"])
WORDS = st.text(alphabet=string.ascii_letters + string.digits + " -_./é€😀", min_size=0, max_size=20)
TRICKY = st.sampled_from(
    ["", " ", "yes", "no", "true", "False", "null", "~", "1", "-1", "0x1F", "0o17", "1.5", ".inf", ".nan", "1e3",
     "2025-01-04", "2025-01-04T10:00:00.000000000Z", "2025-01-04 10:00:00", "12:30", "a: b", "a #b", "a#b", "#x",
     "- x", "[x]", "{x}", "'q'", '"q"', "x:", ":x", "&a", "*a", "!t", "|", ">", "%", "@", "`", "a\\b", 'say "hi"',
     "line\nbreak", "tab\there", "\x85", "\u2028", "back\\slash\\n", "é€😀", "99999999999999999999999"]
)  # fmt: skip
SCALARS = st.one_of(
    WORDS,
    TRICKY,
    st.integers(min_value=-(10**6), max_value=10**6),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=3),
        st.dictionaries(KEYS, inner, max_size=4),
    )


LOGS = st.fixed_dictionaries(
    {
        "small_version": st.just("1.0.0"),
        "owner": st.just("agent"),
        "entries": st.lists(st.dictionaries(KEYS, values(1), min_size=1, max_size=6), max_size=6),
    }
)
DOCUMENTS = st.one_of(LOGS, st.dictionaries(KEYS, values(2), min_size=1, max_size=5))


def scalar_text(value: Any, style: str) -> str:
    """A scalar written in one of the styles people and tools use (some spellings change its meaning:
    that is fine, both loaders must still agree)."""
    if isinstance(value, str):
        if style == "single":
            return "'" + value.replace("'", "''") + "'"
        if style == "plain":
            return value
        if style == "escaped":
            return json.dumps(value)
        return '"' + value + '"'  # raw double quotes: invalid when the text holds a quote or a backslash
    if value is None:
        return {"plain": "", "single": "~", "escaped": "null"}.get(style, "Null")
    return json.dumps(value) if not isinstance(value, float) else repr(value)


def write(value: Any, style: st.DrawFn, indent: int, step: int, dash_gap: int) -> list[str]:
    """Block-style lines for a mapping or a sequence whose keys or dashes start at column `indent`."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            lines += _member(f"{pad}{key}:", child, style, indent, step, dash_gap)
    else:
        for child in value:
            head = f"{pad}-{' ' * dash_gap}"
            if isinstance(child, dict) and child:
                inner = write(child, style, indent + 1 + dash_gap, step, dash_gap)
                lines.append(head + inner[0].lstrip(" "))
                lines += inner[1:]
            elif isinstance(child, list | dict):
                lines.append(head + ("[]" if isinstance(child, list) else "{}"))
            else:
                lines.append(head + scalar_text(child, style(st.sampled_from(STYLES))))
    return lines


STYLES = ["double", "single", "plain", "escaped"]


def _member(head: str, child: Any, style: st.DrawFn, indent: int, step: int, dash_gap: int) -> list[str]:
    if isinstance(child, dict | list) and child:
        compact = isinstance(child, list) and style(st.booleans())  # `key:` then `- item` at the same column
        return [head, *write(child, style, indent if compact else indent + step, step, dash_gap)]
    if isinstance(child, dict | list):
        return [f"{head} {'{}' if isinstance(child, dict) else '[]'}"]
    text = scalar_text(child, style(st.sampled_from(STYLES)))
    return [f"{head} {text}".rstrip(" ") if text else head]


@st.composite
def written(draw: st.DrawFn) -> str:
    data = draw(DOCUMENTS)
    layout = draw(st.sampled_from(["emitter", "reference", "hand"]))
    if layout == "emitter":
        try:
            return emit_document(data).decode()
        except TypeError:
            pass
    step = 4 if layout == "reference" else draw(st.sampled_from([1, 2, 3, 4]))
    lines = write(data, draw, 0, step, 1 if layout != "hand" else draw(st.sampled_from([1, 1, 2, 3])))
    if layout == "hand":
        for _ in range(draw(st.integers(0, 3))):
            at = draw(st.integers(0, len(lines)))
            lines.insert(at, draw(st.sampled_from(["", "   ", "# a comment", "    # indented comment"])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


NEAR_MISS_INSERTS = list(":#\"'-&*!|>[]{}%@`\\ \t\r\x85\u2028\ufeff\x7f\x01é") + [": ", " #", "- ", "\n", "---\n"]


@st.composite
def near_miss(draw: st.DrawFn) -> str:
    text = draw(written())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["insert", "delete", "indent", "repeat", "swap"]))
        lines = text.split("\n")
        if kind == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(NEAR_MISS_INSERTS)) + text[at:]
        elif kind == "delete" and text:
            at = draw(st.integers(0, len(text) - 1))
            text = text[:at] + text[at + 1 :]
        elif kind == "indent":
            at = draw(st.integers(0, len(lines) - 1))
            lines[at] = " " * draw(st.integers(0, 3)) + lines[at].lstrip(" ")
            text = "\n".join(lines)
        elif kind == "repeat":
            at = draw(st.integers(0, len(lines) - 1))
            lines.insert(at, lines[at])
            text = "\n".join(lines)
        elif len(lines) > 1:
            at = draw(st.integers(0, len(lines) - 2))
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
            text = "\n".join(lines)
    return text


PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@PROPERTY
@given(written())
def test_documents_in_the_tools_shapes_load_the_same(text: str) -> None:
    assert_agrees(text)


@pytest.mark.slow
@PROPERTY
@given(near_miss())
def test_near_misses_load_the_same_or_fall_back(text: str) -> None:
    assert_agrees(text)


# --- the fast path is taken where it should be ------------------------------------------------------------


REFERENCE_LOG = """small_version: "1.0.0"
owner: agent
entries:
    - command: small init
      evidence: Initialized .small workspace and seeded canonical artifacts
      notes: small init in /tmp/x
      status: completed
      task_id: meta/init
      timestamp: "2026-04-01T19:23:01.573374000Z"
    - evidence: Added task task-2 via small plan --add
      notes: A
      replayId: 840085fc39934e12924d1cfa912a7b1dd3fcd255658447526d651d06347146db
      status: pending
      task_id: task-2
      timestamp: "2026-04-01T19:23:02.000000001Z"
"""


@pytest.mark.parametrize(
    "text",
    [
        emit_document(
            {
                "small_version": "1.0.0",
                "owner": "agent",
                "entries": [
                    {"task_id": "task-1", "status": "completed", "evidence": 'out:\n  "x" \\ é', "commit": "0" * 12},
                    {"task_id": "task-2", "evidence": {"type": "commit", "ref": "abc1234"}, "notes": ""},
                ],
            }
        ).decode(),
        REFERENCE_LOG,
        'small_version: "1.0.0"\nowner: "agent"\ntasks:\n  - id: "task-1"\n    title: "A"\n    steps: []\n'
        "    depends_on:\n      - task-0\n",
    ],
    ids=["small-git", "reference", "plan"],
)
def test_what_the_tools_write_takes_the_fast_path(text: str) -> None:
    assert assert_agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: |\n  block\n",
        "a: &x 1\nb: *x\n",
        "a: [1, 2]\n",
        "a: 'multi\n  line'\n",
        "a: plain\n  continued\n",
        "? a\n: 1\n",
        "a:\tb\n",
        "---\na: 1\n",
        "a: 1\r\nb: 2\r\n",
        "- a\n- b\n",
        "true: 1\n",
        "a: 1\na: 2\n",
        "<<: {a: 1}\n",
    ],
)
def test_outside_the_subset_the_full_loader_decides(text: str) -> None:
    assert load_fast(text, DEFAULT_LIMITS.max_depth) is None
    try:
        expected: Any = canon(yaml_events.build(text, SOURCE, DEFAULT_LIMITS).data)
    except YamlError as error:
        expected = error.message
    try:
        got: Any = canon(load_yaml(text.encode(), SOURCE).data)
    except YamlError as error:
        got = error.message
    assert got == expected


def test_the_refused_characters_are_exactly_those_outside_yamls_printable_set() -> None:
    """_outside() names what it refuses (cheap to compile); it must be the complement of what YAML allows,
    less the characters the subset leaves to the full loader (tab, CR, NEL, LS, PS, BOM)."""
    from small_git.protocol.yaml_fast import _outside

    def allowed(code: int) -> bool:
        return (
            code == 0x0A
            or 0x20 <= code <= 0x7E
            or 0xA0 <= code <= 0x2027
            or 0x202A <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFEFE
            or 0xFF00 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )

    every = "".join(chr(code) for code in range(0x110000))
    refused = {ord(found) for found in _outside().findall(every)}
    assert refused == {code for code in range(0x110000) if not allowed(code)}
    assert {0x09, 0x0D, 0x85, 0x2028, 0x2029, 0xFEFF} <= refused
