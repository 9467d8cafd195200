"""Exports: a streamed download now, or a file written to S3 by the export worker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.domain.errors import InvalidInput
from src.domain.export_format import ExportFormat
from src.domain.query import query_from_filters
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.openapi import ATTRIBUTE_FILTERS_DOC
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import ExportStatusOut, TaskRefOut
from src.entrypoints.http.responses import JsonResponse

_MEDIA = {ExportFormat.NDJSON: "application/x-ndjson", ExportFormat.CSV: "text/csv; charset=utf-8"}
_NOT_FILTERS = {"format", "gzip"}


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: ExportFormat = ExportFormat.NDJSON
    gzip: bool = False
    filters: dict[str, Any] = Field(default_factory=dict)


def _params(request: Request) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in _NOT_FILTERS:
            continue
        if key == "severity":
            raw.setdefault("severity", []).append(value)
        else:
            raw[key] = value
    return raw


def _format(value: str) -> ExportFormat:
    try:
        return ExportFormat(value)
    except ValueError as e:
        raise InvalidInput(
            "format is ndjson or csv (parquet: POST /api/v1/exports)", details={"field": "format"}
        ) from e


def exports_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["export"])

    @router.get(
        "/logs/export",
        summary="Download the logs matching the search filters (streamed)",
        description="Takes the filters of GET /api/v1/logs (`from`, `to`, `severity`, `service`, `q` …)."
        + ATTRIBUTE_FILTERS_DOC,
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "The file, streamed",
                "content": {
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/gzip": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    @tenant_limit(limiter, rates)
    async def export_now(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        format: str = "ndjson",
        gzip: Annotated[bool, Query()] = False,
    ) -> StreamingResponse:
        fmt = _format(format)
        query = query_from_filters(_params(request))
        # Refuse before the first byte: once streaming, the status line is already sent.
        c.stream_export.check(principal=principal, query=query, fmt=fmt)
        name = f"logs-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.{fmt.value}" + (".gz" if gzip else "")
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"}
        # A .gz file, not a Content-Encoding: what is saved is what was asked for, whatever the client.
        return StreamingResponse(
            c.stream_export.execute(principal=principal, query=query, fmt=fmt, gzip=gzip),
            media_type="application/gzip" if gzip else _MEDIA[fmt],
            headers=headers,
        )

    @router.post(
        "/exports",
        status_code=202,
        summary="Export to a file in S3 (ndjson, csv or parquet)",
        response_model=TaskRefOut,
    )
    @tenant_limit(limiter, rates)
    async def create_export(request: Request, body: ExportIn, principal: ReadScope, c: ContainerDep) -> JsonResponse:
        query_from_filters(body.filters)  # 422 now rather than a failed task later
        task = await c.request_export.execute(
            principal=principal, filters=body.filters, fmt=body.format, gzip=body.gzip
        )
        return JsonResponse({"task_id": task.task_id, "note": task.error_msg}, status_code=202)

    @router.get(
        "/exports/{task_id}",
        summary="An export's status and, when done, its download URL",
        response_model=ExportStatusOut,
        responses={302: {"description": "With `redirect=true` once done: to the presigned download URL"}},
    )
    @tenant_limit(limiter, rates)
    async def get_export(
        request: Request, task_id: UUID, principal: ReadScope, c: ContainerDep, redirect: bool = False
    ) -> Response:
        status = await c.get_export.execute(principal=principal, task_id=task_id)
        if redirect and status.url:
            return RedirectResponse(status.url, status_code=302)
        task = status.task
        return JsonResponse(
            {
                "task_id": task.task_id,
                "status": task.status.value,
                "format": task.payload.get("format"),
                "rows": task.result.get("rows"),
                "bytes": task.result.get("bytes"),
                "error_msg": task.error_msg,
                "created_at": task.created_at,
                "url": status.url,
            }
        )

    return router
