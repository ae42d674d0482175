"""Golden files pin what users read: each finding says what is wrong, where, and how to fix it.

Regenerate after a deliberate wording change with SMALL_UPDATE_GOLDEN=1, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.golden import matches_golden, writes_golden
from support.repo import Repo
from support.workspace import FIRST_ENTRY, WORKSPACE_FILES, entry, progress_yaml

SECRET = "AKIA" + "IOSFODNN7" + "EXAMPLE"  # AWS's documented example key id, assembled so no scanner trips here
RUN = "46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0"  # the handoff's replayId in support.workspace
CASES: dict[str, tuple[list[str], dict[str, str]]] = {
    "timestamp-order": (["check"], {"progress": progress_yaml([entry("task-1", 5), entry("task-1", 3)])}),
    "bad-timestamp": (["check"], {"progress": progress_yaml([{**FIRST_ENTRY, "timestamp": "2025-01-04 10:00"}])}),
    "entry-without-evidence": (
        ["check"],
        {
            "progress": progress_yaml(
                [FIRST_ENTRY, {"task_id": "task-2", "timestamp": "2025-01-05T00:00:00.0Z", "notes": "did things"}]
            )
        },
    ),
    "evidence-gate": (["check"], {"progress": progress_yaml([{**FIRST_ENTRY, "task_id": "task-2"}])}),
    "unknown-key": (
        ["check"],
        {
            "intent": 'small_version: "1.0.0"\nowner: "human"\nintent: "x"\nscope:\n'
            '  include: []\n  exclude: []\nsuccess_criteria: []\nnotes: "extra"\n'
        },
    ),
    "plan-cycle": (
        ["check"],
        {
            "plan": 'small_version: "1.0.0"\nowner: "agent"\ntasks:\n  - id: "task-1"\n'
            '    title: "A"\n    status: "completed"\n    depends_on: ["task-2"]\n'
            '  - id: "task-2"\n    title: "B"\n    depends_on: ["task-1"]\n'
        },
    ),
    "strict-unknown-task": (
        ["check", "--strict"],
        {"progress": progress_yaml([FIRST_ENTRY, entry("task-9", 1, replayId=RUN)])},
    ),
    "strict-secret": (
        ["check", "--strict"],
        {"progress": progress_yaml([{**FIRST_ENTRY, "evidence": f"deployed with key {SECRET}"}])},
    ),
    "strict-insecure-link": (
        ["check", "--strict"],
        {"progress": progress_yaml([{**FIRST_ENTRY, "link": "http://example.com/ci/1"}])},
    ),
    "duplicate-yaml-key": (
        ["check"],
        {"plan": 'small_version: "1.0.0"\nowner: "agent"\ntasks:\n  - id: "task-1"\n    title: "A"\n    title: "B"\n'},
    ),
    "yaml-syntax": (
        ["check"],
        {
            "progress": 'small_version: "1.0.0"\nowner: "agent"\nentries:\n'
            '  - task_id: "task-1"\n   status: "completed"\n'
        },
    ),
    "missing-workspace-file": (["check"], {"workspace": ""}),
    "unquoted-version-warning": (["lint"], {"handoff": WORKSPACE_FILES["handoff"].replace('"1.0.0"', "1.0.0", 1)}),
}


@writes_golden  # a missing golden file is written for review
@pytest.mark.parametrize("name", sorted(CASES))
def test_message_matches_golden_file(name: str, tmp_path: Path) -> None:
    args, overrides = CASES[name]
    repo = Repo.create(tmp_path)
    repo.write_workspace()
    for kind, text in overrides.items():
        path = repo.path / ".small" / f"{kind}.small.yml"
        if text:
            path.write_text(text, encoding="utf-8")
        else:
            path.unlink()
    proc = repo.small(*args)
    shown = f"$ small {' '.join(args)}\nexit {proc.returncode}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
    matches_golden(shown, f"{name}.txt")
    assert "Traceback" not in proc.stderr
