"""Anomalies: `GET /api/v1/anomalies` (scored windows) and `POST /api/v1/anomalies/runs` (run now)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from slowapi import Limiter

from src.domain.anomalies.anomaly import Anomaly, AnomalyFilter
from src.domain.wire import rfc3339
from src.entrypoints.http.deps import ContainerDep, ReadScope, TenantAdminScope
from src.entrypoints.http.query_time import FromTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.usecases.list_anomalies import MAX_LIMIT


class AnomalyDriverOut(BaseModel):
    feature: str = Field(description="volume, errors, error_ratio (more as feature sources add them)")
    value: float
    usual: float = Field(description="Median of the baseline windows")
    z: float = Field(description="Robust deviation: (value - median) / scale")
    score: float
    basis: str = Field(description="minute-of-week, minute-of-day or recent")
    samples: int


class AnomalyOut(BaseModel):
    service: str | None = Field(description="null for events without a service")
    window_start: datetime
    window_end: datetime
    score: float = Field(ge=0, le=1)
    baseline_score: float
    model_score: float
    sentence: str = Field(examples=["error ratio 18% vs 0.4% usual"])
    features: dict[str, float]
    drivers: list[AnomalyDriverOut]
    link: str = Field(description="The search of this window's events (GET it with the same credential)")
    run_id: UUID | None = None
    detected_at: datetime | None = None


class AnomalyListOut(BaseModel):
    items: list[AnomalyOut]


class AnomalyRunOut(BaseModel):
    task_id: UUID | None = Field(description="The run's anomaly_detection task; null when nothing was scored")
    from_: datetime = Field(alias="from")
    to: datetime
    windows_scored: int
    anomalies_found: int
    duration_ms: int


def window_link(anomaly: Anomaly) -> str:
    # `to` is inclusive in the search: stop a microsecond before the next window.
    params = {
        "from": rfc3339(anomaly.window_start),
        "to": rfc3339(anomaly.window_end - timedelta(microseconds=1)),
        "sort": "asc",
    }
    if anomaly.service:
        params["service"] = anomaly.service
    return "/api/v1/logs?" + urlencode(params)


def _out(a: Anomaly) -> dict[str, Any]:
    return {
        "service": a.service or None,
        "window_start": a.window_start,
        "window_end": a.window_end,
        "score": a.score,
        "baseline_score": a.baseline_score,
        "model_score": a.model_score,
        "sentence": a.sentence,
        "features": a.features,
        "drivers": a.drivers,
        "link": window_link(a),
        "run_id": a.run_id,
        "detected_at": a.detected_at,
    }


def anomalies_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/anomalies", tags=["analytics"])

    @router.get(
        "",
        summary="Anomalous windows of the tenant's services, newest first",
        response_model=AnomalyListOut,
        description="Each item is one service's 1-minute window whose score passed the threshold, with "
        "the features that drove it, a sentence, and `link`: the search of that window's events.",
    )
    @tenant_limit(limiter, rates)
    async def list_anomalies(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
        service: Annotated[str | None, Query(max_length=500)] = None,
        min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> JsonResponse:
        where = AnomalyFilter(start=from_, end=to, service=service, min_score=min_score, limit=limit)
        found = await c.list_anomalies.execute(principal=principal, where=where)
        return JsonResponse({"items": [_out(a) for a in found]})

    @router.post(
        "/runs",
        summary="Run anomaly detection for the tenant now (admin scope)",
        response_model=AnomalyRunOut,
        description="Scores the windows since the last run (the scheduler's run, done now) and records it "
        "as an `anomaly_detection` task.",
    )
    @tenant_limit(limiter, rates)
    async def run_now(request: Request, principal: TenantAdminScope, c: ContainerDep) -> JsonResponse:
        run = await c.run_anomaly_detection.execute(principal=principal)
        return JsonResponse(
            {
                "task_id": run.task_id,
                "from": run.start,
                "to": run.end,
                "windows_scored": run.windows_scored,
                "anomalies_found": run.anomalies_found,
                "duration_ms": run.duration_ms,
            }
        )

    return router
