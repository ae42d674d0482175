"""Findings are data: a stable rule id, where, what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    rule: str
    file: str
    message: str
    line: int | None = None
    hint: str | None = None
    severity: str = ERROR
    stage: str = "lint"
    deviation: str | None = None  # the spec §8 deviation (D1..D8) this rule implements, if any

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.file, finding.line or 0, finding.rule, finding.message)
