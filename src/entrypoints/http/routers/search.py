"""Search routes: filtered and full-text queries, stats, and the admin reindex."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.domain.errors import InvalidInput
from src.domain.query import Cursor, LogQuery, StatsQuery, check_moment, parse_text_query
from src.domain.severity import Severity, normalise_severity
from src.entrypoints.http.deps import ContainerDep, PlatformAdmin, ReadScope
from src.entrypoints.http.openapi import ATTRIBUTE_FILTERS_DOC
from src.entrypoints.http.query_time import FromTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import ReindexOut, SearchOut, StatsOut
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.routers.reads import log_out
from src.usecases.request_reindex import ReindexRequest

_INTERVALS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"([0-9]{1,12})([smhd]?)")


def _severity(value: str, name: str) -> Severity:
    try:
        return normalise_severity(value)
    except ValueError as e:
        raise InvalidInput(str(e), details={"field": name}) from e


def _interval(value: str) -> int:
    # ASCII digits only (str.isdigit also takes "²"), and few enough that the number stays an integer.
    match = _INTERVAL.fullmatch(value.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise InvalidInput("interval is a number of seconds or like 30s, 5m, 1h, 1d", details={"field": "interval"})
    return int(match.group(1)) * _INTERVALS.get(match.group(2), 1)


def _attributes(request: Request) -> tuple[tuple[str, str], ...]:
    return tuple((k.removeprefix("attr."), v) for k, v in request.query_params.multi_items() if k.startswith("attr."))


class ReindexIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    tenant_id: UUID | None = None
    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None


def search_router(limiter: Limiter, rates: TenantRates, admin_limit: str) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["search"])

    @router.get(
        "/logs",
        summary="Search the tenant's logs (filters, q, page or cursor)",
        response_model=SearchOut,
        description="Newest first by default. Page with `page`/`page_size`, or pass `cursor=` (empty for the "
        "first page) and follow `next_cursor`." + ATTRIBUTE_FILTERS_DOC,
    )
    @tenant_limit(limiter, rates)
    async def search_logs(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
        severity: Annotated[list[str] | None, Query()] = None,
        min_severity: str | None = None,
        service: str | None = None,
        host: str | None = None,
        user_id: str | None = None,
        action: str | None = None,
        trace_id: str | None = None,
        pattern_id: Annotated[
            str | None, Query(max_length=64, description="A mined pattern (GET /api/v1/patterns)")
        ] = None,
        q: str | None = None,
        sort: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: str | None = None,
    ) -> JsonResponse:
        query = LogQuery(
            start=from_,
            end=to,
            severities=frozenset(_severity(s, "severity") for s in severity or []),
            min_severity=_severity(min_severity, "min_severity") if min_severity else None,
            service=service,
            host=host,
            user_id=user_id,
            action=action,
            trace_id=trace_id,
            attributes=_attributes(request),
            pattern_ids=(pattern_id,) if pattern_id else (),
            text=parse_text_query(q) if q and q.strip() else None,
            descending=sort == "desc",
            page=page,
            page_size=page_size,
            cursor=Cursor.decode(cursor) if cursor else None,
            use_cursor=cursor is not None,
        )
        result, source = await c.search.execute(principal=principal, query=query)
        body: dict[str, Any] = {
            "total": result.total,
            "items": [log_out(e) for e in result.items],
            "next_cursor": result.next_cursor.encode() if result.next_cursor else None,
        }
        if cursor is None:
            body.update(page=page, page_size=page_size)
        return JsonResponse(body, headers={"X-Logplane-Source": source})

    @router.get(
        "/logs/stats",
        summary="Counts by severity, top services and a histogram",
        response_model=StatsOut,
    )
    @tenant_limit(limiter, rates)
    async def log_stats(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
        interval: str = "1h",
    ) -> JsonResponse:
        check_moment(to, "to")  # before the default 'from' is derived from it
        end = to or datetime.now(UTC)
        start = from_ or end - timedelta(hours=24)
        stats, source = await c.summarise.execute(
            principal=principal, query=StatsQuery(start=start, end=end, interval_seconds=_interval(interval))
        )
        return JsonResponse(
            {
                "total": stats.total,
                "by_severity": stats.by_severity,
                "top_services": [{"service": s, "count": n} for s, n in stats.top_services],
                "histogram": [{"timestamp": ts, "count": n} for ts, n in stats.histogram],
                "from": start,
                "to": end,
                "interval_seconds": _interval(interval),
            },
            headers={"X-Logplane-Source": source},
        )

    @router.post(
        "/admin/reindex",
        status_code=202,
        summary="Rebuild a slice of the search index (platform admin)",
        response_model=ReindexOut,
    )
    @limiter.limit(admin_limit)
    async def reindex(
        request: Request, _: PlatformAdmin, c: ContainerDep, body: ReindexIn | None = None
    ) -> JsonResponse:
        body = body or ReindexIn()
        tasks = await c.reindex.execute(ReindexRequest(tenant_id=body.tenant_id, start=body.from_, end=body.to))
        return JsonResponse(
            {
                "task_id": str(tasks[0].task_id) if len(tasks) == 1 else None,
                "tasks": [{"task_id": str(t.task_id), "tenant_id": str(t.tenant_id)} for t in tasks],
            },
            status_code=202,
        )

    return router
