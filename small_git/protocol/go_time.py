"""What the reference CLI's YAML reader takes for a timestamp.

YAML 1.2 has no timestamp type: small-git reads `timestamp: 2025-01-04T10:00:00.0Z` written without quotes as
the string it looks like (spec §2). The reference's reader (Go, yaml.v3) resolves such a plain scalar to a
time value, and its schema check then fails (`jsonschema: invalid jsonType: time.Time`). This module says
which plain scalars it resolves so, so that the checker can tell a team that also runs the reference.

yaml.v3 tries a plain scalar as a timestamp when it starts with four digits and a `-`, then parses it with
Go's `time.Parse` and these layouts: `2006-1-2T15:4:5.999999999Z07:00` (also with a lower-case `t`),
`2006-1-2 15:4:5.999999999` and `2006-1-2`. Go reads 1 or 2 digits where the layout has one, takes `.` or
`,` before any number of fractional digits, lets one space in the layout match several, and checks ranges
(a real calendar day; hour ≤ 23; zone offsets up to 24:60).
"""

from __future__ import annotations

import re
from functools import cache

_DATE = r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
_CLOCK = r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?"
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@cache
def _layouts() -> re.Pattern[str]:
    """Groups: 1-3 date, 4-6 clock and 7-8 zone of the T layout, 9-11 clock of the space layout. Compiled when
    first needed: most files quote their timestamps, and a short command would pay for it."""
    return re.compile(rf"{_DATE}(?:[Tt]{_CLOCK}(?:Z|[+-]([0-9]{{2}}):([0-9]{{2}}))| +{_CLOCK})?\Z")


def _days_in(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _DAYS[month - 1]


def reads_as_time(plain: str) -> bool:
    """Whether the reference reads this plain (unquoted) scalar as a timestamp rather than a string."""
    if len(plain) < 8 or plain[4] != "-":
        return False
    match = _layouts().match(plain)
    if match is None:
        return False
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if not 1 <= month <= 12 or not 1 <= day <= _days_in(year, month):
        return False
    hour, minute, second = match.group(4, 5, 6) if match[4] is not None else match.group(9, 10, 11)
    if hour is not None and (int(hour) > 23 or int(minute) > 59 or int(second) > 59):
        return False
    offset_hours, offset_minutes = match[7], match[8]
    return offset_hours is None or (int(offset_hours) <= 24 and int(offset_minutes) <= 60)
