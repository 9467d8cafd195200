"""Liveness, readiness (each dependency checked) and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from src.entrypoints.http.deps import ContainerDep, MetricsReader
from src.entrypoints.http.response_models import HealthOut
from src.entrypoints.http.responses import JsonResponse

router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="Liveness: the process answers", response_model=HealthOut)
async def live() -> JsonResponse:
    return JsonResponse({"status": "ok"})


@router.get(
    "/health/ready",
    summary="Readiness: required dependencies answer (optional ones only degrade)",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A required dependency is down"}},
)
async def ready(c: ContainerDep) -> JsonResponse:
    checks: dict[str, str] = {}

    async def postgres() -> None:
        async with c.app_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    # Required: without these nothing is accepted. Optional ones degrade features (search falls
    # back to PostgreSQL, tasks wait in the outbox) but ingest stays up, so they do not fail readiness.
    required = {"postgres": postgres, **c.extras.get("readiness", {})}
    optional = c.extras.get("optional_readiness", {})
    for name, probe in {**required, **optional}.items():
        try:
            await asyncio.wait_for(probe(), timeout=2.0)
            checks[name] = "ok"
        except Exception as e:  # a probe's failure is the answer, not an error
            checks[name] = f"failed: {type(e).__name__}: {e}"[:300]
    failed = [name for name in required if checks[name] != "ok"]
    degraded = [name for name in optional if checks[name] != "ok"]
    if failed:
        return JsonResponse(
            {
                "status": "unavailable",
                "checks": checks,
                "error": {
                    "code": "dependency_unavailable",
                    "message": f"not ready: {', '.join(failed)} failed",
                    "details": {"failed": failed},
                },
            },
            status_code=503,
        )
    return JsonResponse({"status": "degraded" if degraded else "ok", "checks": checks})


@router.get(
    "/metrics",
    summary="Prometheus metrics (metrics token, or the separate metrics port)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(_: MetricsReader) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
