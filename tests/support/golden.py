"""Golden files: expected outputs kept in tests/golden/ and compared exactly. A missing one is written for review
(and the test fails); `SMALL_UPDATE_GOLDEN=1` rewrites them all after a deliberate change, to review in the diff.
A module or test that compares marks itself `writes_golden`, so that the write guard lets it write there."""

from __future__ import annotations

import os

import pytest

from .paths import GOLDEN

UPDATE = os.environ.get("SMALL_UPDATE_GOLDEN") == "1"
writes_golden = pytest.mark.writes_into(GOLDEN)


def matches_golden(text: str, name: str) -> None:
    golden = GOLDEN / name
    if UPDATE or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote new golden file {golden.name}; review it and re-run")
    assert text == golden.read_text(encoding="utf-8")
