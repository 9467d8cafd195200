"""The rules an event must meet before it is stored. Pure functions; the use case applies them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from src.domain.errors import InvalidEvent, PayloadTooLarge
from src.domain.logs import LogDraft
from src.domain.text import all_storable, is_storable, require_storable


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


def too_many_events(max_events: int, seen: int) -> PayloadTooLarge:
    """The refusal of a batch past `max_events`; `seen` is what was counted before refusing
    (`max_events + 1` where counting stops at the first event past the limit)."""
    return PayloadTooLarge(
        f"a batch holds at most {max_events} events",
        code="batch_too_large",
        details={"max_events": max_events, "events": seen},
    )


_SHORT_FIELDS = ("service", "host", "user_id", "action", "trace_id", "span_id", "client_id")


def _short_values(draft: LogDraft) -> tuple[str | None, ...]:
    """The values of `_SHORT_FIELDS`, in that order."""
    return (draft.service, draft.host, draft.user_id, draft.action, draft.trace_id, draft.span_id, draft.client_id)


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


def require_storable_event(draft: LogDraft, *, attributes_json: bytes | None = None) -> None:
    """Raise InvalidEvent (`invalid_field`) when a field holds U+0000 or a lone surrogate.

    `attributes_json` is orjson's encoding of the attributes when the caller has it (orjson refuses
    lone surrogates and writes U+0000 as an escape, so one look at it settles the common case)."""
    # The common case in one pass (this runs for every event); the field-by-field pass names the culprit.
    if (
        is_storable(draft.message)
        and all(v is None or is_storable(v) for v in _short_values(draft))
        and (b"\\u0000" not in attributes_json if attributes_json is not None else all_storable(draft.attributes))
    ):
        return
    require_storable(draft.message, field="message", error=InvalidEvent)
    for name in _SHORT_FIELDS:
        require_storable(getattr(draft, name), field=name, error=InvalidEvent)
    require_storable(draft.attributes, field="attributes", error=InvalidEvent)


def _attributes_json(attributes: dict[str, Any]) -> bytes | None:
    """The attributes as orjson writes them (their stored size), or None where it cannot."""
    try:
        return orjson.dumps(attributes)
    except (TypeError, orjson.JSONEncodeError):  # a lone surrogate: require_storable_event names it
        return None


def check_event(draft: LogDraft, *, limits: EventLimits, now: datetime) -> LogDraft:
    """Return the draft with its timestamp settled, or raise InvalidEvent / PayloadTooLarge.

    Every route's events pass here, so this is where text PostgreSQL cannot store (U+0000, lone
    surrogates) is refused: one such event is refused on its own instead of failing its commit and
    with it every neighbour. (Raw text lines were already sanitised by the parsers.)"""
    # Encoded once: it settles storability and size (this runs for every event of every batch).
    attributes_json = _attributes_json(draft.attributes) if draft.attributes else None
    if not _plainly_within(draft, limits, attributes_json):
        _check_content(draft, limits, attributes_json)
    return _settle_timestamp(draft, limits, now)


def _plainly_within(draft: LogDraft, limits: EventLimits, attributes_json: bytes | None) -> bool:
    """True when every content rule plainly holds, in a few C-level scans: ASCII text without
    U+0000 (its length is then its UTF-8 size, and it is storable), attributes whose JSON is
    storable, small enough and holds too few `:` and brackets to break the key or depth limits.
    It may say False of a valid event (non-ASCII text, a `:` in a value): `_check_content` decides
    those, rule by rule, and names the first rule broken."""
    message = draft.message
    if not (
        message
        and message.isascii()
        and len(message) <= limits.max_message_bytes
        and "\x00" not in message
        and not message.isspace()
    ):
        return False
    longest = limits.max_field_chars
    for value in _short_values(draft):
        if value is not None and not (len(value) <= longest and value.isascii() and "\x00" not in value):
            return False
    if not draft.attributes:
        return True
    if attributes_json is None or b"\\u0000" in attributes_json or len(attributes_json) > limits.max_attributes_bytes:
        return False
    # Every key is followed by a `:`, and no value nests deeper than the brackets there are, plus one.
    brackets = attributes_json.count(b"{") + attributes_json.count(b"[")
    return brackets + 1 <= limits.max_attribute_depth and attributes_json.count(b":") <= limits.max_attribute_keys


def _check_content(draft: LogDraft, limits: EventLimits, attributes_json: bytes | None) -> None:
    """The content rules one by one, in the order the API reports them."""
    require_storable_event(draft, attributes_json=attributes_json)
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
        size = len(attributes_json if attributes_json is not None else orjson.dumps(draft.attributes))
        if size > limits.max_attributes_bytes:
            raise PayloadTooLarge(
                f"attributes are larger than {limits.max_attributes_bytes} bytes",
                code="event_too_large",
                details={"field": "attributes", "max_bytes": limits.max_attributes_bytes},
            )


def _settle_timestamp(draft: LogDraft, limits: EventLimits, now: datetime) -> LogDraft:
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
    # `tzinfo is UTC` first: decoders hand most times over with the UTC singleton, and `utcoffset()`
    # is a call through the tzinfo object for every event of every batch.
    if draft.timestamp.tzinfo is not UTC and draft.timestamp.utcoffset():
        # Stored and answered in UTC: the acknowledgement then reads like every later view of the event.
        return replace(draft, timestamp=draft.timestamp.astimezone(UTC))
    return draft
