"""Log events as the domain sees them: a draft before it is stored, and the stored event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from src.domain.severity import Severity


# Not `frozen`: a frozen dataclass sets each field through `object.__setattr__`, which made building
# these two 3.5x slower (2.7 against 0.8 µs for 14 fields) — and bulk ingest builds one of each per
# event. Treat them as immutable all the same: change them with `dataclasses.replace`.
@dataclass(slots=True, kw_only=True)
class LogDraft:
    """An event as received, after shape checks, before it gets an id.

    `client_id` is the caller's idempotency key for this one event; `request_hash` is set when the
    key came from an `Idempotency-Key` header, so a reuse with another body can be told apart.
    """

    message: str
    timestamp: datetime | None = None
    severity: Severity = Severity.INFO
    service: str | None = None
    host: str | None = None
    user_id: str | None = None
    action: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None
    request_hash: str | None = None


@dataclass(slots=True, kw_only=True)
class LogEvent:
    """A stored event. `id` is a UUIDv7, so ids sort by ingest time and become the search `_id`."""

    id: UUID
    tenant_id: UUID
    timestamp: datetime
    received_at: datetime
    message: str
    severity: Severity
    service: str | None
    host: str | None
    user_id: str | None
    action: str | None
    trace_id: str | None
    span_id: str | None
    attributes: dict[str, Any]
    client_id: str | None = None
    # The mined template (src/domain/patterns); None until the index worker has mined the event.
    pattern_id: str | None = None


@dataclass(slots=True)  # not frozen, for the same reason as LogEvent: one per stored event
class StoredRef:
    """What a writer answers for one event: where it went, and whether this call stored it."""

    id: UUID
    timestamp: datetime
    created: bool


def public_view(event: LogEvent) -> dict[str, Any]:
    """The shape every API shows an event in (search, by id, live stream, export)."""
    return {
        "id": event.id,
        "timestamp": event.timestamp,
        "received_at": event.received_at,
        "severity": event.severity.name,
        "service": event.service,
        "message": event.message,
        "host": event.host,
        "user_id": event.user_id,
        "action": event.action,
        "trace_id": event.trace_id,
        "span_id": event.span_id,
        "attributes": event.attributes,
        "pattern_id": event.pattern_id,
    }
