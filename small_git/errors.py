"""The one user-facing error type.

Every layer raises SmallError (or a subclass) for conditions a user can act on; the CLI is the one place
that turns it into a message on stderr and an exit status. Anything else that escapes is an internal
error (exit 3).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class SmallError(Exception):
    """An error the user can act on. `exit_code` 2 means usage/unreadable input, 1 means invalid state."""

    def __init__(
        self,
        message: str,
        *,
        exit_code: int = EXIT_USAGE,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint
        self.file = file
        self.line = line
        self.rule = rule

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"message": self.message}
        for key in ("file", "line", "rule", "hint"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def __str__(self) -> str:
        return self.message
