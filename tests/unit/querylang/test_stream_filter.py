"""The live stream evaluates the filter part of the language in process and refuses a pipeline."""

from __future__ import annotations

import pytest

from src.domain.querylang.errors import QueryError
from src.domain.stream_filter import parse_stream_filter

EVENT = {
    "id": "0190f1e2-0000-7000-8000-000000000001",
    "timestamp": "2026-05-01T12:00:00Z",
    "severity": "WARN",
    "service": "billing",
    "host": "web-01",
    "message": "Payment failed: card declined",
    "attributes": {"user": "u1", "duration_ms": 950, "order": {"region": "eu"}},
}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("payment", True),
        ("pay*", True),
        ('"payment failed"', True),
        ("payment -declined", False),
        ("severity:>=warn attr.user:*", True),
        ("attr.duration_ms:>1000", False),
        ("attr.order.region:eu host:web-*", True),
        ('message:~"fail(ed|ure)"', True),
        ("service:auth OR timestamp:>=2026-05-01T11:00:00Z", True),
        ("NOT (service:billing OR host:db-*)", False),
    ],
)
def test_the_stream_matches_the_language(q: str, expected: bool) -> None:
    assert parse_stream_filter({"q": q}).matches(EVENT) is expected


def test_the_stream_refuses_a_pipeline_with_a_clear_error() -> None:
    with pytest.raises(QueryError) as caught:
        parse_stream_filter({"q": "payment | stats count() by service"})
    assert "live stream" in caught.value.message and caught.value.column == 9


def test_old_stream_filters_still_combine_with_q() -> None:
    flt = parse_stream_filter({"q": "payment", "service": "billing,auth", "min_severity": "warn"})
    assert flt.matches(EVENT) and not flt.matches({**EVENT, "service": "search"})


def test_an_export_task_evaluates_relative_times_in_q_at_request_time() -> None:
    from datetime import UTC, datetime, timedelta

    from src.domain.query import query_from_filters
    from src.domain.querylang.ast import Compare
    from src.domain.relative_time import pinned_bounds

    requested = datetime(2026, 5, 1, 12, tzinfo=UTC)
    pinned = pinned_bounds({"q": "timestamp:>now-1h"}, now=requested)
    assert query_from_filters(pinned).text == Compare("timestamp", ">", requested - timedelta(hours=1))
