"""The tenant's refused events: why a shipper's documents did not land (tallied per route and reason)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from slowapi import Limiter

from src.domain.rejections import RejectionSummary
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import RejectionListOut
from src.entrypoints.http.responses import JsonResponse


def rejection_out(summary: RejectionSummary) -> dict[str, Any]:
    return {
        "route": summary.route,
        "reason": summary.reason,
        "count": summary.count,
        "sample": summary.sample,
        "first_seen": summary.first_seen,
        "last_seen": summary.last_seen,
    }


def rejections_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["ingest"])

    @router.get(
        "/ingest/rejections",
        summary="Refused events by route and reason, most recently seen first",
        response_model=RejectionListOut,
        description=(
            "Every event an ingest route refused (a per-item 4xx, including those inside an Elasticsearch "
            "`_bulk` 200 answer) is counted per route and reason, with the newest refusal's message as a sample."
        ),
    )
    @tenant_limit(limiter, rates)
    async def list_rejections(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> JsonResponse:
        found = await c.rejections.recent(principal=principal, limit=limit)
        return JsonResponse({"rejections": [rejection_out(r) for r in found]})

    return router
