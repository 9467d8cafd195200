"""Port: the derived search index (OpenSearch). PostgreSQL stays the source of truth."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.logs import LogEvent
from src.domain.query import Cursor, LogQuery, LogStats, StatsQuery
from src.domain.querylang.table import PipelineQuery, PipelineRows


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchPage:
    items: list[LogEvent]
    total: int
    next_cursor: Cursor | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexReport:
    indexed: int
    failed: int
    errors: list[str]


class SearchIndex(Protocol):
    """Every read takes the tenant and the adapter filters by it itself: a caller cannot forget."""

    @abstractmethod
    async def index(self, events: Sequence[LogEvent]) -> IndexReport:
        """Write events with their id as the document id: repeating a write cannot duplicate."""

    @abstractmethod
    async def search(self, *, tenant_id: UUID, query: LogQuery) -> SearchPage: ...

    @abstractmethod
    async def stats(self, *, tenant_id: UUID, query: StatsQuery) -> LogStats: ...

    @abstractmethod
    async def run_pipeline(self, *, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        """A query-language pipeline; UnsupportedQuery when this store cannot answer it exactly."""

    @abstractmethod
    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int: ...

    @abstractmethod
    async def delete_range(self, *, tenant_id: UUID, start: datetime | None, end: datetime | None) -> int: ...

    @abstractmethod
    async def delete_archived(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int:
        """Delete exactly the documents of an archived range (timestamp < before, received before)."""

    @abstractmethod
    async def refresh(self) -> None:
        """Make what was written visible to searches now (tests and reindex checkpoints)."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise DependencyUnavailable unless the search backend answers (workers' health probe)."""
