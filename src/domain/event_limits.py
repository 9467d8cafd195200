"""The rules an event must meet before it is stored. Pure functions; the use case applies them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from src.domain.errors import InvalidEvent, PayloadTooLarge
from src.domain.logs import LogDraft


@dataclass(frozen=True, slots=True, kw_only=True)
class EventLimits:
    max_message_bytes: int = 64 * 1024
    max_event_bytes: int = 256 * 1024
    max_attribute_depth: int = 8
    max_attribute_keys: int = 256
    max_attributes_bytes: int = 64 * 1024
    max_field_chars: int = 256
    max_future_skew: timedelta = timedelta(minutes=10)
    # The search index keeps nanoseconds since the epoch (`date_nanos`), which cannot go before it.
    min_timestamp: datetime = datetime(1970, 1, 1, tzinfo=UTC)


_SHORT_FIELDS = ("service", "host", "user_id", "action", "trace_id", "span_id", "client_id")


def _count_keys_and_depth(value: Any, depth: int, limits: EventLimits, counter: list[int]) -> None:
    if depth > limits.max_attribute_depth:
        raise InvalidEvent(
            f"attributes nest deeper than {limits.max_attribute_depth} levels",
            code="attributes_too_deep",
            details={"max_depth": limits.max_attribute_depth},
        )
    if isinstance(value, dict):
        counter[0] += len(value)
        if counter[0] > limits.max_attribute_keys:
            raise InvalidEvent(
                f"attributes have more than {limits.max_attribute_keys} keys",
                code="too_many_attributes",
                details={"max_keys": limits.max_attribute_keys},
            )
        for item in value.values():
            _count_keys_and_depth(item, depth + 1, limits, counter)
    elif isinstance(value, list):
        for item in value:
            _count_keys_and_depth(item, depth + 1, limits, counter)


def check_event(draft: LogDraft, *, limits: EventLimits, now: datetime) -> LogDraft:
    """Return the draft with its timestamp settled, or raise InvalidEvent / PayloadTooLarge."""
    if not draft.message.strip():
        raise InvalidEvent("message must not be empty", code="message_required", details={"field": "message"})
    if len(draft.message.encode()) > limits.max_message_bytes:
        raise PayloadTooLarge(
            f"message is larger than {limits.max_message_bytes} bytes",
            code="event_too_large",
            details={"field": "message", "max_bytes": limits.max_message_bytes},
        )
    for name in _SHORT_FIELDS:
        value = getattr(draft, name)
        if value is not None and len(value) > limits.max_field_chars:
            raise InvalidEvent(
                f"{name} is longer than {limits.max_field_chars} characters",
                code="field_too_long",
                details={"field": name, "max_chars": limits.max_field_chars},
            )
    if draft.attributes:
        _count_keys_and_depth(draft.attributes, 1, limits, [0])
        size = len(orjson.dumps(draft.attributes))
        if size > limits.max_attributes_bytes:
            raise PayloadTooLarge(
                f"attributes are larger than {limits.max_attributes_bytes} bytes",
                code="event_too_large",
                details={"field": "attributes", "max_bytes": limits.max_attributes_bytes},
            )
    if draft.timestamp is None:
        return replace(draft, timestamp=now)
    if draft.timestamp.tzinfo is None:
        raise InvalidEvent(
            "timestamp must carry a UTC offset (RFC 3339)",
            code="invalid_timestamp",
            details={"field": "timestamp"},
        )
    if draft.timestamp < limits.min_timestamp:
        raise InvalidEvent(
            f"timestamp is before {limits.min_timestamp.isoformat()}",
            code="timestamp_too_old",
            details={"field": "timestamp", "min_timestamp": limits.min_timestamp.isoformat()},
        )
    if draft.timestamp - now > limits.max_future_skew:
        raise InvalidEvent(
            f"timestamp is more than {int(limits.max_future_skew.total_seconds())} s in the future",
            code="timestamp_in_future",
            details={
                "field": "timestamp",
                "max_future_skew_seconds": int(limits.max_future_skew.total_seconds()),
            },
        )
    return draft
