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
    pointer: str | None = None  # JSON pointer of the offending value inside the file ("/tasks/1/title")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.file, finding.line or 0, finding.rule, finding.message)


def json_pointer(path: tuple[str | int, ...] | list[str | int]) -> str:
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)
