"""Shared steps of the live-stream tests: tenants, ingest, and waiting until a stream listens."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from redis.asyncio import Redis

from src.adapters.redis.event_bus import channel
from tests.conftest import ADMIN_TOKEN
from tests.integration.conftest import ApiProcess
from tests.polling import eventually

ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def new_tenant(api: ApiProcess) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=api.url) as client:
        created = await client.post(
            "/api/v1/tenants", json={"name": f"s-{uuid.uuid4().hex[:10]}"}, headers=ADMIN_HEADERS
        )
        assert created.status_code == 201, created.text
        body = created.json()
        return {"id": body["tenant_id"], "key": body["api_key"], "key_id": body.get("api_key_id", "")}


async def ingest(api: ApiProcess, key: str, events: list[dict[str, Any]]) -> list[str]:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        response = await client.post("/api/v1/logs/bulk", json=events, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 201, response.text
        return [i["id"] for i in response.json()["items"]]


async def wait_subscribed(redis_url: str, tenant_id: str, processes: int = 1) -> None:
    """Until `processes` API processes listen on the tenant's channel, as Redis counts them (one
    subscription per process and tenant, however many of its clients watch)."""
    client = Redis.from_url(redis_url)
    try:

        async def listening() -> bool:
            ((_, count),) = await client.pubsub_numsub(channel(uuid.UUID(tenant_id)))
            return int(count) >= processes

        await eventually(listening, within=10, what=f"{processes} process(es) subscribed for {tenant_id}")
    finally:
        await client.aclose()
