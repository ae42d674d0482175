"""Value classes without `dataclasses`, for the types `small check` and every hook build as they start.

`@dataclass` writes a class's methods as source text and compiles them when the class is defined: about a
millisecond for a frozen class of nine fields, paid at every start of every command that imports it. These
bases give a class the same behaviour from the fields its `__slots__` names, with nothing to compile:
equality and repr field by field, and for `Frozen` a hash, no assignment after `__init__` and `replace()`.
Each class writes its own `__init__` (setting every field, defaults in its signature), which the type checker
reads as it is.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`: this module is imported at every start
if TYPE_CHECKING:
    from typing import Any, Self


class Fields:
    """Compared and shown by the fields `__slots__` names, in that order, as a dataclass is (eq and repr)."""

    __slots__: tuple[str, ...] = ()
    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, as a dataclass with eq is

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Fields)
        return self._values() == other._values()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__qualname__}({shown})"


class Frozen(Fields):
    """A `Fields` class that cannot change once built (a frozen dataclass): hashable, and `replace()` makes a
    changed copy. `__init__` sets the fields with `object.__setattr__`."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]  # Fields says None: a mutable value has no hash
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def replace(self, **changes: Any) -> Self:
        return type(self)(**{**dict(zip(self.__slots__, self._values(), strict=True)), **changes})
