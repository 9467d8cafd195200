"""Admin reindex: rebuild a tenant's (and a time range's) slice of OpenSearch from PostgreSQL."""

from __future__ import annotations

import asyncio

from opensearchpy import AsyncOpenSearch

from tests.conftest import create_tenant
from tests.integration.conftest import ADMIN, Stack, running_worker
from tests.integration.search.test_indexing import _events


async def _wipe(stack: Stack, tenant_id: str) -> None:
    client = AsyncOpenSearch(hosts=[stack.search.url])
    try:
        await client.delete_by_query(
            index="logplane-logs-*", body={"query": {"term": {"tenant_id": tenant_id}}}, params={"refresh": "true"}
        )
    finally:
        await client.close()


async def _wait_task(stack: Stack, headers: dict[str, str], task_id: str) -> dict:
    for _ in range(100):
        task = (await stack.client.get(f"/api/v1/tasks/{task_id}", headers=headers)).json()
        if task["status"] in ("succeeded", "failed"):
            return task
        await asyncio.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish: {task}")


async def test_reindex_rebuilds_a_tenant_and_a_range(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    bystander = await create_tenant(stack.client)
    async with running_worker(stack.settings):
        events = _events(50)
        await stack.ingest(tenant.headers, events)
        await stack.ingest(bystander.headers, _events(5))
        await stack.wait_searchable(tenant.headers, 50)
        await stack.wait_searchable(bystander.headers, 5)
        await _wipe(stack, tenant.id)
        gone = (await stack.client.get("/api/v1/logs", headers=tenant.headers)).json()
        assert gone["total"] == 0

        # A range first: only the events inside it come back.
        response = await stack.client.post(
            "/api/v1/admin/reindex",
            json={"tenant_id": tenant.id, "from": events[0]["timestamp"], "to": events[9]["timestamp"]},
            headers=ADMIN,
        )
        assert response.status_code == 202, response.text
        task = await _wait_task(stack, tenant.headers, response.json()["task_id"])
        assert task["status"] == "succeeded" and task["result"]["indexed"] == 10
        await stack.wait_searchable(tenant.headers, 10)

        response = await stack.client.post("/api/v1/admin/reindex", json={"tenant_id": tenant.id}, headers=ADMIN)
        task = await _wait_task(stack, tenant.headers, response.json()["task_id"])
        assert task["result"]["indexed"] == 50
        rebuilt = await stack.wait_searchable(tenant.headers, 50)
    assert rebuilt["total"] == 50
    assert (await stack.client.get("/api/v1/logs", headers=bystander.headers)).json()["total"] == 5


async def test_reindex_is_for_the_platform_admin_only(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    forbidden = await stack.client.post("/api/v1/admin/reindex", json={}, headers=tenant.headers)
    assert forbidden.status_code == 401
    missing = await stack.client.post(
        "/api/v1/admin/reindex", json={"tenant_id": "00000000-0000-0000-0000-000000000000"}, headers=ADMIN
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
