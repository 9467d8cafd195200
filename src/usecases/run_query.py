"""Use case: run a query-language pipeline (`GET /api/v1/query`) and return a typed table."""

from __future__ import annotations

import logging

from src.domain.credentials import Principal, Scope
from src.domain.errors import DependencyUnavailable, InvalidInput
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.querylang.errors import UnsupportedQuery
from src.domain.querylang.table import PipelineQuery, PipelineRows, Table, finish

logger = logging.getLogger(__name__)


class RunQuery:
    """Rules: `read` scope; the tenant is the principal's (each adapter adds the tenant filter);
    `from` before `to`. The search index answers what it can answer exactly; PostgreSQL answers
    the rest and whenever the index is down, with the same table (tests/integration/querylang)."""

    def __init__(self, index: SearchIndex, uow_factory: UnitOfWorkFactory) -> None:
        self._index = index
        self._uow_factory = uow_factory

    async def execute(self, *, principal: Principal, query: PipelineQuery) -> tuple[Table, str]:
        principal.require(Scope.READ)
        if query.start > query.end:
            raise InvalidInput("'from' is after 'to'", details={"field": "from"})
        rows, source = await self.rows(principal=principal, query=query)
        return finish(query.plan, rows), source

    async def rows(self, *, principal: Principal, query: PipelineQuery) -> tuple[PipelineRows, str]:
        """The backend's rows before the table is finished (the Loki API shapes its own answers)."""
        principal.require(Scope.READ)
        try:
            return await self._index.run_pipeline(tenant_id=principal.tenant_id, query=query), "opensearch"
        except UnsupportedQuery:
            pass
        except DependencyUnavailable:
            logger.warning("search index unavailable; running the query on PostgreSQL")
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.reader.run_pipeline(tenant_id=principal.tenant_id, query=query), "postgres"
