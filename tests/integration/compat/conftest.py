"""A real API process (uvicorn) wired to the integration stack's services, for the shipper clients.

It publishes index tasks to the stack's queues, so what a shipper sends becomes searchable through
the stack's search API while `running_worker(stack.settings)` runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import TenantHandle
from tests.integration.conftest import ADMIN, ApiProcess, Stack, _start


@pytest.fixture(scope="session")
async def compat_api(stack: Stack, postgres_url: str, redis_url: str) -> AsyncIterator[ApiProcess]:
    settings = stack.settings
    api = await asyncio.to_thread(
        _start,
        postgres_url,
        redis_url,
        LOGPLANE_OPENSEARCH_URL=settings.opensearch.url,
        LOGPLANE_AWS_ENDPOINT_URL=settings.aws.endpoint_url,
        LOGPLANE_SQS_QUEUE_PREFIX=settings.aws.queue_prefix,
        LOGPLANE_S3_BUCKET=settings.aws.bucket,
    )
    try:
        yield api
    finally:
        api.process.terminate()
        await asyncio.to_thread(api.process.wait, 20)


async def limit_requests(client: httpx.AsyncClient, tenant: TenantHandle, per_minute: int) -> None:
    response = await client.patch(
        f"/api/v1/tenants/{tenant.id}", json={"limits": {"requests_per_minute": per_minute}}, headers=ADMIN
    )
    assert response.status_code == 200, response.text


async def search(stack: Stack, tenant: TenantHandle, expected: int, **params: Any) -> list[dict[str, Any]]:
    """Wait until `expected` events match in OpenSearch, then all of them, oldest first."""
    await stack.wait_searchable(tenant.headers, expected, **params)
    response = await stack.client.get(
        "/api/v1/logs", params={"page_size": 100, "sort": "asc", **params}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-logplane-source"] == "opensearch"
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def total(stack: Stack, tenant: TenantHandle, **params: Any) -> int:
    response = await stack.client.get("/api/v1/logs", params={"page_size": 1, **params}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["total"]
    return count
