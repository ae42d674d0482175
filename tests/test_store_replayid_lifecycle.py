"""replayId vectors from the reference corpus, run derivation, and the task lifecycle rules."""

from __future__ import annotations

import csv

import pytest
from support.paths import CONFORMANCE

from small_git.errors import SmallError
from small_git.protocol import lifecycle
from small_git.protocol.replayid import compute_replay_id, next_run_id
from small_git.protocol.yamlsafe import load_yaml

VECTORS = CONFORMANCE / "replayid" / "REPLAYIDS.tsv"


def _rows() -> list[dict[str, str]]:
    if not VECTORS.is_file():
        return []
    with VECTORS.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.skipif(not VECTORS.is_file(), reason="conformance corpus not present")
@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["label"])
def test_replay_id_vectors(row: dict[str, str]) -> None:
    small = CONFORMANCE / "cases" / row["case"] / ".small"
    if not small.is_dir():
        pytest.skip(f"case {row['case']} is not in this corpus sample")
    constraints = small / "constraints.small.yml"
    value = compute_replay_id(
        (small / "intent.small.yml").read_bytes(),
        (small / "plan.small.yml").read_bytes(),
        constraints.read_bytes() if constraints.exists() else None,
    )
    assert value == row["formula_sha256"]
    if row["matches_formula"] == "True":
        assert value == row["replayId_written"]


def test_reference_init_template_vectors() -> None:
    from small_git.store.templates import CONSTRAINTS_TEMPLATE, INTENT_TEMPLATE
    from small_git.store.templates import PLAN_TEMPLATE as TEMPLATE

    assert (
        compute_replay_id(INTENT_TEMPLATE, TEMPLATE, CONSTRAINTS_TEMPLATE)
        == "840085fc39934e12924d1cfa912a7b1dd3fcd255658447526d651d06347146db"
    )
    assert (
        compute_replay_id(INTENT_TEMPLATE, TEMPLATE)
        == "176d5853ef5abce3a557cc6d2859eeaa1ec98779e616ecf52ae6104e4d661b1a"
    )
    assert (
        compute_replay_id(INTENT_TEMPLATE.replace(b"\n", b"\r\n"), TEMPLATE.replace(b"\n", b"\r"), CONSTRAINTS_TEMPLATE)
        == "840085fc39934e12924d1cfa912a7b1dd3fcd255658447526d651d06347146db"
    )


def test_next_run_id_never_repeats_the_previous_one() -> None:
    previous = "ab" * 32
    assert next_run_id("cd" * 32, previous) == "cd" * 32
    derived = next_run_id(previous.upper(), previous)
    assert derived != previous and len(derived) == 64 and next_run_id(derived, derived) != derived
    assert next_run_id(previous, None) == previous


def test_lifecycle_moves() -> None:
    assert lifecycle.move_error("t", "pending", "completed", False) is None
    assert lifecycle.move_error("t", "blocked", "in_progress", False) is None
    refusal = lifecycle.move_error("t", "completed", "in_progress", False)
    assert refusal and "--reopen" in refusal and "pending, in_progress, blocked, cancelled" in refusal
    assert lifecycle.move_error("t", "COMPLETED", "in_progress", True) is None
    assert "--reopen is for" in (lifecycle.move_error("t", "pending", "completed", True) or "")
    assert "invalid status" in (lifecycle.move_error("t", "pending", "done", False) or "")


def test_plan_lags_progress_findings() -> None:
    plan = load_yaml(
        b"tasks:\n  - id: a\n    status: in_progress\n  - id: b\n  - id: c\n    status: COMPLETED\n", "plan"
    )
    progress = {
        "entries": [
            {"task_id": "a", "status": "completed"},
            {"task_id": "b", "status": "in_progress"},
            {"task_id": "c", "status": "completed"},
            {"task_id": "zz", "status": "completed"},
        ]
    }
    findings = lifecycle.lifecycle_findings(plan, progress)
    assert [(f.rule, f.line) for f in findings] == [("plan-lags-progress", 3)]
    assert "'a' is in_progress" in findings[0].message


@pytest.mark.skipif(not (CONFORMANCE / "cases").is_dir(), reason="conformance corpus not present")
def test_no_reference_valid_case_has_a_lagging_plan() -> None:
    index = (CONFORMANCE / "INDEX.tsv").read_text().splitlines()
    header = index[0].split("\t")
    for line in index[1:]:
        row = dict(zip(header, line.split("\t"), strict=False))
        if row.get("check") != "0":
            continue
        small = CONFORMANCE / "cases" / row["case"] / ".small"
        try:
            plan = load_yaml((small / "plan.small.yml").read_bytes(), "plan")
            progress = load_yaml((small / "progress.small.yml").read_bytes(), "progress").data
        except (SmallError, OSError):  # a deviation (D5) or a missing file: other rules judge those
            continue
        assert lifecycle.lifecycle_findings(plan, progress) == [], row["case"]
