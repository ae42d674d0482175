"""Generate the benchmark workspace of the reference timings: a valid, strict-clean workspace whose progress log
has N entries (~160 bytes each: task_id, timestamp, status, evidence, and on every third entry command and
commit), strictly increasing timestamps."""

from __future__ import annotations

import sys
from pathlib import Path

FILES = {
    "intent": 'small_version: "1.0.0"\nowner: "human"\nintent: "Benchmark workspace"\nscope:\n  include: []\n'
    "  exclude: []\nsuccess_criteria: []\n",
    "constraints": 'small_version: "1.0.0"\nowner: "human"\nconstraints:\n  - id: "no-secrets"\n'
    '    rule: "No secrets in .small artifacts"\n    severity: "error"\n',
    "plan": 'small_version: "1.0.0"\nowner: "agent"\ntasks:\n  - id: "task-1"\n    title: "Benchmark"\n'
    '    status: "in_progress"\n',
    "handoff": 'small_version: "1.0.0"\nowner: "agent"\nsummary: "Benchmark run."\nresume:\n'
    '  current_task_id: "task-1"\n  next_steps: []\nlinks: []\nreplayId:\n'
    '  value: "46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0"\n  source: "auto"\n',
    "workspace": 'small_version: "1.0.0"\nowner: "agent"\nkind: "repo-root"\n',
}


def entry_text(i: int) -> str:
    """Entry number `i` of the benchmark log, as the block of lines the log holds."""
    seconds = i
    stamp = (
        f"2025-01-{1 + seconds // 86400:02d}T{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:"
        f"{seconds % 60:02d}.{i % 1000:03d}000000Z"
    )
    text = (
        f'  - task_id: "task-1"\n    timestamp: "{stamp}"\n    status: "in_progress"\n'
        f'    evidence: "Step {i}: ran the unit tests and they passed"\n'
    )
    if i % 3 == 0:
        text += f'    command: "pytest -q tests/unit"\n    commit: "{i:012x}"\n'
    return text


def progress(entries: int) -> str:
    return 'small_version: "1.0.0"\nowner: "agent"\nentries:\n' + "".join(entry_text(i) for i in range(entries))


def write(root: Path, entries: int) -> Path:
    small = root / ".small"
    small.mkdir(parents=True, exist_ok=True)
    for kind, text in FILES.items():
        (small / f"{kind}.small.yml").write_text(text, encoding="utf-8")
    (small / "progress.small.yml").write_text(progress(entries), encoding="utf-8")
    return root


if __name__ == "__main__":
    print(write(Path(sys.argv[1]), int(sys.argv[2])))
