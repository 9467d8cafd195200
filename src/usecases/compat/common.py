"""Rules every shipper mapping shares: text fields, lenient severities, epoch times, storable values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from src.domain.errors import InvalidEvent
from src.domain.event_limits import require_storable_event
from src.domain.logs import LogDraft
from src.domain.severity import Severity, normalise_severity

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Far enough for any log; beyond it `datetime` itself overflows.
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def as_text(value: Any) -> str | None:
    """A string, or a number written as one; anything else (objects, lists, booleans) is not text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def lenient_severity(value: Any) -> Severity | None:
    """A level a shipper sent, or None when it is not one we know (the caller keeps the raw value)."""
    try:
        return normalise_severity(value)
    except ValueError:
        return None


def from_unix_nanos(nanos: int) -> datetime:
    """Nanoseconds since the epoch, to the microsecond (PostgreSQL's precision)."""
    if nanos < 0:
        raise InvalidEvent("timestamp must not be before 1970-01-01T00:00:00Z", code="invalid_timestamp")
    try:
        moment = EPOCH + timedelta(microseconds=nanos // 1000)
    except OverflowError as e:
        raise InvalidEvent("timestamp is out of range", code="invalid_timestamp") from e
    return check_moment(moment)


def check_moment(moment: datetime) -> datetime:
    """Aware, and not before the epoch (earlier instants are no log's; see the native API's rule)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < EPOCH:
        raise InvalidEvent("timestamp must not be before 1970-01-01T00:00:00Z", code="invalid_timestamp")
    if moment > _LATEST:
        raise InvalidEvent("timestamp is out of range", code="invalid_timestamp")
    return moment


def storable(draft: LogDraft) -> LogDraft:
    """Refuse what PostgreSQL cannot hold (U+0000, lone surrogates) before it fails a whole commit."""
    require_storable_event(draft)
    return draft
