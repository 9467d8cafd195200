"""What mining writes about a pattern and what reads answer: the stored side of `Pattern`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from src.domain.patterns.header import strip_header

# Sample events kept per pattern (and per error group): enough to show, bounded per row.
MAX_SAMPLES = 5


def mining_text(message: str) -> str:
    """The part of a message that is mined: its first line, header stripped.

    A joined stack trace mines as its first line (the exception's message); the frames go to the
    error fingerprint instead. Raw lines may still carry their header (time, level, logger)."""
    first = message.split("\n", 1)[0].strip()
    return strip_header(first)


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternChange:
    """One pattern after a mining batch: its state for restore plus what the batch saw of it."""

    id: str
    template: str
    mined_count: int
    aliases: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    sample_event_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MinuteCount:
    pattern_id: str
    minute: datetime
    total: int
    errors: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternSummary:
    """A pattern as the API shows it. Counts are over the asked range, aliases included."""

    id: str
    service: str
    template: str
    aliases: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    created_at: datetime
    sample_event_ids: tuple[UUID, ...]
    count: int
    errors: int
    merged_into: str | None = None
    sparkline: list[tuple[datetime, int]] = field(default_factory=list)

    @property
    def error_share(self) -> float:
        return self.errors / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternFilter:
    start: datetime
    end: datetime
    service: str | None = None
    text: str | None = None
    new_since: datetime | None = None
    limit: int = 100
