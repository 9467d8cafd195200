"""Use cases: field discovery — which fields a window holds, and a field's top values."""

from __future__ import annotations

from datetime import datetime

from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput
from src.domain.fields_catalogue import FieldCatalogue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.querylang.ast import And, Exists, Expr
from src.domain.querylang.fields import Kind, kind_of
from src.domain.querylang.pipeline import Aggregate, Plan
from src.domain.querylang.table import PipelineQuery, Table
from src.usecases.run_query import RunQuery

SAMPLE = 200_000
MAX_VALUES = 1000


class DiscoverFields:
    """Rules: `read` scope; the tenant's events only (RLS); the newest SAMPLE events of the window
    are examined (`sampled` says when there were more). PostgreSQL answers: OpenSearch's
    flat_object field does not expose the paths it holds."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, *, principal: Principal, start: datetime, end: datetime) -> FieldCatalogue:
        principal.require(Scope.READ)
        if start > end:
            raise InvalidInput("'from' is after 'to'", details={"field": "from"})
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.reader.field_catalogue(tenant_id=principal.tenant_id, start=start, end=end, sample=SAMPLE)


class FieldValues:
    """Rules: as RunQuery (it is `<q> field:* | top <limit> by <field>`): keyword fields, severity
    and attributes; OpenSearch answers top-level fields, PostgreSQL attributes."""

    def __init__(self, run_query: RunQuery) -> None:
        self._run_query = run_query

    async def execute(
        self, *, principal: Principal, name: str, start: datetime, end: datetime, flt: Expr, limit: int
    ) -> tuple[Table, str]:
        kind = kind_of(name)
        if kind is None or kind in (Kind.TEXT, Kind.TIME) or name == "id":
            raise InvalidInput(
                "values are listed for keyword fields, severity and attr.<key>", details={"field": "name"}
            )
        if not 1 <= limit <= MAX_VALUES:
            raise InvalidInput(f"limit is 1-{MAX_VALUES}", details={"field": "limit"})
        plan = Plan(aggregates=(Aggregate("count"),), group_by=(name,), sort=(("count", True),), limit=limit)
        query = PipelineQuery(start=start, end=end, filter=And((flt, Exists(name))), plan=plan)
        return await self._run_query.execute(principal=principal, query=query)
