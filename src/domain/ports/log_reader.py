"""Port: queries over stored logs in the source of truth (the fallback when search is down)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.fields_catalogue import FieldCatalogue
from src.domain.logs import LogEvent
from src.domain.ports.search_index import SearchPage
from src.domain.query import Cursor, LogQuery, LogStats, StatsQuery
from src.domain.querylang.table import PipelineQuery, PipelineRows


class LogReader(Protocol):
    @abstractmethod
    async def get_many(self, *, tenant_id: UUID, ids: Sequence[UUID]) -> list[LogEvent]: ...

    @abstractmethod
    async def in_id_span(
        self, *, tenant_id: UUID, lowest: UUID, highest: UUID, start: datetime, end: datetime
    ) -> list[LogEvent]:
        """The tenant's events with ids from `lowest` to `highest` and timestamps from `start` to
        `end` (both inclusive): a group commit's events, and any of the tenant's others whose ids were
        drawn in between (UUIDv7: within the same moments)."""

    @abstractmethod
    async def scan(
        self, *, tenant_id: UUID, start: datetime | None, end: datetime | None, after: Cursor | None, limit: int
    ) -> list[LogEvent]:
        """Events in ascending (timestamp, id) order after `after`: bounded batches for reindexing."""

    @abstractmethod
    async def search(self, *, tenant_id: UUID, query: LogQuery) -> SearchPage:
        """Filters only: a query with `text` is the search index's."""

    @abstractmethod
    async def stats(self, *, tenant_id: UUID, query: StatsQuery) -> LogStats: ...

    @abstractmethod
    async def field_catalogue(self, *, tenant_id: UUID, start: datetime, end: datetime, sample: int) -> FieldCatalogue:
        """Fields and attribute paths (with JSON types) of the newest `sample` events in the window."""

    @abstractmethod
    async def run_pipeline(self, *, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        """A query-language pipeline; UnsupportedQuery when this store cannot answer it exactly."""

    @abstractmethod
    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int: ...

    @abstractmethod
    def stream_archivable(
        self, *, tenant_id: UUID, before: datetime, received_before: datetime
    ) -> AsyncIterator[LogEvent]:
        """Events with timestamp < before, received before `received_before`, in (timestamp, id)
        order, read through a server-side cursor: memory stays flat whatever the count."""

    @abstractmethod
    async def count_archivable(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int: ...

    @abstractmethod
    async def after_id(self, *, tenant_id: UUID, after: UUID, limit: int) -> list[LogEvent]:
        """Events stored after `after` in id (ingest-time) order: replay for a resuming stream."""

    @abstractmethod
    def stream_query(self, *, tenant_id: UUID, query: LogQuery) -> AsyncIterator[LogEvent]:
        """Every matching event in the query's order through a server-side cursor (exports).

        `query.text` is matched as case-insensitive substrings of the message here."""

    @abstractmethod
    def export_lines(self, *, tenant_id: UUID, query: LogQuery, csv: bool) -> AsyncIterator[bytes]:
        """The matching events encoded by the store — NDJSON lines in the public shape, or CSV with
        a header, the stable column order and formula-safe cells — as chunks of bytes."""
