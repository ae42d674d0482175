"""Findings are data: a stable rule id, where, what is wrong and how to fix it."""

from __future__ import annotations

from typing import Any

from small_git.protocol.values import Frozen

ERROR = "error"
WARNING = "warning"


class Finding(Frozen):
    """One problem: the rule, where it is, what is wrong and the fix (immutable; `replace()` makes a changed
    copy)."""

    __slots__ = ("rule", "file", "message", "line", "hint", "severity", "stage", "deviation", "pointer")
    rule: str
    file: str
    message: str
    line: int | None
    hint: str | None
    severity: str
    stage: str
    deviation: str | None  # the spec §8 deviation (D1..D8) this rule implements, if any
    pointer: str | None  # JSON pointer of the offending value inside the file ("/tasks/1/title")

    def __init__(
        self,
        rule: str,
        file: str,
        message: str,
        line: int | None = None,
        hint: str | None = None,
        severity: str = ERROR,
        stage: str = "lint",
        deviation: str | None = None,
        pointer: str | None = None,
    ) -> None:
        field = object.__setattr__
        field(self, "rule", rule)
        field(self, "file", file)
        field(self, "message", message)
        field(self, "line", line)
        field(self, "hint", hint)
        field(self, "severity", severity)
        field(self, "stage", stage)
        field(self, "deviation", deviation)
        field(self, "pointer", pointer)

    def to_dict(self) -> dict[str, Any]:
        return {name: value for name, value in zip(self.__slots__, self._values(), strict=True) if value is not None}

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.file, finding.line or 0, finding.rule, finding.message)


def json_pointer(path: tuple[str | int, ...] | list[str | int]) -> str:
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)
