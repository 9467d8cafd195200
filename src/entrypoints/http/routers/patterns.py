"""Pattern routes: `/api/v1/patterns` (mined templates with counts, sparklines, new ones) and one by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from slowapi import Limiter

from src.domain.patterns.records import PatternFilter, PatternSummary
from src.domain.query import check_moment
from src.entrypoints.http.analytics_models import PatternListOut, PatternOut
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.query_time import FromTime, SinceTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.usecases.patterns import PatternRange, spark_interval

DEFAULT_RANGE = timedelta(hours=24)


def pattern_out(p: PatternSummary, interval: int) -> dict[str, Any]:
    return {
        "id": p.id,
        "service": p.service,
        "template": p.template,
        "aliases": list(p.aliases),
        "merged_into": p.merged_into,
        "count": p.count,
        "errors": p.errors,
        "error_share": round(p.error_share, 4),
        "first_seen": p.first_seen,
        "last_seen": p.last_seen,
        "created_at": p.created_at,
        "sample_event_ids": [str(i) for i in p.sample_event_ids],
        "sparkline": [{"timestamp": ts, "count": n} for ts, n in p.sparkline],
        "interval_seconds": interval,
    }


def time_range(from_: datetime | None, to: datetime | None) -> tuple[datetime, datetime]:
    check_moment(to, "to")  # before the default 'from' is derived from it
    end = to or datetime.now(UTC)
    return from_ or end - DEFAULT_RANGE, end


def patterns_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/patterns", tags=["analytics"])

    @router.get(
        "",
        summary="Mined patterns with events in a time range, busiest first",
        response_model=PatternListOut,
        description="Counts, error share and sparkline are over [from, to] (default: the last 24 hours). "
        "`new_since` keeps only patterns first seen at or after that time; `q` matches the template "
        "(substring, any case).",
    )
    @tenant_limit(limiter, rates)
    async def list_patterns(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
        service: Annotated[str | None, Query(max_length=256)] = None,
        q: Annotated[str | None, Query(max_length=1000)] = None,
        new_since: Annotated[SinceTime | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JsonResponse:
        start, end = time_range(from_, to)
        where = PatternFilter(start=start, end=end, service=service, text=q or None, new_since=new_since, limit=limit)
        found = await c.pattern_queries.search(principal=principal, where=where)
        interval = spark_interval(start, end)
        return JsonResponse(
            {"items": [pattern_out(p, interval) for p in found], "from": start, "to": end, "new_since": new_since}
        )

    @router.get("/{pattern_id}", summary="One pattern (an alias answers its survivor)", response_model=PatternOut)
    @tenant_limit(limiter, rates)
    async def get_pattern(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        pattern_id: str,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
    ) -> JsonResponse:
        start, end = time_range(from_, to)
        found = await c.pattern_queries.get(
            principal=principal, pattern_id=pattern_id, within=PatternRange(start=start, end=end)
        )
        return JsonResponse(pattern_out(found, spark_interval(start, end)))

    return router
