"""Times in query parameters: RFC 3339 or relative to now, always UTC, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.domain.errors import InvalidInput
from src.domain.histogram import zero_filled
from src.domain.relative_time import parse_time

NOW = datetime(2024, 5, 15, 13, 47, 12, 345_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("now-15m", NOW - timedelta(minutes=15)),
        ("now-1h", NOW - timedelta(hours=1)),
        ("now+2d", NOW + timedelta(days=2)),
        ("now-1d/d", datetime(2024, 5, 14, tzinfo=UTC)),
        ("now/d", datetime(2024, 5, 15, tzinfo=UTC)),
        ("now/h", datetime(2024, 5, 15, 13, tzinfo=UTC)),
        ("now-1w/w", datetime(2024, 5, 6, tzinfo=UTC)),  # a Monday
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        # An unencoded '+' in a query string arrives as a space.
        ("2024-05-01T14:00:00 02:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ],
)
def test_times_parse_to_utc(text: str, expected: datetime) -> None:
    parsed = parse_time(text, now=NOW, field="from")
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "now-",
        "now-5y",
        "now-1h/x",
        "2024-05-01T12:00:00",  # no offset
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "now-99999999999d",
        "now+999999999999w",
        "2024-05-01\x00",
    ],
)
def test_bad_or_out_of_range_times_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time(text, now=NOW, field="before")
    assert caught.value.details["field"] == "before"


def test_histogram_is_zero_filled_between_from_and_to() -> None:
    start = datetime(2024, 5, 15, 10, 30, tzinfo=UTC)
    end = datetime(2024, 5, 15, 14, tzinfo=UTC)
    filled = zero_filled([(datetime(2024, 5, 15, 12, tzinfo=UTC), 7)], start=start, end=end, interval_seconds=3600)
    assert filled == [
        (datetime(2024, 5, 15, 10, tzinfo=UTC), 0),
        (datetime(2024, 5, 15, 11, tzinfo=UTC), 0),
        (datetime(2024, 5, 15, 12, tzinfo=UTC), 7),
        (datetime(2024, 5, 15, 13, tzinfo=UTC), 0),
    ]
