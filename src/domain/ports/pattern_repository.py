"""Port: mined patterns, their per-minute counts and the pattern id of each stored event.

Mining is serialised per (tenant, service): `lock_miner` takes a transaction-scoped lock and
answers the miner revision, which every mining transaction bumps, so a process whose in-memory
miner is older than the table reloads it (`load`) before mining.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.logs import LogEvent
from src.domain.patterns.pattern import Pattern
from src.domain.patterns.records import MinuteCount, PatternChange, PatternFilter, PatternSummary


class PatternRepository(Protocol):
    @abstractmethod
    async def lock_miner(self, *, tenant_id: UUID, service: str) -> int:
        """Hold the (tenant, service) mining lock until the transaction ends; the miner's revision."""

    @abstractmethod
    async def set_revision(self, *, tenant_id: UUID, service: str, revision: int) -> None: ...

    @abstractmethod
    async def load(self, *, tenant_id: UUID, service: str, limit: int) -> list[Pattern]:
        """Live (not merged) patterns, least recently seen first, at most `limit` of the latest."""

    @abstractmethod
    async def current(self, *, tenant_id: UUID, events: Sequence[LogEvent]) -> dict[UUID, str | None]:
        """The stored pattern id of each event (None: not mined yet; absent: the row is gone)."""

    @abstractmethod
    async def assign(self, *, tenant_id: UUID, events: Sequence[LogEvent]) -> None:
        """Set `pattern_id` on events that have none yet (events carry the id to set)."""

    @abstractmethod
    async def save(self, *, tenant_id: UUID, service: str, changes: Sequence[PatternChange]) -> None:
        """Upsert patterns; every alias listed is marked merged into the pattern that lists it."""

    @abstractmethod
    async def add_counts(self, *, tenant_id: UUID, service: str, counts: Sequence[MinuteCount]) -> None: ...

    @abstractmethod
    async def search(self, *, tenant_id: UUID, where: PatternFilter) -> list[PatternSummary]:
        """Patterns with events in [start, end], busiest first (sparklines empty)."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, pattern_id: str, start: datetime, end: datetime) -> PatternSummary | None:
        """One pattern (an alias answers its survivor), counted over [start, end]."""

    @abstractmethod
    async def members(self, *, tenant_id: UUID, pattern_id: str) -> list[str]:
        """The ids whose events belong to this pattern: its survivor and the survivor's aliases."""

    @abstractmethod
    async def series(
        self, *, tenant_id: UUID, pattern_ids: Sequence[str], start: datetime, end: datetime, interval_seconds: int
    ) -> dict[str, list[tuple[datetime, int]]]:
        """Counts per bucket (epoch-aligned) for each pattern, aliases included; empty buckets left out."""
