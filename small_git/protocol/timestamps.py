"""Progress timestamps: RFC 3339 with 1–9 fractional digits, a real date and time (spec §3, deviation D2)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

# [0-9], never \d: Python's \d (and int()) take any Unicode digit, so "２０２５-…" would read as 2025
_TS_RE = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})\Z"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimestampError(ValueError):
    pass


def parse_ns(raw: object) -> int:
    """The instant of a progress timestamp, in nanoseconds since the Unix epoch. Raises TimestampError."""
    if not isinstance(raw, str) or not raw:
        raise TimestampError("timestamp is required (RFC 3339 with fractional seconds)")
    match = _TS_RE.match(raw)
    if not match:
        if raw != raw.strip():
            raise TimestampError("timestamp has surrounding spaces")
        raise TimestampError(
            "timestamp must be RFC 3339: YYYY-MM-DDTHH:MM:SS.fffZ (uppercase T and Z, or an offset like +02:00)"
        )
    date, hour, minute, second, frac, zone = match.groups()
    if frac is None:
        raise TimestampError("timestamp must include fractional seconds")
    if len(frac) > 9:
        raise TimestampError("timestamp has more than 9 fractional digits")
    h, m, s = int(hour), int(minute), int(second)
    if h > 23 or m > 59 or s > 59:
        raise TimestampError(f"timestamp is not a real time of day ({hour}:{minute}:{second})")
    seconds = _epoch_day(date) * 86400 + h * 3600 + m * 60 + s
    if zone != "Z":
        offset_h, offset_m = int(zone[1:3]), int(zone[4:6])
        if offset_h > 23 or offset_m > 59:
            raise TimestampError(f"timestamp has an impossible UTC offset {zone}")
        seconds -= (1 if zone[0] == "+" else -1) * (offset_h * 3600 + offset_m * 60)
    return seconds * 1_000_000_000 + int(frac.ljust(9, "0"))


@lru_cache(maxsize=4096)
def _epoch_day(date: str) -> int:
    """Days from 1970-01-01 to YYYY-MM-DD; cached because a log holds few distinct dates."""
    if date.startswith("0000"):
        raise TimestampError("year 0000 is not a valid date")
    try:
        day = datetime(int(date[0:4]), int(date[5:7]), int(date[8:10]), tzinfo=UTC)
    except ValueError as exc:
        raise TimestampError(f"timestamp is not a real date ({exc})") from None
    return (day - _EPOCH).days


def format_ns(instant_ns: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, the form small-git writes (spec §4)."""
    seconds, nanos = divmod(instant_ns, 1_000_000_000)
    moment = _EPOCH + timedelta(seconds=seconds)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
        f"{moment.second:02d}.{nanos:09d}Z"
    )


def now_ns() -> int:
    return time.time_ns()
