"""`GET /api/v1/query`: the query language with its pipeline, answered as a table with typed columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from slowapi import Limiter

from src.domain.querylang.language import parse_query
from src.domain.querylang.table import PipelineQuery
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.query_time import FromTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse


class ColumnOut(BaseModel):
    name: str
    type: str


class QueryOut(BaseModel):
    columns: list[ColumnOut]
    rows: list[list[Any]]
    source: str
    from_: datetime = Field(alias="from")
    to: datetime


def query_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["search"])

    @router.get(
        "/query",
        summary="Run a query with its pipeline (| stats, | top, | timeslice …) and get a table",
        response_model=QueryOut,
        description="See docs/query.md. `from` defaults to 24 hours before `to`, `to` to now. "
        "Columns are typed: string, integer, number, timestamp, or any (attribute values).",
    )
    @tenant_limit(limiter, rates)
    async def run_query(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        q: Annotated[str, Query(max_length=4000)] = "",
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
    ) -> JsonResponse:
        now = datetime.now(UTC)
        end = to or now
        start = from_ or end - timedelta(hours=24)
        parsed = parse_query(q, now=now)
        table, source = await c.run_query.execute(
            principal=principal, query=PipelineQuery(start=start, end=end, filter=parsed.filter, plan=parsed.plan)
        )
        return JsonResponse(
            {
                "columns": [{"name": col.name, "type": col.type} for col in table.columns],
                "rows": [list(row) for row in table.rows],
                "source": source,
                "from": start,
                "to": end,
            },
            headers={"X-Logplane-Source": source},
        )

    return router
