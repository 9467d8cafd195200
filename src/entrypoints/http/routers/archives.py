"""Archival routes: cleanup (archive, then delete), restore, and listing the archive."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.entrypoints.http.deps import ContainerDep, ReadScope, TenantAdminScope
from src.entrypoints.http.query_time import BeforeTime, FromTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import ArchiveListOut, TaskRefOut
from src.entrypoints.http.responses import JsonResponse


class RestoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime


def archives_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["archival"])

    @router.delete(
        "/logs/cleanup",
        status_code=202,
        summary="Archive to S3, then delete, logs before a time",
        response_model=TaskRefOut,
    )
    @tenant_limit(limiter, rates)
    async def cleanup(
        request: Request,
        principal: TenantAdminScope,
        c: ContainerDep,
        before: Annotated[BeforeTime, Query()],
    ) -> JsonResponse:
        task = await c.request_cleanup.execute(principal=principal, before=before)
        return JsonResponse({"task_id": task.task_id, "note": task.error_msg}, status_code=202)

    @router.post(
        "/logs/restore", status_code=202, summary="Re-import archived logs of a time range", response_model=TaskRefOut
    )
    @tenant_limit(limiter, rates)
    async def restore(request: Request, body: RestoreIn, principal: TenantAdminScope, c: ContainerDep) -> JsonResponse:
        task = await c.request_restore.execute(principal=principal, start=body.from_, end=body.to)
        return JsonResponse({"task_id": task.task_id, "note": task.error_msg}, status_code=202)

    @router.get(
        "/archives",
        summary="The tenant's archive objects, with presigned download URLs",
        response_model=ArchiveListOut,
    )
    @tenant_limit(limiter, rates)
    async def archives(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
    ) -> JsonResponse:
        entries = await c.list_archives.execute(principal=principal, start=from_, end=to)
        return JsonResponse(
            {
                "items": [
                    {
                        "key": e.key,
                        "task_id": e.task_id,
                        "date": e.date,
                        "rows": e.rows,
                        "bytes": e.bytes,
                        "sha256": e.sha256,
                        "min_timestamp": e.min_timestamp,
                        "max_timestamp": e.max_timestamp,
                        "url": e.url,
                    }
                    for e in entries
                ]
            }
        )

    return router
