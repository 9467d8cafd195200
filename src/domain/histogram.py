"""Zero-filled histograms: a chart needs every bucket between `from` and `to`, not only the busy ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bucket_start(moment: datetime, interval_seconds: int) -> datetime:
    """Buckets are aligned on the Unix epoch, as PostgreSQL's date_bin and OpenSearch's fixed_interval are."""
    offset = int((moment - _EPOCH) // timedelta(seconds=1))
    return _EPOCH + timedelta(seconds=offset - offset % interval_seconds)


def zero_filled(
    counts: Iterable[tuple[datetime, int]], *, start: datetime, end: datetime, interval_seconds: int
) -> list[tuple[datetime, int]]:
    """Every bucket overlapping [start, end), in order, with 0 where the store had none.

    A bucket the store reported outside that span (an event exactly at `end`) is kept, not dropped."""
    filled = dict.fromkeys(_span(start, end, interval_seconds), 0)
    for moment, count in counts:
        filled[moment.astimezone(UTC)] = filled.get(moment.astimezone(UTC), 0) + count
    return sorted(filled.items())


def _span(start: datetime, end: datetime, interval_seconds: int) -> list[datetime]:
    step = timedelta(seconds=interval_seconds)
    moment = bucket_start(start, interval_seconds)
    buckets = []
    while moment < end:
        buckets.append(moment)
        moment += step
    return buckets
