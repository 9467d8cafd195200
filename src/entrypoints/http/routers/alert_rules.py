"""Alert rules: `/api/v1/alert-rules` (a filter in the query language, a condition over a window,
the channels to notify, a cooldown), each shown with its current state."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.domain.alerting.model import AlertRule
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.usecases.alert_rules import AlertRuleIn


class AlertRuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    condition: str = Field(
        max_length=200,
        description="`count > 100 in 5m`, `error_ratio > 5% in 10m`, `new_pattern in 15m`, "
        "`new_error_group in 1h`, `anomaly_score >= 0.8 in 10m` (comparators > >= < <=; windows 1m-7d)",
    )
    query: str = Field(default="", max_length=4000, description="A filter in the query language; empty: all events")
    service: str | None = Field(default=None, max_length=200, description="Narrows the analytics kinds")
    channel_ids: list[UUID] = Field(default_factory=list, max_length=20)
    cooldown_seconds: int = Field(default=0, ge=0, le=7 * 86400)
    enabled: bool = True


class RuleStateOut(BaseModel):
    state: str = Field(description="ok (never fired), firing, resolved")
    since: datetime | None
    value: float | None
    evaluated_at: datetime | None
    notified_at: datetime | None
    open_alert_id: UUID | None
    error: str | None


class AlertRuleOut(BaseModel):
    id: UUID
    name: str
    condition: str
    kind: str
    comparator: str
    threshold: float
    window_seconds: int
    query: str
    service: str | None
    channel_ids: list[UUID]
    cooldown_seconds: int
    enabled: bool
    state: RuleStateOut
    created_at: datetime | None
    updated_at: datetime | None


class AlertRuleList(BaseModel):
    items: list[AlertRuleOut]


def _out(rule: AlertRule) -> dict[str, Any]:
    c, s = rule.condition, rule.state
    return {
        "id": rule.id,
        "name": rule.name,
        "condition": c.describe(),
        "kind": c.kind.value,
        "comparator": c.comparator,
        "threshold": c.threshold,
        "window_seconds": c.window_seconds,
        "query": rule.query,
        "service": rule.service,
        "channel_ids": list(rule.channel_ids),
        "cooldown_seconds": rule.cooldown_seconds,
        "enabled": rule.enabled,
        "state": {
            "state": s.state.value,
            "since": s.since,
            "value": s.value,
            "evaluated_at": s.evaluated_at,
            "notified_at": s.notified_at,
            "open_alert_id": s.open_alert_id,
            "error": s.error,
        },
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def _in(body: AlertRuleBody) -> AlertRuleIn:
    return AlertRuleIn(
        name=body.name,
        condition=body.condition,
        query=body.query,
        service=body.service,
        channel_ids=tuple(body.channel_ids),
        cooldown_seconds=body.cooldown_seconds,
        enabled=body.enabled,
    )


def alert_rules_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/alert-rules", tags=["alerts"])

    @router.post("", status_code=201, summary="Create an alert rule", response_model=AlertRuleOut)
    @tenant_limit(limiter, rates)
    async def create(request: Request, principal: ReadScope, c: ContainerDep, body: AlertRuleBody) -> JsonResponse:
        return JsonResponse(_out(await c.alert_rules.create(principal=principal, body=_in(body))), status_code=201)

    @router.get("", summary="The tenant's alert rules with their state, by name", response_model=AlertRuleList)
    @tenant_limit(limiter, rates)
    async def list_rules(request: Request, principal: ReadScope, c: ContainerDep) -> JsonResponse:
        return JsonResponse({"items": [_out(r) for r in await c.alert_rules.list(principal=principal)]})

    @router.get("/{rule_id}", summary="One alert rule with its state", response_model=AlertRuleOut)
    @tenant_limit(limiter, rates)
    async def get(request: Request, principal: ReadScope, c: ContainerDep, rule_id: UUID) -> JsonResponse:
        return JsonResponse(_out(await c.alert_rules.get(principal=principal, rule_id=rule_id)))

    @router.put("/{rule_id}", summary="Replace an alert rule (its state stays)", response_model=AlertRuleOut)
    @tenant_limit(limiter, rates)
    async def replace(
        request: Request, principal: ReadScope, c: ContainerDep, rule_id: UUID, body: AlertRuleBody
    ) -> JsonResponse:
        return JsonResponse(_out(await c.alert_rules.replace(principal=principal, rule_id=rule_id, body=_in(body))))

    @router.delete("/{rule_id}", status_code=204, summary="Delete an alert rule (its alerts stay in the history)")
    @tenant_limit(limiter, rates)
    async def delete(request: Request, principal: ReadScope, c: ContainerDep, rule_id: UUID) -> Response:
        await c.alert_rules.delete(principal=principal, rule_id=rule_id)
        return Response(status_code=204)

    return router
