"""An error group as stored and shown, what one mining batch adds to it, and its status rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

# Hosts listed per group: enough to see the spread, bounded per row.
MAX_HOSTS = 20


class ErrorStatus(StrEnum):
    """`resolved` re-opens when the error recurs (an event newer than the resolution); `ignored`
    stays ignored, still counted."""

    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorOccurrences:
    """What one mining batch saw of one group."""

    id: str
    fingerprint: str
    kind: str
    exception_type: str | None
    title: str
    frames: tuple[str, ...]
    pattern_id: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    hosts: tuple[str, ...]
    sample_event_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorGroup:
    id: str
    service: str
    kind: str
    exception_type: str | None
    title: str
    frames: tuple[str, ...]
    pattern_id: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    hosts: tuple[str, ...]
    sample_event_ids: tuple[UUID, ...]
    status: ErrorStatus
    status_changed_at: datetime
    resolved_at: datetime | None
    reopened_count: int
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorGroupFilter:
    start: datetime
    end: datetime
    service: str | None = None
    status: ErrorStatus | None = None
    limit: int = 100
