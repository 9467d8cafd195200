"""Timestamp spellings found in logs, all turned into timezone-aware datetimes (UTC when unstated)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MONTHS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

# Offsets repeat on every line of a file; building a `timezone` each time is measurable at 100k lines/s.
_OFFSETS: dict[str, timezone] = {}


def from_epoch(value: float) -> datetime | None:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude.

    1e11 s is the year 5138 and 1e11 ms is 1973, so the bands cannot be confused for real log dates.
    Integer arithmetic keeps nanosecond inputs exact to the microsecond.
    """
    magnitude = abs(value)
    if magnitude < 1e11:
        micros = value * 1_000_000
    elif magnitude < 1e14:
        micros = value * 1_000
    elif magnitude < 1e17:
        micros = value
    else:
        micros = value // 1_000 if isinstance(value, int) else value / 1_000
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except (OverflowError, ValueError):
        return None


def parse_iso(text: str) -> datetime | None:
    """RFC 3339 / ISO 8601 (`Z`, `+0100`, comma decimals and nanoseconds are all fine on 3.11)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# Busy servers write hundreds of lines with the same second; a hit costs a tenth of a parse.
@lru_cache(maxsize=256)
def parse_clf(text: str) -> datetime | None:
    """Apache/nginx `10/Oct/2000:13:55:36 -0700`, sliced by hand: strptime costs ~10 µs a line."""
    if len(text) != 26 or text[2] != "/" or text[6] != "/" or text[11] != ":" or text[20] != " ":
        return None
    month = MONTHS.get(text[3:6])
    if month is None:
        return None
    tz = _offset(text[21:])
    if tz is None:
        return None
    try:
        return datetime(
            int(text[7:11]), month, int(text[0:2]), int(text[12:14]), int(text[15:17]), int(text[18:20]), tzinfo=tz
        )
    except ValueError:
        return None


def _offset(text: str) -> timezone | None:
    tz = _OFFSETS.get(text)
    if tz is None:
        if len(text) != 5 or text[0] not in "+-" or not text[1:].isdigit():
            return None
        minutes = int(text[1:3]) * 60 + int(text[3:5])
        if minutes >= 24 * 60:
            return None
        tz = UTC if minutes == 0 else timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))
        if len(_OFFSETS) < 512:  # bounded: offsets come from untrusted input
            _OFFSETS[text] = tz
    return tz


def parse_timestamp(value: object) -> datetime | None:
    """Whatever a structured log put in its time field: epoch numbers (or digit strings), ISO 8601,
    the access-log form, or RFC 2822 (`Tue, 25 Nov 2025 10:00:00 +0000`). None when none fit."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _plausible_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text[4:5] == "-":  # the common case, ISO 8601, skips the epoch tests
        return parse_iso(text)
    if text.isdigit():
        return _plausible_epoch(int(text))
    if text[0].isdigit() and text.count(".") == 1 and text.replace(".", "", 1).isdigit():
        return _plausible_epoch(float(text))
    parsed = parse_iso(text)
    if parsed is None and len(text) == 26:
        parsed = parse_clf(text)
    if parsed is None and "," in text[:5]:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _plausible_epoch(value: float) -> datetime | None:
    # Below 1e9 (September 2001) a number in a "time" field is far more likely a duration
    # (`"time": 0.042`) than a date; reading it as 1970 would be silently wrong.
    return from_epoch(value) if abs(value) >= 1e9 else None


def infer_year(
    month: int, day: int, hour: int, minute: int, second: int, micro: int, *, now: datetime
) -> datetime | None:
    """RFC 3164 has no year: take the latest year that puts the time at most a day after `now`.

    A day of slack absorbs clock skew and time zones (3164 times are the sender's local time). Going
    back up to eight years finds the last 29 February when the line is dated one.
    """
    limit = now + timedelta(days=1)
    for year in range(now.year + 1, now.year - 8, -1):
        try:
            candidate = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
        except ValueError:
            continue
        if candidate <= limit:
            return candidate
    return None


def utc_now() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]
