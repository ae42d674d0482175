"""Progress timestamps: RFC 3339 with 1–9 fractional digits, a real date and time (spec §3, deviation D2)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimestampError(ValueError):
    pass


def parse_ns(raw: object) -> int:
    """The instant of a progress timestamp, in nanoseconds since the Unix epoch. Raises TimestampError."""
    if not isinstance(raw, str) or not raw:
        raise TimestampError("timestamp is required (RFC 3339 with fractional seconds)")
    if raw != raw.strip():
        raise TimestampError("timestamp has surrounding spaces")
    match = _TS_RE.match(raw)
    if not match:
        raise TimestampError("timestamp must be RFC 3339: YYYY-MM-DDTHH:MM:SS.fffZ (uppercase T and Z, "
                             "or an offset like +02:00)")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    if frac is None:
        raise TimestampError("timestamp must include fractional seconds")
    if len(frac) > 9:
        raise TimestampError("timestamp has more than 9 fractional digits")
    if year == "0000":
        raise TimestampError("year 0000 is not a valid date")
    try:
        tz = UTC if zone == "Z" else timezone(
            (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except ValueError as exc:
        raise TimestampError(f"timestamp is not a real date and time ({exc})") from None
    delta = moment - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return seconds * 1_000_000_000 + int(frac.ljust(9, "0"))


def format_ns(instant_ns: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, the form small-git writes (spec §4)."""
    seconds, nanos = divmod(instant_ns, 1_000_000_000)
    moment = _EPOCH + timedelta(seconds=seconds)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{nanos:09d}Z")


def now_ns() -> int:
    return time.time_ns()
