"""Times as query parameters take them: RFC 3339, or relative to now as Grafana writes them.

    now            the moment of the request
    now-15m        15 minutes ago (units s, m, h, d, w; `+` looks ahead)
    now-1d/d       one day ago, rounded down to the start of that (UTC) day; `/h`, `/m` … likewise
    now/d          the start of today (UTC)

Every result is in UTC, and inside [EARLIEST, LATEST): a time outside it cannot name a stored event
and, past year 9999, cannot even be represented.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from src.domain.errors import InvalidInput
from src.domain.wire import rfc3339

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RELATIVE = re.compile(r"now(?:(?P<sign>[+-])(?P<amount>\d{1,12})(?P<unit>[smhdw]))?(?:/(?P<round>[smhdw]))?")

_DECODED_PLUS = re.compile(r" (\d{2}:?\d{2})$")


def _round_down(moment: datetime, unit: str) -> datetime:
    if unit == "w":  # ISO weeks start on Monday
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=day.weekday())
    seconds = _UNITS[unit]
    epoch = int((moment - EARLIEST).total_seconds())
    return EARLIEST + timedelta(seconds=epoch - epoch % seconds)


def _relative(match: re.Match[str], now: datetime) -> datetime:
    moment = now
    if match["sign"]:
        delta = timedelta(seconds=int(match["amount"]) * _UNITS[match["unit"]])
        moment = now + delta if match["sign"] == "+" else now - delta
    if match["round"]:
        moment = _round_down(moment, match["round"])
    return moment


def parse_time(text: str, *, now: datetime, field: str) -> datetime:
    """`text` as an aware UTC datetime; InvalidInput naming `field` when it is not one."""
    # An unencoded `+` in a query string arrives as a space: 12:00:00+02:00 reads 12:00:00 02:00.
    value = _DECODED_PLUS.sub(r"+\1", text.strip())
    try:
        if match := _RELATIVE.fullmatch(value):
            moment = _relative(match, now.astimezone(UTC))
        else:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
            if moment.tzinfo is None:
                raise InvalidInput(f"{field} needs a UTC offset, e.g. 2024-05-01T12:00:00Z", details={"field": field})
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as e:
        raise InvalidInput(
            f"{field} is an RFC 3339 time or relative to now (now, now-15m, now-1h, now-1d/d)",
            details={"field": field, "value": value[:64]},
        ) from e
    if not EARLIEST <= moment < LATEST:
        raise InvalidInput(
            f"{field} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}",
            details={"field": field, "value": value[:64]},
        )
    return moment


def pinned_bounds(filters: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """Filters kept for later (an export task) with `from`/`to` made absolute now: `now-1h` means an
    hour before the request, not before whenever a worker picks the task up."""
    pinned = dict(filters)
    for name in ("from", "to"):
        if isinstance(pinned.get(name), str) and pinned[name].strip():
            pinned[name] = rfc3339(parse_time(pinned[name], now=now, field=name))
    if pinned.get("q") and not pinned.get("q_now"):
        pinned["q_now"] = rfc3339(now)  # `timestamp:>now-1h` inside q: an hour before the request too
    return pinned
