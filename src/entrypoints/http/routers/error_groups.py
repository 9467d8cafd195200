"""Error group routes: `/api/v1/error-groups` — list, one by id, and triage with PATCH {status}."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict
from slowapi import Limiter

from src.domain.error_groups.group import ErrorGroup, ErrorGroupFilter, ErrorStatus
from src.entrypoints.http.analytics_models import ErrorGroupListOut, ErrorGroupOut
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.query_time import FromTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.routers.patterns import time_range

StatusName = Literal["open", "resolved", "ignored"]


class ErrorGroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: StatusName


def group_out(g: ErrorGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "service": g.service,
        "kind": g.kind,
        "exception_type": g.exception_type,
        "title": g.title,
        "frames": list(g.frames),
        "pattern_id": g.pattern_id,
        "count": g.count,
        "first_seen": g.first_seen,
        "last_seen": g.last_seen,
        "hosts": list(g.hosts),
        "sample_event_ids": [str(i) for i in g.sample_event_ids],
        "status": g.status.value,
        "status_changed_at": g.status_changed_at,
        "resolved_at": g.resolved_at,
        "reopened_count": g.reopened_count,
        "created_at": g.created_at,
    }


def error_groups_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/error-groups", tags=["analytics"])

    @router.get(
        "",
        summary="Error groups seen in a time range, most recently seen first",
        response_model=ErrorGroupListOut,
        description="ERROR/FATAL events and stack traces (Python, Java, Go, JavaScript) grouped by "
        "exception type and top application frames, else by pattern. Default range: the last 24 hours.",
    )
    @tenant_limit(limiter, rates)
    async def list_groups(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
        service: Annotated[str | None, Query(max_length=256)] = None,
        status: StatusName | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JsonResponse:
        start, end = time_range(from_, to)
        where = ErrorGroupFilter(
            start=start, end=end, service=service, status=ErrorStatus(status) if status else None, limit=limit
        )
        found = await c.error_groups.search(principal=principal, where=where)
        return JsonResponse({"items": [group_out(g) for g in found], "from": start, "to": end})

    @router.get("/{group_id}", summary="One error group", response_model=ErrorGroupOut)
    @tenant_limit(limiter, rates)
    async def get_group(request: Request, principal: ReadScope, c: ContainerDep, group_id: str) -> JsonResponse:
        return JsonResponse(group_out(await c.error_groups.get(principal=principal, group_id=group_id)))

    @router.patch("/{group_id}", summary="Triage: set open, resolved or ignored", response_model=ErrorGroupOut)
    @tenant_limit(limiter, rates)
    async def patch_group(
        request: Request, principal: ReadScope, c: ContainerDep, group_id: str, body: ErrorGroupPatch
    ) -> JsonResponse:
        found = await c.error_groups.set_status(principal=principal, group_id=group_id, status=ErrorStatus(body.status))
        return JsonResponse(group_out(found))

    return router
