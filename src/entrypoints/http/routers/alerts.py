"""The alert history (`GET /api/v1/alerts`) and silences (`/api/v1/alert-silences`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.domain.alerting.model import Delivery, Silence
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.usecases.alert_history import AlertWithDeliveries
from src.usecases.alert_silences import SilenceIn


class AttemptOut(BaseModel):
    at: str
    ok: bool
    status_code: int | None
    error: str | None


class DeliveryOut(BaseModel):
    id: UUID
    channel_id: UUID
    channel_name: str
    channel_type: str
    status: str = Field(description="pending, delivered or failed (attempts exhausted)")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    log: list[AttemptOut]


class AlertOut(BaseModel):
    id: UUID
    rule_id: UUID
    rule_name: str
    kind: str = Field(description="firing or resolved")
    condition: str
    query: str
    value: float
    at: datetime
    notice: str = Field(description="notified, silenced, cooldown, no_channels or firing_unannounced")
    firing_id: UUID | None
    deliveries: list[DeliveryOut]


class AlertList(BaseModel):
    items: list[AlertOut]


class SilenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_id: UUID
    starts_at: AwareDatetime | None = Field(default=None, description="Default: now")
    ends_at: AwareDatetime | None = Field(default=None, description="Give this or duration_seconds")
    duration_seconds: int | None = Field(default=None, gt=0, le=90 * 86400)
    comment: str = Field(default="", max_length=1000)


class SilenceOut(BaseModel):
    id: UUID
    rule_id: UUID
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    created_at: datetime | None


class SilenceList(BaseModel):
    items: list[SilenceOut]


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "channel_id": d.channel_id,
        "channel_name": d.channel_name,
        "channel_type": d.channel_type.value,
        "status": d.status.value,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_error": d.last_error,
        "delivered_at": d.delivered_at,
        "log": list(d.log),
    }


def _alert(item: AlertWithDeliveries) -> dict[str, Any]:
    a = item.alert
    return {
        "id": a.id,
        "rule_id": a.rule_id,
        "rule_name": a.rule_name,
        "kind": a.kind.value,
        "condition": a.condition,
        "query": a.query,
        "value": a.value,
        "at": a.at,
        "notice": a.notice.value,
        "firing_id": a.firing_id,
        "deliveries": [_delivery(d) for d in item.deliveries],
    }


def _silence(s: Silence) -> dict[str, Any]:
    return {
        "id": s.id,
        "rule_id": s.rule_id,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "comment": s.comment,
        "created_by": s.created_by,
        "created_at": s.created_at,
    }


def alerts_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["alerts"])

    @router.get(
        "/alerts",
        summary="Alert history: each firing and resolve, newest first, with its notifications' deliveries",
        response_model=AlertList,
    )
    @tenant_limit(limiter, rates)
    async def list_alerts(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        rule_id: Annotated[UUID | None, Query()] = None,
        before: Annotated[AwareDatetime | None, Query(description="Page back: alerts before this time")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> JsonResponse:
        items = await c.list_alerts.execute(principal=principal, rule_id=rule_id, before=before, limit=limit)
        return JsonResponse({"items": [_alert(i) for i in items]})

    @router.post("/alert-silences", status_code=201, summary="Silence a rule for a time", response_model=SilenceOut)
    @tenant_limit(limiter, rates)
    async def create_silence(
        request: Request, principal: ReadScope, c: ContainerDep, body: SilenceBody
    ) -> JsonResponse:
        duration = timedelta(seconds=body.duration_seconds) if body.duration_seconds is not None else None
        silence = await c.alert_silences.create(
            principal=principal,
            body=SilenceIn(
                rule_id=body.rule_id,
                starts_at=body.starts_at,
                ends_at=body.ends_at,
                duration=duration,
                comment=body.comment,
            ),
        )
        return JsonResponse(_silence(silence), status_code=201)

    @router.get("/alert-silences", summary="Current and future silences (or all)", response_model=SilenceList)
    @tenant_limit(limiter, rates)
    async def list_silences(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        include_expired: Annotated[bool, Query()] = False,
    ) -> JsonResponse:
        silences = await c.alert_silences.list(principal=principal, include_expired=include_expired)
        return JsonResponse({"items": [_silence(s) for s in silences]})

    @router.delete("/alert-silences/{silence_id}", status_code=204, summary="End a silence (delete it)")
    @tenant_limit(limiter, rates)
    async def delete_silence(request: Request, principal: ReadScope, c: ContainerDep, silence_id: UUID) -> Response:
        await c.alert_silences.delete(principal=principal, silence_id=silence_id)
        return Response(status_code=204)

    return router
