"""Python's `$` also matches before a final newline; JSON Schema (ECMA-262), Go and the spec do not.

A value with a trailing newline is not a commit id, a replayId or a timestamp, and a key with a newline must be
quoted when written.
"""

from __future__ import annotations

import pytest

from small_git.protocol.emitter import emit_document
from small_git.protocol.replayid import is_replay_id
from small_git.protocol.schemas import fast_check, validator
from small_git.protocol.timestamps import TimestampError, parse_ns
from small_git.protocol.yamlsafe import load_yaml

HEX64 = "a" * 64


def progress(**fields: str) -> dict[str, object]:
    return {"small_version": "1.0.0", "owner": "agent", "entries": [{"task_id": "t", "evidence": "e", **fields}]}


@pytest.mark.parametrize(
    "fields", [{"commit": "abc1234\n"}, {"replayId": HEX64 + "\n"}, {"command_sha256": HEX64 + "\n"}]
)
def test_patterns_refuse_a_trailing_newline_in_both_validators(fields: dict[str, str]) -> None:
    document = progress(**fields)
    assert not fast_check("progress")(document)
    assert not validator("progress").is_valid(document)
    clean = progress(**{k: v.rstrip("\n") for k, v in fields.items()})
    assert fast_check("progress")(clean) and validator("progress").is_valid(clean)


def test_a_timestamp_with_a_trailing_newline_is_not_a_timestamp() -> None:
    assert parse_ns("2025-01-04T10:00:00.1Z") > 0
    with pytest.raises(TimestampError):
        parse_ns("2025-01-04T10:00:00.1Z\n")


def test_a_replay_id_with_a_trailing_newline_is_refused() -> None:
    assert is_replay_id(HEX64)
    assert not is_replay_id(HEX64 + "\n")


@pytest.mark.parametrize("key", ["A\n", "task\n", "ok\r", "x\ty"])
def test_keys_with_line_breaks_round_trip(key: str) -> None:
    data = {key: None, "plain": "v"}
    assert load_yaml(emit_document(data), "t").data == data
