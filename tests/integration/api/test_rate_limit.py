"""Per-tenant rate limits, counted in Redis so every API process shares one budget."""

from __future__ import annotations

import time

import asyncpg
import httpx
from redis.asyncio import Redis

from tests.conftest import TenantHandle
from tests.integration.api.conftest import ADMIN, app_client_with, assert_error, count_logs


async def _limit(client: httpx.AsyncClient, tenant: TenantHandle, per_minute: int) -> None:
    response = await client.patch(
        f"/api/v1/tenants/{tenant.id}", json={"limits": {"requests_per_minute": per_minute}}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert response.json()["limits"]["requests_per_minute"] == per_minute


async def test_fourth_request_over_a_limit_of_three_is_429(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    await _limit(app_client, tenant, 3)
    for expected_remaining in (2, 1, 0):
        ok = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
        assert ok.status_code == 201, ok.text
        assert ok.headers["X-RateLimit-Limit"] == "3"
        assert ok.headers["X-RateLimit-Remaining"] == str(expected_remaining)
        # Only a refusal tells the client to wait; the reset is whole epoch seconds (GitHub's form).
        assert "Retry-After" not in ok.headers
        assert ok.headers["X-RateLimit-Reset"].isdigit()

    refused = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
    assert_error(refused, 429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # When the window ends, as integer epoch seconds; within the minute.
    assert refused.headers["X-RateLimit-Reset"].isdigit()
    assert 0 < int(refused.headers["X-RateLimit-Reset"]) - time.time() <= 62
    assert await count_logs(db, tenant.id) == 3

    # The budget is the tenant's, shared by all its routes.
    bulk = await app_client.post("/api/v1/logs/bulk", json=[{"message": "x"}], headers=tenant.headers)
    assert_error(bulk, 429, "rate_limited")
    assert_error(await app_client.get("/api/v1/keys", headers=tenant.headers), 429, "rate_limited")
    # Another tenant is unaffected.
    other = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=other_tenant.headers)
    assert other.status_code == 201, other.text
    assert int(other.headers["X-RateLimit-Limit"]) > 3


async def test_the_budget_is_shared_through_redis_across_processes(
    app_client: httpx.AsyncClient, tenant: TenantHandle, postgres_url: str, redis_url: str
) -> None:
    await _limit(app_client, tenant, 2)
    for _ in range(2):
        ok = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
        assert ok.status_code == 201, ok.text
    redis = Redis.from_url(redis_url)
    try:
        keys = [k.decode() async for k in redis.scan_iter(match=f"*{tenant.id}*")]
    finally:
        await redis.aclose()
    assert keys, "the limiter counted this tenant somewhere other than Redis"
    # A second API process (its own in-memory state, same Redis) sees the spent budget.
    async with app_client_with(postgres_url, redis_url) as second:
        refused = await second.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
        assert_error(refused, 429, "rate_limited")


async def test_raising_the_limit_takes_effect_at_once(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _limit(app_client, tenant, 1)
    assert (await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)).status_code == 201
    assert_error(await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers), 429)
    await _limit(app_client, tenant, 100)
    raised = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
    assert raised.status_code == 201, raised.text
    assert raised.headers["X-RateLimit-Limit"] == "100"
