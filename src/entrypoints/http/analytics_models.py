"""Response models of the analytics routes (patterns, error groups): kept apart from the log routes'."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from src.entrypoints.http.response_models import BucketOut, _Out


class PatternOut(_Out):
    id: str = Field(description="Stable id: filter events with `pattern_id=` or `q=pattern_id:<id>`")
    service: str = Field(description="The service it was mined for ('' for events without one)")
    template: str = Field(description="The message template; `<*>` marks a variable part")
    aliases: list[str] = Field(description="Ids of patterns merged into this one (their events count here)")
    merged_into: str | None = Field(default=None, description="Set on an alias: the pattern it was merged into")
    count: int = Field(description="Events in [from, to] (minute resolution), aliases included")
    errors: int = Field(description="Of those, events of severity ERROR or FATAL")
    error_share: float = Field(description="errors / count (0 when count is 0)")
    first_seen: datetime = Field(description="Earliest event timestamp ever mined into it")
    last_seen: datetime = Field(description="Latest event timestamp ever mined into it")
    created_at: datetime = Field(description="When a worker first mined it (server time)")
    sample_event_ids: list[UUID] = Field(description="Up to 5 events, the first ones mined (GET /api/v1/logs/{id})")
    sparkline: list[BucketOut] = Field(description="Counts per interval over [from, to], zero-filled")
    interval_seconds: int = Field(description="Width of a sparkline bucket")


class PatternListOut(_Out):
    items: list[PatternOut]
    from_: datetime = Field(alias="from")
    to: datetime
    new_since: datetime | None = None


class ErrorGroupOut(_Out):
    id: str = Field(description="Stable id (a digest of tenant, service and fingerprint)")
    service: str
    kind: str = Field(description="`exception` (type + top application frames) or `pattern` (an error without trace)")
    exception_type: str | None = None
    title: str
    frames: list[str] = Field(description="Top application frames, innermost first, without line numbers")
    pattern_id: str | None = Field(default=None, description="The pattern of the first event mined into the group")
    count: int = Field(description="Events ever counted into the group")
    first_seen: datetime
    last_seen: datetime
    hosts: list[str] = Field(description="Hosts it was seen on (up to 20)")
    sample_event_ids: list[UUID]
    status: str = Field(description="open, resolved or ignored; resolved re-opens on recurrence")
    status_changed_at: datetime
    resolved_at: datetime | None = None
    reopened_count: int
    created_at: datetime


class ErrorGroupListOut(_Out):
    items: list[ErrorGroupOut]
    from_: datetime = Field(alias="from")
    to: datetime
