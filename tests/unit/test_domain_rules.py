from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.domain.errors import InvalidEvent, PayloadTooLarge
from src.domain.event_limits import EventLimits, check_event
from src.domain.logs import LogDraft
from src.domain.severity import Severity, normalise_severity

NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("INFO", Severity.INFO),
        ("warning", Severity.WARN),
        ("Err", Severity.ERROR),
        ("critical", Severity.FATAL),
        ("trace", Severity.TRACE),
        (1, Severity.TRACE),
        (4, Severity.TRACE),
        (5, Severity.DEBUG),
        (9, Severity.INFO),
        (13, Severity.WARN),
        (17, Severity.ERROR),
        (24, Severity.FATAL),
        ("21", Severity.FATAL),
    ],
)
def test_severity_aliases_and_otel_numbers(value: object, expected: Severity) -> None:
    assert normalise_severity(value) is expected


@pytest.mark.parametrize("value", ["loud", 0, 25, True, None, 3.5])
def test_unknown_severity_is_refused(value: object) -> None:
    with pytest.raises(ValueError):
        normalise_severity(value)


def test_limits() -> None:
    limits = EventLimits(max_message_bytes=10, max_attribute_keys=3, max_field_chars=5)
    with pytest.raises(PayloadTooLarge):
        check_event(LogDraft(message="x" * 11), limits=limits, now=NOW)
    with pytest.raises(InvalidEvent, match="more than 3 keys"):
        check_event(LogDraft(message="m", attributes={"a": 1, "b": 2, "c": {"d": 1}}), limits=limits, now=NOW)
    with pytest.raises(InvalidEvent, match="service"):
        check_event(LogDraft(message="m", service="toolong"), limits=limits, now=NOW)
    with pytest.raises(InvalidEvent, match="UTC offset"):
        check_event(LogDraft(message="m", timestamp=datetime(2026, 1, 1)), limits=limits, now=NOW)
    assert check_event(LogDraft(message="m"), limits=limits, now=NOW).timestamp == NOW


def test_a_timestamp_before_the_epoch_is_refused() -> None:
    # The search index stores nanoseconds since 1970 and cannot hold it.
    limits = EventLimits()
    with pytest.raises(InvalidEvent) as refused:
        check_event(
            LogDraft(message="m", timestamp=datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)), limits=limits, now=NOW
        )
    assert refused.value.code == "timestamp_too_old"
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert check_event(LogDraft(message="m", timestamp=epoch), limits=limits, now=NOW).timestamp == epoch
