"""Notification channels: `/api/v1/alert-channels` (webhook, slack, email) and a test send.

The secret is write-only: it is accepted on create and replace (omitted on replace: kept) and never
returned; answers say `has_secret`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.domain.alerting.model import AlertChannel
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.usecases.alert_channels import ChannelIn


class AlertChannelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    type: str = Field(max_length=20, description="webhook, slack or email")
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="webhook: `{url}`; slack: `{}`; email: `{host, port=587, username, from, to: [...], "
        "starttls=true}`",
    )
    secret: str | None = Field(
        default=None,
        max_length=2000,
        description="Write-only. webhook: the HMAC signing secret (16+ characters); slack: the incoming-webhook "
        "URL; email: the SMTP password. Omitted on replace: the stored one is kept",
    )


class AlertChannelOut(BaseModel):
    id: UUID
    name: str
    type: str
    config: dict[str, Any]
    has_secret: bool
    created_at: datetime | None
    updated_at: datetime | None


class AlertChannelList(BaseModel):
    items: list[AlertChannelOut]


class ChannelTestOut(BaseModel):
    delivered: bool
    status_code: int | None
    error: str | None


def _out(channel: AlertChannel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "type": channel.type.value,
        "config": channel.config,
        "has_secret": channel.secret is not None,
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    }


def _in(body: AlertChannelBody) -> ChannelIn:
    return ChannelIn(name=body.name, type=body.type, config=body.config, secret=body.secret)


def alert_channels_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/alert-channels", tags=["alerts"])

    @router.post("", status_code=201, summary="Create a notification channel", response_model=AlertChannelOut)
    @tenant_limit(limiter, rates)
    async def create(request: Request, principal: ReadScope, c: ContainerDep, body: AlertChannelBody) -> JsonResponse:
        channel = await c.alert_channels.create(principal=principal, body=_in(body))
        return JsonResponse(_out(channel), status_code=201)

    @router.get("", summary="The tenant's notification channels, by name", response_model=AlertChannelList)
    @tenant_limit(limiter, rates)
    async def list_channels(request: Request, principal: ReadScope, c: ContainerDep) -> JsonResponse:
        return JsonResponse({"items": [_out(ch) for ch in await c.alert_channels.list(principal=principal)]})

    @router.get("/{channel_id}", summary="One notification channel", response_model=AlertChannelOut)
    @tenant_limit(limiter, rates)
    async def get(request: Request, principal: ReadScope, c: ContainerDep, channel_id: UUID) -> JsonResponse:
        return JsonResponse(_out(await c.alert_channels.get(principal=principal, channel_id=channel_id)))

    @router.put("/{channel_id}", summary="Replace a notification channel", response_model=AlertChannelOut)
    @tenant_limit(limiter, rates)
    async def replace(
        request: Request, principal: ReadScope, c: ContainerDep, channel_id: UUID, body: AlertChannelBody
    ) -> JsonResponse:
        channel = await c.alert_channels.replace(principal=principal, channel_id=channel_id, body=_in(body))
        return JsonResponse(_out(channel))

    @router.delete("/{channel_id}", status_code=204, summary="Delete a channel (and take it out of every rule)")
    @tenant_limit(limiter, rates)
    async def delete(request: Request, principal: ReadScope, c: ContainerDep, channel_id: UUID) -> Response:
        await c.alert_channels.delete(principal=principal, channel_id=channel_id)
        return Response(status_code=204)

    @router.post(
        "/{channel_id}/test",
        summary="Send a test notification now (one attempt, not recorded)",
        response_model=ChannelTestOut,
    )
    @tenant_limit(limiter, rates)
    async def send_test(request: Request, principal: ReadScope, c: ContainerDep, channel_id: UUID) -> JsonResponse:
        result = await c.alert_channels.send_test(principal=principal, channel_id=channel_id)
        return JsonResponse({"delivered": result.delivered, "status_code": result.status_code, "error": result.error})

    return router
