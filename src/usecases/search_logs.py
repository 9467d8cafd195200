"""Use cases: search a tenant's logs, and summarise them; PostgreSQL answers when the index cannot."""

from __future__ import annotations

import logging
from dataclasses import replace

from src.domain.credentials import Principal, Scope
from src.domain.errors import DependencyUnavailable, InvalidInput
from src.domain.histogram import zero_filled
from src.domain.ports.search_index import SearchIndex, SearchPage
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.query import LogQuery, LogStats, StatsQuery
from src.domain.querylang.errors import UnsupportedQuery
from src.usecases.pattern_members import named_pattern_ids, with_pattern_members

logger = logging.getLogger(__name__)

MAX_BUCKETS = 1000


class SearchLogs:
    """Rules: `read` scope; the tenant is the principal's; with the search index down, or for a
    filter it cannot answer exactly (a regex, a numeric comparison on an attribute), PostgreSQL
    answers in the same shape (`q` means the same on both: tests/integration/querylang)."""

    def __init__(self, index: SearchIndex, uow_factory: UnitOfWorkFactory) -> None:
        self._index = index
        self._uow_factory = uow_factory

    async def execute(self, *, principal: Principal, query: LogQuery) -> tuple[SearchPage, str]:
        principal.require(Scope.READ)
        query.check()
        query = await self._with_pattern_members(principal, query)
        try:
            return await self._index.search(tenant_id=principal.tenant_id, query=query), "opensearch"
        except UnsupportedQuery:
            pass
        except DependencyUnavailable:
            logger.warning("search index unavailable; answering from PostgreSQL")
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.reader.search(tenant_id=principal.tenant_id, query=query), "postgres"

    async def _with_pattern_members(self, principal: Principal, query: LogQuery) -> LogQuery:
        if not named_pattern_ids(query):
            return query
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await with_pattern_members(uow, principal.tenant_id, query)


class SummariseLogs:
    """Rules: as SearchLogs; the histogram has at most MAX_BUCKETS buckets, every one of them from
    `from` to `to` (zero-filled, whichever store answered), aligned on the Unix epoch."""

    def __init__(self, index: SearchIndex, uow_factory: UnitOfWorkFactory) -> None:
        self._index = index
        self._uow_factory = uow_factory

    async def execute(self, *, principal: Principal, query: StatsQuery) -> tuple[LogStats, str]:
        principal.require(Scope.READ)
        query.check()
        if query.start >= query.end:
            raise InvalidInput("'from' must be before 'to'", details={"field": "from"})
        if query.interval_seconds <= 0:
            raise InvalidInput("interval must be positive", details={"field": "interval"})
        if (query.end - query.start).total_seconds() / query.interval_seconds > MAX_BUCKETS:
            raise InvalidInput(
                f"that interval gives more than {MAX_BUCKETS} buckets; choose a longer one",
                code="too_many_buckets",
                details={"field": "interval", "max_buckets": MAX_BUCKETS},
            )
        stats, source = await self._stats(principal, query)
        histogram = zero_filled(
            stats.histogram, start=query.start, end=query.end, interval_seconds=query.interval_seconds
        )
        return replace(stats, histogram=histogram), source

    async def _stats(self, principal: Principal, query: StatsQuery) -> tuple[LogStats, str]:
        try:
            return await self._index.stats(tenant_id=principal.tenant_id, query=query), "opensearch"
        except DependencyUnavailable:
            logger.warning("search index unavailable; summarising from PostgreSQL")
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.reader.stats(tenant_id=principal.tenant_id, query=query), "postgres"
