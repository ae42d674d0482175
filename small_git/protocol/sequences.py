"""The append-only comparison of progress entries (spec §6.2), written once for every caller: the gates
(a commit, a merge, a ref update that is not a fast-forward) and the merge driver.

Entries compare by value and type: Python's `==` says `1 == True == 1.0` and `0 == False`, which would let a
change of an old value's type pass as "unchanged"; `same` does not, and treats a NaN as equal to itself (a log
that holds `.nan` must not look rewritten by every commit). Mapping key order is formatting, not content.

A caller that accepts redactions passes `normalise`, which turns an old entry into the form the new log may
hold it in (its authorised redactions applied); only old entries are normalised, so a new log can never put
back a value an old one had redacted.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

Normalise = Callable[[int, Any], Any]  # (index in the old log, entry) -> the entry as the new log may hold it


def same(a: Any, b: Any) -> bool:
    """Equal by value and by type, recursively (bool, int and float are different types)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(value, b[k]) for k, value in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
    return bool(a == b)


def key(value: Any) -> Hashable:
    """A hashable stand-in: `key(a) == key(b)` exactly when `same(a, b)`."""
    if isinstance(value, dict):
        return ("map", tuple(sorted((k if isinstance(k, str) else repr(k), key(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("seq", tuple(key(item) for item in value))
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(value))
    if value is None or isinstance(value, bool | int | str):
        return (type(value).__name__, value)
    return (type(value).__name__, repr(value))


def _identity(index: int, entry: Any) -> Any:
    return entry


# --- prefix: a commit with one parent -----------------------------------------------------------------------


def first_change(old: Sequence[Any], new: Sequence[Any], normalise: Normalise | None = None) -> int | None:
    """The index of the first old entry that is not kept, unchanged, at its own position in `new` (None when
    `old` is a prefix of `new`)."""
    fix = normalise or _identity
    for index, entry in enumerate(old):
        if index >= len(new) or not same(fix(index, entry), new[index]):
            return index
    return None


# --- subsequence: a ref update that is not a fast-forward, each parent of a merge ----------------------------


@dataclass(frozen=True)
class Match:
    positions: list[int]  # where each old entry is in `new`, increasing
    lost: int | None = None  # the first old entry that is not in `new` after the ones before it

    @property
    def ok(self) -> bool:
        return self.lost is None


class Index:
    """Where each entry of a log is, by `key`: subsequence matches in O(n log n) instead of O(n^2)."""

    def __init__(self, entries: Sequence[Any]) -> None:
        self.entries = entries
        self._at: dict[Hashable, list[int]] = {}
        for position, entry in enumerate(entries):
            self._at.setdefault(key(entry), []).append(position)

    def next_position(self, entry: Any, start: int) -> int | None:
        """The first position >= `start` holding `entry`, or None."""
        found = self._at.get(key(entry))
        if not found:
            return None
        at = bisect_left(found, start)
        return found[at] if at < len(found) else None

    def holds(self, entry: Any) -> bool:
        return key(entry) in self._at


def subsequence(old: Sequence[Any], new: Index, normalise: Normalise | None = None) -> Match:
    """Every old entry, in order, somewhere in `new` (other entries may come between them)."""
    fix = normalise or _identity
    positions: list[int] = []
    cursor = 0
    for index, entry in enumerate(old):
        position = new.next_position(fix(index, entry), cursor)
        if position is None:
            return Match(positions, index)
        positions.append(position)
        cursor = position + 1
    return Match(positions)


# --- interleaving: a merge ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interleaving:
    matches: list[Match]  # one per parent
    lost_parent: int | None = None  # the parent (from 0) one of whose entries the result lacks
    inserted: int | None = None  # a result entry of no parent placed before the last entry of some parent

    @property
    def ok(self) -> bool:
        return self.lost_parent is None and self.inserted is None


def interleaving(
    parents: Sequence[Sequence[Any]], result: Sequence[Any], normalise: Normalise | None = None
) -> Interleaving:
    """The result keeps every parent's entries, each parent's in its order; entries that come from no
    parent only after everything that does."""
    index = Index(result)
    matches: list[Match] = []
    for number, entries in enumerate(parents):
        match = subsequence(entries, index, normalise)
        matches.append(match)
        if not match.ok:
            return Interleaving(matches, lost_parent=number)
    from_parents = {p for match in matches for p in match.positions}
    last = max(from_parents, default=-1)
    for position in range(last):
        if position not in from_parents:
            return Interleaving(matches, inserted=position)
    return Interleaving(matches)


# --- order --------------------------------------------------------------------------------------------------


def first_out_of_order(
    instants: Sequence[int | None], checked: Callable[[int], bool] = lambda position: True
) -> int | None:
    """The first position whose instant is not strictly later than the one before it, among positions
    `checked` says are new (an adjacency a parent already had was judged there). None: in order."""
    for position in range(1, len(instants)):
        if not checked(position):
            continue
        now, before = instants[position], instants[position - 1]
        if now is not None and before is not None and now <= before:
            return position
    return None
