"""is_exact_redaction: the gates accept exactly a redaction of old entries, and nothing else."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from small_git.gates.redaction import (
    format_field_path,
    has_redact_trailer,
    is_exact_redaction,
    is_marker,
    parse_field_path,
    redaction_marker,
    redaction_record,
)

SECRET = "AKIAIOSFODNN7EXAMPLE"
MESSAGE = "Redact a leaked key\n\nSmall-Redact: AWS key pasted into notes\n"
OLD: list[dict[str, Any]] = [
    {"task_id": "t1", "timestamp": "2026-01-01T00:00:00.000000001Z", "evidence": "ran tests"},
    {
        "task_id": "t1",
        "timestamp": "2026-01-01T00:00:00.000000002Z",
        "evidence": {"type": "cmd", "output": SECRET},
        "notes": f"key={SECRET}",
    },
]


def record(entry: int, field: str, original: str) -> dict[str, Any]:
    return {
        "task_id": "meta/redact",
        "timestamp": "2026-01-01T00:00:01.000000000Z",
        "evidence": redaction_record(entry, field, original),
    }


def redacted(path: tuple[Any, ...]) -> list[dict[str, Any]]:
    new = copy.deepcopy(OLD)
    node: Any = new
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = redaction_marker(node[path[-1]])
    return new


def test_marker_is_the_sha256_of_the_original() -> None:
    marker = redaction_marker(SECRET)
    assert marker == f"[REDACTED sha256:{hashlib.sha256(SECRET.encode()).hexdigest()}]"
    assert is_marker(marker) and not is_marker(SECRET)


def test_an_exact_redaction_with_its_record_and_trailer_is_accepted() -> None:
    new = redacted((1, "notes")) + [record(1, "notes", f"key={SECRET}")]
    assert is_exact_redaction(OLD, new, MESSAGE)


def test_a_nested_field_and_two_fields_in_one_commit_are_accepted() -> None:
    new = redacted((1, "evidence", "output"))
    new[1]["notes"] = redaction_marker(OLD[1]["notes"])
    new += [record(1, "evidence.output", SECRET), record(1, "notes", f"key={SECRET}")]
    assert is_exact_redaction(OLD, new, MESSAGE)


def test_without_the_trailer_it_is_refused() -> None:
    new = redacted((1, "notes")) + [record(1, "notes", f"key={SECRET}")]
    assert not is_exact_redaction(OLD, new, "Redact a leaked key\n")
    assert not is_exact_redaction(OLD, new, "Small-Redact:\n")  # a trailer needs a reason


def test_without_the_record_it_is_refused() -> None:
    assert not is_exact_redaction(OLD, redacted((1, "notes")), MESSAGE)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda e: e[1].__setitem__("notes", "key=[REDACTED]"), id="hand-written marker"),
        pytest.param(
            lambda e: e[1].__setitem__("notes", redaction_marker("something else")),
            id="marker of another value",
        ),
        pytest.param(lambda e: e[0].__setitem__("evidence", "ran all tests"), id="another entry edited too"),
        pytest.param(lambda e: e[0].__setitem__("status", "completed"), id="a field added to an old entry"),
        pytest.param(lambda e: e.pop(0), id="an old entry dropped"),
        pytest.param(lambda e: e[1].__setitem__("timestamp", redaction_marker(OLD[1]["timestamp"])), id="timestamp"),
    ],
)
def test_any_other_edit_of_old_entries_is_refused(mutate: Any) -> None:
    new = redacted((1, "notes"))
    mutate(new)
    new.append(record(1, "notes", f"key={SECRET}"))
    assert not is_exact_redaction(OLD, new, MESSAGE)


def test_a_record_that_does_not_match_the_redaction_is_refused() -> None:
    new = redacted((1, "notes"))
    assert not is_exact_redaction(OLD, new + [record(0, "notes", f"key={SECRET}")], MESSAGE)
    assert not is_exact_redaction(OLD, new + [record(1, "notes", "another value")], MESSAGE)
    ordinary = {"task_id": "t2", "timestamp": "2026-01-02T00:00:00.000000000Z", "evidence": "more work"}
    assert not is_exact_redaction(OLD, new + [record(1, "notes", f"key={SECRET}"), ordinary], MESSAGE)


def test_nothing_redacted_is_not_a_redaction() -> None:
    assert not is_exact_redaction(OLD, copy.deepcopy(OLD) + [record(1, "notes", "x")], MESSAGE)


def test_field_paths_round_trip() -> None:
    for text, steps in [
        ("notes", ["notes"]),
        ("evidence.output", ["evidence", "output"]),
        ("evidence[0].ref", ["evidence", 0, "ref"]),
    ]:
        assert parse_field_path(text) == steps
        assert format_field_path(steps) == text
    for bad in ("", "[0]", "a..b", "a[x]"):
        with pytest.raises(ValueError):
            parse_field_path(bad)


def test_trailer_detection_is_line_anchored() -> None:
    assert has_redact_trailer("subject\n\nsmall-redact: leaked token\n")
    assert not has_redact_trailer("subject mentions Small-Redact: inline")


# --- properties -----------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20)
_entry = st.fixed_dictionaries(
    {"task_id": st.just("t"), "timestamp": st.just("2026-01-01T00:00:00.1Z")},
    optional={"notes": _text, "evidence": st.one_of(_text, st.dictionaries(st.sampled_from("abc"), _text))},
)


def _string_leaves(entries: list[dict[str, Any]]) -> list[tuple[int, str, str | None]]:
    leaves: list[tuple[int, str, str | None]] = []
    for index, entry in enumerate(entries):
        for key in ("notes", "evidence"):
            value = entry.get(key)
            if isinstance(value, str):
                leaves.append((index, key, None))
            elif isinstance(value, dict):
                leaves += [(index, key, inner) for inner in value]
    return leaves


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(_entry, min_size=1, max_size=4), data=st.data())
def test_any_single_redaction_is_accepted_and_any_other_change_refused(
    entries: list[dict[str, Any]], data: st.DataObject
) -> None:
    leaves = _string_leaves(entries)
    assume(leaves)
    index, key, inner = data.draw(st.sampled_from(leaves))
    new = copy.deepcopy(entries)
    holder = new[index] if inner is None else new[index][key]
    name = key if inner is None else inner
    original = holder[name]
    holder[name] = redaction_marker(original)
    field = key if inner is None else f"{key}.{inner}"
    assert is_exact_redaction(entries, new + [record(index, field, original)], MESSAGE)
    replacement = data.draw(_text.filter(lambda t: t not in (original, redaction_marker(original))))
    holder[name] = replacement
    assert not is_exact_redaction(entries, new + [record(index, field, original)], MESSAGE)
